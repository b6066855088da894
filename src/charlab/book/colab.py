"""The first code cell of every chapter (tag `colab-setup`), generated from one source of truth.

The repository URL lives in one place: `_config.yml`'s `repository.url`, which also makes the book's "Open in
Colab" buttons. Each chapter's setup cell installs charlab from that URL and fetches the chapter's datasets
(`metadata.charlab.datasets`) when the notebook runs on Colab, and turns on Colab's custom widget manager for the
chapter's widgets; anywhere else it does nothing.

`python -m charlab.book colab-cells` rewrites the cells from `_config.yml`; `--check` (run by the tests) fails
when a notebook's cell differs from the generated one. Because the cell does nothing outside Colab, it is left
out of the code hash that `check-stale` compares (`charlab.book.stamp.code_sha256`): a fork that edits the URL
and rewrites the cells does not have to re-execute the book.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import yaml

from charlab.errors import CharlabError

COLAB_TAG = "colab-setup"


def repository_url(book: Path) -> str:
    """`repository.url` of the book's `_config.yml`, without a trailing slash or `.git`."""
    path = Path(book) / "_config.yml"
    try:
        config = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError as e:
        raise CharlabError(f"{path}: cannot read the book's config ({e.strerror})") from None
    url = (config.get("repository") or {}).get("url") if isinstance(config, dict) else None
    if not isinstance(url, str) or not url.startswith("https://github.com/"):
        raise CharlabError(f"{path}: repository.url must be a GitHub URL (https://github.com/OWNER/REPO), got {url!r}")
    url = url.rstrip("/")
    return url[: -len(".git")] if url.endswith(".git") else url


def setup_source(url: str, datasets: list[str]) -> str:
    """The setup cell for a chapter that reads `datasets`, installing charlab from `url`."""
    fetch = f"    !python -m charlab.datasets {' '.join(datasets)}\n" if datasets else ""
    return (
        "# On Colab: install charlab from the book's repository, fetch this chapter's data and enable the widgets.\n"
        "# Anywhere else this cell does nothing. (Generated from _config.yml: python -m charlab.book colab-cells)\n"
        "import sys\n"
        'if "google.colab" in sys.modules:\n'
        f'    %pip install -q "charlab @ git+{url}"\n'
        f"{fetch}"
        "    from google.colab import output\n"
        "    output.enable_custom_widget_manager()"
    )


def _setup_cell(nb: nbformat.NotebookNode, path: Path) -> nbformat.NotebookNode:
    cells = [c for c in nb.cells if c.cell_type == "code" and COLAB_TAG in c.metadata.get("tags", [])]
    if len(cells) != 1:
        raise CharlabError(f"{path}: needs exactly one code cell tagged {COLAB_TAG!r}, found {len(cells)}")
    return cells[0]


def expected_source(nb: nbformat.NotebookNode, url: str) -> str:
    return setup_source(url, list(nb.metadata.get("charlab", {}).get("datasets", [])))


def check(paths: list[Path], url: str) -> list[str]:
    """One line per notebook whose setup cell is not the generated one (empty when all agree)."""
    problems = []
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        if _setup_cell(nb, path).source != expected_source(nb, url):
            problems.append(f"{path}: its {COLAB_TAG} cell does not install from {url} as generated "
                            "(run `python -m charlab.book colab-cells`)")
    return problems


def sync(paths: list[Path], url: str) -> list[Path]:
    """Rewrite every setup cell that differs from the generated one; returns the notebooks changed."""
    changed = []
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        cell = _setup_cell(nb, path)
        want = expected_source(nb, url)
        if cell.source != want:
            cell.source = want
            cell.outputs = []
            nbformat.write(nb, path)
            changed.append(path)
    return changed
