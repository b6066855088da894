"""Which files the book is made of, from _toc.yml, and a check that they all exist.

Jupyter Book only warns (deep in its log) about a TOC entry with no file; the build script checks first so a
missing chapter fails with one clear line.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from charlab.errors import CharlabError

SUFFIXES = (".md", ".ipynb")


def toc_entries(toc: Path) -> list[str]:
    """Every `root`/`file` entry of a jb-book TOC, in reading order (without extension)."""
    data = yaml.safe_load(Path(toc).read_text("utf-8"))
    entries = [data["root"]] if "root" in data else []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if "file" in node:
                entries.append(node["file"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk({k: v for k, v in data.items() if k != "root"})
    return entries


def resolve(book: Path, entry: str) -> Path | None:
    """The file a TOC entry names, or None when it does not exist."""
    path = book / entry
    if path.suffix in SUFFIXES:
        return path if path.is_file() else None
    for suffix in SUFFIXES:
        if path.with_suffix(suffix).is_file():
            return path.with_suffix(suffix)
    return None


def check_toc(book: Path) -> list[Path]:
    """All files of the book, or CharlabError naming every TOC entry that has no file."""
    toc = Path(book) / "_toc.yml"
    if not toc.is_file():
        raise CharlabError(f"no _toc.yml in {book}: run this from the repository root")
    files, missing = [], []
    for entry in toc_entries(toc):
        found = resolve(Path(book), entry)
        (files if found else missing).append(found or entry)
    if missing:
        raise CharlabError(
            f"_toc.yml lists {len(missing)} file(s) that do not exist: {', '.join(map(str, missing))}"
            " (write them, or remove them from _toc.yml)"
        )
    return files


def check_chapters(book: Path) -> None:
    """The notebooks _toc.yml lists are the chapters of `charlab/chapters.json`, in its order (one line naming the
    difference otherwise), so a new chapter cannot be in the one and not the other."""
    from charlab.book.chapters import chapters

    listed = [Path(e).name for e in toc_entries(Path(book) / "_toc.yml") if e.startswith("notebooks/")]
    described = [c.notebook for c in chapters()]
    if listed != described:
        raise CharlabError(f"_toc.yml lists the chapters {listed} but src/charlab/chapters.json describes {described}:"
                           " make them the same, in the same order")
