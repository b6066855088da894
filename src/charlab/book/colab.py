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

import re
from pathlib import Path

import nbformat
import yaml

from charlab.book.chapters import chapter_of
from charlab.errors import CharlabError

COLAB_TAG = "colab-setup"
# https://github.com/OWNER/REPO and nothing else: GitHub's characters for an owner (letters, digits, inner hyphens, at
# most 39) and a repository (letters, digits, '.', '-', '_'), so that no value from _config.yml can leave the
# string it is written into in the cell every Colab reader runs.
GITHUB_URL = re.compile(r"https://github\.com/(?P<owner>[A-Za-z0-9](?:[A-Za-z0-9-]{0,37}[A-Za-z0-9])?)/"
                        r"(?P<repo>[A-Za-z0-9._-]{1,100}?)(?:\.git)?/?")
DATASET_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")


def repository_url(book: Path) -> str:
    """`repository.url` of the book's `_config.yml`, without a trailing slash or `.git`."""
    path = Path(book) / "_config.yml"
    try:
        config = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError as e:
        raise CharlabError(f"{path}: cannot read the book's config ({e.strerror})") from None
    repository = config.get("repository") if isinstance(config, dict) else None
    url = repository.get("url") if isinstance(repository, dict) else None
    return check_url(url, str(path))


def check_url(url: object, where: str = "repository.url") -> str:
    """`url` as `https://github.com/OWNER/REPO` (a trailing slash or `.git` dropped), or a one-line error for
    anything else: another host, a path below the repository, a query, a quote, a space or a newline."""
    match = GITHUB_URL.fullmatch(url) if isinstance(url, str) else None
    if not match or match["repo"] in (".", ".."):
        shown = repr(url) if len(repr(url)) <= 80 else repr(url)[:77] + "..."
        raise CharlabError(f"{where}: repository.url must be a GitHub repository URL, https://github.com/OWNER/REPO "
                           f"(letters, digits, '-', '.', '_'), got {shown}")
    return f"https://github.com/{match['owner']}/{match['repo']}"


def setup_source(url: str, datasets: list[str]) -> str:
    """The setup cell for a chapter that reads `datasets`, installing charlab from `url`. Both are checked first
    (`check_url`; dataset names are plain lowercase words), so that no value can leave its place in the cell."""
    url = check_url(url)
    for name in datasets:
        if not isinstance(name, str) or not DATASET_NAME.fullmatch(name):
            raise CharlabError(f"metadata.charlab.datasets: {name!r} is not a dataset name (lowercase letters, "
                               "digits, '-' and '_')")
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


def expected_source(nb: nbformat.NotebookNode, url: str, path: Path | None = None) -> str:
    """The cell for the notebook at `path`: a chapter fetches the datasets `charlab/chapters.json` gives it, any
    other notebook those of its metadata."""
    chapter = chapter_of(path) if path is not None else None
    datasets = chapter.datasets if chapter else nb.metadata.get("charlab", {}).get("datasets", [])
    return setup_source(url, list(datasets))


def check(paths: list[Path], url: str) -> list[str]:
    """One line per notebook whose setup cell is not the generated one (empty when all agree)."""
    problems = []
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        if _setup_cell(nb, path).source != expected_source(nb, url, path):
            problems.append(f"{path}: its {COLAB_TAG} cell does not install from {url} as generated "
                            "(run `python -m charlab.book colab-cells`)")
    return problems


def sync(paths: list[Path], url: str) -> list[Path]:
    """Rewrite every setup cell that differs from the generated one; returns the notebooks changed."""
    changed = []
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        cell = _setup_cell(nb, path)
        want = expected_source(nb, url, path)
        if cell.source != want:
            cell.source = want
            cell.outputs = []
            try:
                nbformat.write(nb, path)
            except OSError as e:
                raise CharlabError(f"{path}: cannot rewrite its {COLAB_TAG} cell ({e.strerror})") from None
            changed.append(path)
    return changed
