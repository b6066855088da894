"""The provenance stamp: what produced a notebook's outputs, shown at the top of its page.

The stamp lives twice in the notebook: as JSON in `metadata.charlab.stamp` (for tools: `check-stale` compares
its `code_sha256`) and as a markdown cell tagged `charlab-stamp` right after the title cell (for readers, in
Jupyter, on Colab and in the book). Re-executing replaces both.
"""

from __future__ import annotations

import ast
import contextlib
import hashlib
import json
import os
import platform
import re
from collections.abc import Iterator
from pathlib import Path

import nbformat

import charlab
from charlab.errors import CharlabError
from charlab.provenance import cpu_name, format_duration, git_state, gpu_name

STAMP_TAG = "charlab-stamp"
# A code cell that draws a figure: it shows one (plt.show, a chapter's plot_* helper) or makes one (plt.subplots,
# ax.plot, imshow). Its stored outputs must then hold an image, or the figure was lost on the way to the page (as
# chapters 1-5's 17 were, executed under a non-inline backend).
DRAWS = re.compile(r"plt\.show\(|\bplot_\w*\(|\.imshow\(|plt\.subplots\(|\.plot\(")
IMAGE_TYPES = ("image/png", "image/svg+xml", "image/jpeg")


def code_sha256(nb: nbformat.NotebookNode) -> str:
    """sha256 over the sources of all code cells, in order (outputs, metadata and markdown do not count).

    The Colab setup cell (tag `colab-setup`) does not count either: it does nothing outside Colab, so it cannot
    change an output, and `charlab.book.colab` generates and checks it from `_config.yml`."""
    sources = [cell.source for cell in nb.cells
               if cell.cell_type == "code" and "colab-setup" not in cell.metadata.get("tags", [])]
    return hashlib.sha256(json.dumps(sources).encode("utf-8")).hexdigest()






def dataset_hashes(names: list[str], cwd: Path | None = None) -> dict[str, str]:
    """sha256 of each dataset file the notebook declares in `metadata.charlab.datasets`.

    The data folder can depend on the working directory (charlab.datasets looks for the checkout around it),
    so paths are resolved from `cwd`: the folder the notebook's kernel ran in.
    """
    if not names:
        return {}
    from charlab import datasets  # only chapters that read data need it

    hashes = {}
    for name in names:
        with _chdir(cwd or Path.cwd()):
            path = Path(datasets.dataset_path(name)).resolve()
        if not path.is_file():
            raise CharlabError(
                f"dataset {name!r} is not at {path}: fetch it with `python -m charlab.datasets {name}`"
            )
        hashes[name] = datasets.sha256_file(path)
    return hashes


@contextlib.contextmanager
def _chdir(path: Path) -> Iterator[None]:
    old = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)


def make_stamp(
    nb: nbformat.NotebookNode, *, scale: str, wall_s: float, date: str, repo: Path, cwd: Path | None = None,
    runs: list[dict] | None = None, modules: list[str] | None = None,
) -> dict:
    """The stamp's data for an executed notebook (JSON-serialisable); `cwd` is where its kernel ran, `runs` the
    training runs it trained or reused (`charlab.experiments` logs them), `modules` the charlab modules its kernel
    had imported (each recorded with the sha256 of its source, so `check-stale` sees a change to any of them)."""
    # dirty: uncommitted changes to the library; the notebook's own code is covered by `code_sha256` (and a
    # notebook being edited is always uncommitted when it is executed)
    commit, dirty = git_state(repo, ("src", "pyproject.toml"))
    declared = declared_datasets(nb)
    return {
        "scale": scale,
        "cpu": cpu_name(),
        "cpu_count": os.cpu_count(),
        "gpu": gpu_name(),
        "wall_s": round(wall_s, 1),
        "date_utc": date,
        "charlab_version": charlab.__version__,
        "git_commit": commit,
        "git_dirty": dirty,
        "datasets": dataset_hashes(list(declared), cwd),
        "python": platform.python_version(),
        "code_sha256": code_sha256(nb),
        "outputs_sha256": outputs_sha256(nb),
        "runs": runs or [],
        "modules": module_hashes(modules or []),
    }


def charlab_metadata(nb: nbformat.NotebookNode) -> dict:
    """The notebook's `metadata.charlab` ({} when it has none); one that is not an object is a CharlabError."""
    meta = nb.metadata.get("charlab", {})
    if not isinstance(meta, dict):
        raise CharlabError(f"its charlab metadata is not an object but {_json_type(meta)}: it must be "
                           '{"datasets": [...], ...} (fix the notebook\'s metadata)')
    return meta


def declared_datasets(nb: nbformat.NotebookNode) -> list[str]:
    """The dataset names the notebook declares in `metadata.charlab.datasets`; anything but a list of names is a
    CharlabError."""
    declared = charlab_metadata(nb).get("datasets", [])
    if not isinstance(declared, list) or not all(isinstance(n, str) for n in declared):
        raise CharlabError(f"its metadata.charlab.datasets is not a list of dataset names but {declared!r:.60} "
                           "(fix the notebook's metadata)")
    return list(declared)


def _json_type(value: object) -> str:
    names = {str: "a string", list: "a list", int: "a number", float: "a number", bool: "a boolean"}
    return next((n for t, n in names.items() if type(value) is t), "null" if value is None else type(value).__name__)


def module_source(name: str) -> Path | None:
    """The source file of charlab module `name` (`charlab.x.y` -> src/charlab/x/y.py or .../y/__init__.py)."""
    if name != "charlab" and not name.startswith("charlab."):
        return None
    base = Path(charlab.__file__).parent.joinpath(*name.split(".")[1:])
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


def module_hashes(names: list[str]) -> dict[str, str]:
    """{module: sha256 of its source} for the charlab modules among `names` that have a source file."""
    return {n: hashlib.sha256(p.read_bytes()).hexdigest() for n in sorted(names) if (p := module_source(n))}


def changed_modules(recorded: dict[str, str]) -> list[str]:
    """The recorded modules whose source differs today (or is gone)."""
    return [n for n, digest in recorded.items() if module_hashes([n]).get(n) != digest]




def stamp_markdown(stamp: dict) -> str:
    """The reader-facing stamp: plain Markdown, so Jupyter, Colab and the book all render it."""
    device = f"{stamp['cpu']} ({stamp['cpu_count']} cores)"
    if stamp.get("gpu"):
        device += f", GPU {stamp['gpu']}"
    commit = stamp.get("git_commit")
    code = f"charlab {stamp['charlab_version']}"
    if commit:
        code += f", commit `{commit[:12]}`"
        if stamp.get("git_dirty"):
            code += " + uncommitted changes"
    lines = [
        f"> **Run stamp.** The outputs on this page were produced by "
        f"`python -m charlab.book execute --scale {stamp['scale']}`.",
        ">",
        f"> - **Scale:** `{stamp['scale']}`",
        f"> - **Device:** {device}",
        f"> - **Wall time:** {format_duration(stamp['wall_s'])}",
        f"> - **Date:** {stamp['date_utc']}",
        f"> - **Code:** {code}",
    ]
    if stamp["datasets"]:
        data = "; ".join(f"`{name}` sha256 `{digest}`" for name, digest in stamp["datasets"].items())
        lines.append(f"> - **Data:** {data}")
    else:
        lines.append("> - **Data:** none")
    if stamp.get("runs"):
        lines.append(f"> - **Training:** {_runs_markdown(stamp['runs'])}")
    return "\n".join(lines)


def _runs_markdown(runs: list[dict]) -> str:
    """Which runs this execution trained and which it reused, with when and where the reused ones were trained,
    so a short wall time is never mistaken for the cost of the training."""
    def bf16(r: dict) -> str:  # how it was trained, where that is not the plain single-process fp32
        return (", bf16" if r.get("precision") == "bf16" else "") + (
            f", {r['world_size']} processes" if r.get("world_size", 1) > 1 else "")

    trained = [f"`{r['run']}` ({format_duration(r['train_s'])}{bf16(r)})" for r in runs if not r["reused"]]
    reused = [f"`{r['run']}` (trained {r['trained_utc']} in {format_duration(r['train_s'])} on {r['device']}{bf16(r)})"
              for r in runs if r["reused"]]
    parts = ([f"trained here: {', '.join(trained)}"] if trained else []) + (
        [f"reused finished runs with the same config, data and training code: {', '.join(reused)}"] if reused else [])
    return "; ".join(parts)


def apply_stamp(nb: nbformat.NotebookNode, stamp: dict) -> None:
    """Store the stamp in metadata and as the tagged cell after the title (replacing an earlier one)."""
    charlab_metadata(nb)  # an object, or none yet
    nb.metadata.setdefault("charlab", {})["stamp"] = stamp
    nb.cells = [c for c in nb.cells if STAMP_TAG not in c.get("metadata", {}).get("tags", [])]
    cell = nbformat.v4.new_markdown_cell(stamp_markdown(stamp), metadata={"tags": [STAMP_TAG]})
    if "id" in cell:  # nbformat >= 4.5 cells have ids: a fixed one keeps re-execution diffs small
        cell["id"] = STAMP_TAG
    title_at = 0 if nb.cells and nb.cells[0].cell_type == "markdown" else -1
    nb.cells.insert(title_at + 1, cell)


def stale_reason(nb: nbformat.NotebookNode) -> str | None:
    """Why this notebook's outputs cannot be trusted to come from its code, or None when they can. A stamp without
    `outputs_sha256` (made before stamps carried it, or with the key deleted) cannot vouch for its outputs, and the
    visible stamp cell must say what the stamp's data says."""
    try:
        meta = charlab_metadata(nb)
    except CharlabError as e:
        return str(e)
    stamp = meta.get("stamp")
    if not isinstance(stamp, dict) or not stamp:
        return "has no run stamp (execute it with `python -m charlab.book execute`)"
    if stamp.get("code_sha256") != code_sha256(nb):
        return "code cells changed since it was executed (re-execute it)"
    modules = stamp.get("modules")
    if not isinstance(modules, dict) or not modules:
        return ("its stamp does not record the charlab modules it used, so a change to them cannot be seen "
                "(re-execute it)")
    changed = changed_modules(modules)
    if changed:
        shown = ", ".join(changed[:5]) + (f" and {len(changed) - 5} more" if len(changed) > 5 else "")
        return f"charlab code it used changed since it was executed: {shown} (re-execute it)"
    if "outputs_sha256" not in stamp:
        return "its stamp has no outputs_sha256, so its outputs cannot be checked against it (re-execute it)"
    if stamp["outputs_sha256"] != outputs_sha256(nb):
        return "outputs differ from what its execution produced: edited by hand? (re-execute it)"
    gaps = figure_gaps(nb)
    if gaps:
        return (f"cell(s) {', '.join(map(str, gaps))} draw a figure but store no image: the figures were lost "
                "(re-execute it with an inline backend, as `python -m charlab.book execute` does)")
    shown = [c.source for c in nb.cells if STAMP_TAG in c.get("metadata", {}).get("tags", [])]
    try:
        declared = declared_datasets(nb)  # the order the stamp lists them in (JSON sorts keys)
    except CharlabError as e:
        return str(e)
    try:
        data = stamp["datasets"]
        in_order = {**stamp, "datasets": {n: data[n] for n in [*declared, *sorted(data)] if n in data}}
        expected = stamp_markdown(in_order)
    except (KeyError, TypeError, ValueError):
        return "its stamp's data is incomplete or malformed (re-execute it)"
    if shown != [expected]:
        return "its visible run stamp does not say what the stamp's data says: edited by hand? (re-execute it)"
    if stamp.get("scale") == "smoke":
        return "holds smoke-scale outputs, which are for CI only (re-execute it with --scale cpu or blog)"
    return None


def images(cell: nbformat.NotebookNode) -> int:
    """How many images a code cell's stored outputs hold."""
    return sum(any(t in out.get("data", {}) for t in IMAGE_TYPES) for out in cell.get("outputs", []))


def figure_gaps(nb: nbformat.NotebookNode) -> list[int]:
    """The indices of code cells that draw a figure but store no image. A cell that draws only inside an `if`
    (a figure of a committed result that may not exist yet) is a gap only when it stored nothing at all: the
    branch that ran must say why there is no figure."""
    return [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and DRAWS.search(c.source) and not images(c)
            and not (draws_only_conditionally(c.source) and c.get("outputs"))]


def draws_only_conditionally(source: str) -> bool:
    """True when every line of `source` that draws lies inside the body or else-branch of an `if`."""
    drawing = {n for n, line in enumerate(source.splitlines(), 1) if DRAWS.search(line)}
    try:
        tree = ast.parse(source)
    except SyntaxError:  # IPython syntax (magics): judged as drawing unconditionally
        return False
    inside: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If):
            for child in [*node.body, *node.orelse]:
                inside.update(range(child.lineno, (child.end_lineno or child.lineno) + 1))
    return bool(drawing) and drawing <= inside


def outputs_sha256(nb: nbformat.NotebookNode) -> str:
    """sha256 over the outputs of the code cells `code_sha256` covers, in order, in the form the .ipynb file stores
    (a write and a read do not change it), so an output edited by hand no longer matches the stamp."""
    stored = nbformat.reads(nbformat.writes(nb), as_version=4)
    outputs = [cell.get("outputs", []) for cell in stored.cells
               if cell.cell_type == "code" and "colab-setup" not in cell.metadata.get("tags", [])]
    return hashlib.sha256(json.dumps(outputs, sort_keys=True).encode("utf-8")).hexdigest()
