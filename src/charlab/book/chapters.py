"""The chapters of the book as data (`src/charlab/chapters.json`, in reading order): what the TOC check, the Colab
cells and the preset tests must know about a chapter. The core may not import the chapter modules
(`charlab.chapters`), so this is data it reads. Adding a chapter: see CONTRIBUTING.md.

Each entry:
- `notebook`: notebooks/<notebook>.ipynb, listed in this order under "Chapters" in _toc.yml (`check-toc` checks);
- `module`: charlab.chapters.<module>, the chapter's glue (its SIZES per scale live there);
- `title`: the notebook's first heading;
- `datasets`: what the chapter reads: its Colab cell fetches them (and its metadata, which the stamp hashes, must
  name the same: a test checks);
- `experiments`: the experiments it trains with `run_experiment(name, SCALE)`: each has presets at every scale.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from charlab.errors import CharlabError

DESCRIPTOR = Path(__file__).resolve().parents[1] / "chapters.json"


@dataclass(frozen=True)
class Chapter:
    notebook: str
    module: str
    title: str
    datasets: tuple[str, ...]
    experiments: tuple[str, ...]


def chapters(path: Path = DESCRIPTOR) -> list[Chapter]:
    """Every chapter, in reading order."""
    try:
        rows = json.loads(path.read_text(encoding="utf-8"))["chapters"]
        return [Chapter(r["notebook"], r["module"], r["title"], tuple(r["datasets"]), tuple(r["experiments"]))
                for r in rows]
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise CharlabError(f"{path}: not a readable chapter descriptor ({type(e).__name__}: {e})") from None


def chapter_of(notebook: Path) -> Chapter | None:
    """The chapter whose notebook is `notebook` (by file name), or None for any other notebook."""
    return next((c for c in chapters() if c.notebook == Path(notebook).stem), None)
