"""Pages awaiting execution: the committed list that lets the tests stay green while code a page uses is changing.

Executing the whole book is the last step of a wave of work, so for a while a page's code can be newer than its
outputs. `notebooks/awaiting-execution.json` names each such page with the reason: `check-stale` passes a listed
page with a warning instead of failing, and the page itself shows a visible note (a markdown cell tagged
`charlab-awaiting` after the run stamp), so no reader takes its outputs for those of today's code. Executing a page
in place (`python -m charlab.book execute`) removes its note and its entry: the last execution empties the list.

    python -m charlab.book await notebooks/02_paul_graham.ipynb --reason "imports moved to the chapter module"
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat

from charlab.errors import CharlabError

LIST_NAME = "awaiting-execution.json"
NOTE_TAG = "charlab-awaiting"


def list_path(notebook: Path) -> Path:
    """The list that governs `notebook`: the one in its folder."""
    return Path(notebook).parent / LIST_NAME


def load(folder: Path) -> dict[str, str]:
    """{notebook file name: reason} of `folder`'s list ({} when there is none)."""
    path = Path(folder) / LIST_NAME
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as e:
        raise CharlabError(f"{path}: not a readable list of pages awaiting execution ({e})") from None
    if not isinstance(data, dict) or not all(isinstance(k, str) and isinstance(v, str) and v.strip()
                                             for k, v in data.items()):
        raise CharlabError(f"{path}: must be a JSON object of notebook file name -> reason (a non-empty string)")
    return data


def save(folder: Path, entries: dict[str, str]) -> None:
    path = Path(folder) / LIST_NAME
    if entries:
        path.write_text(json.dumps(dict(sorted(entries.items())), indent=2, ensure_ascii=False) + "\n",
                        encoding="utf-8")
    else:
        path.unlink(missing_ok=True)


def note_markdown(reason: str) -> str:
    return ("> **Awaiting re-execution.** The outputs below are not yet those of today's code: "
            f"{reason.strip()} Until the page is executed again, they are the outputs of the run stamped above.")


def note_of(nb: nbformat.NotebookNode) -> str | None:
    cells = [c for c in nb.cells if NOTE_TAG in c.get("metadata", {}).get("tags", [])]
    return cells[0].source if cells else None


def unmark(nb: nbformat.NotebookNode) -> None:
    nb.cells = [c for c in nb.cells if NOTE_TAG not in c.get("metadata", {}).get("tags", [])]


def mark(nb: nbformat.NotebookNode, reason: str) -> None:
    """Put the note after the run stamp (or the title), replacing an earlier one."""
    unmark(nb)
    cell = nbformat.v4.new_markdown_cell(note_markdown(reason), metadata={"tags": [NOTE_TAG]})
    if "id" in cell:
        cell["id"] = NOTE_TAG
    stamp_at = next((i for i, c in enumerate(nb.cells) if "charlab-stamp" in c.get("metadata", {}).get("tags", [])),
                    0 if nb.cells and nb.cells[0].cell_type == "markdown" else -1)
    nb.cells.insert(stamp_at + 1, cell)


def problem(nb: nbformat.NotebookNode, reason: str | None) -> str | None:
    """What is wrong with a listed page's note (`reason`: its list entry, None when not listed)."""
    note = note_of(nb)
    if reason is None:
        return None if note is None else f"shows an awaiting-execution note but is not in {LIST_NAME}"
    if note != note_markdown(reason):
        return f"is in {LIST_NAME} but does not show its note (run `python -m charlab.book await` on it)"
    return None


def add(paths: list[Path], reason: str) -> None:
    """List `paths` as awaiting execution for `reason` and show the note on each page."""
    if not reason.strip():
        raise CharlabError("--reason must say why the page awaits execution")
    for path in paths:
        entries = load(path.parent)
        nb = nbformat.read(path, as_version=4)
        mark(nb, reason)
        try:
            nbformat.write(nb, path)
        except OSError as e:
            raise CharlabError(f"{path}: cannot write its note ({e.strerror})") from None
        entries[path.name] = reason.strip()
        save(path.parent, entries)


def remove(path: Path) -> None:
    """Take `path` off its folder's list (it has just been executed in place)."""
    entries = load(path.parent)
    if entries.pop(path.name, None) is not None:
        save(path.parent, entries)
