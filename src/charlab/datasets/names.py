"""The baby-names corpus as chapter 4 and the results runner train on it: shuffled, split by whole lines.

The CMU file is sorted (male names, then female names), so an unshuffled tail would be a validation set of female
Z-names. `prepare_names` shuffles the lines with a fixed seed and holds out the last `val_frac` of them; the
shuffled text goes to one file, training lines first, and `NamesSplit.val_frac` is the character fraction at which
charlab's contiguous train/val split (`charlab.batching.split_ids`) falls exactly on the line boundary.
"""

from __future__ import annotations

import os
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from charlab.errors import CharlabError
from charlab.text import read_text


def _join(lines: Sequence[str]) -> str:
    return "".join(line + "\n" for line in lines)


@dataclass(frozen=True)
class NamesSplit:
    """A shuffled names corpus split by lines: `path` holds the training lines, then the validation lines."""

    path: Path
    train_names: list[str]
    val_names: list[str]
    seed: int

    @property
    def train_text(self) -> str:
        return _join(self.train_names)

    @property
    def val_text(self) -> str:
        return _join(self.val_names)

    @property
    def text(self) -> str:
        return self.train_text + self.val_text

    @property
    def val_frac(self) -> float:
        """Pass as `val_frac=` to training: charlab's character split then ends exactly on a line boundary."""
        return len(self.val_text) / len(self.text)


def read_names(path: str | os.PathLike) -> list[str]:
    """The names of a one-name-per-line file, in file order; empty lines are dropped, other lines kept as-is."""
    return [line for line in read_text(path).split("\n") if line.strip()]


def prepare_names(source: str | os.PathLike, seed: int = 0, val_frac: float = 0.1,
                  out_dir: str | os.PathLike | None = None) -> NamesSplit:
    """Shuffle the names of `source` with `seed`, hold out the last `val_frac` of the lines as validation names,
    and write the shuffled text to `out_dir/shuffled-<seed>.txt` (default: beside `source`).

    The file is rewritten only when its content would change, so a second call is cheap and a run's data hash
    stays stable.
    """
    names = read_names(source)
    if not 0 < val_frac < 1:
        raise CharlabError(f"val_frac must be between 0 and 1, got {val_frac}")
    n_val = round(len(names) * val_frac)
    if n_val < 1 or n_val >= len(names):
        raise CharlabError(f"{source}: {len(names)} names are too few to hold out {val_frac:.0%} as validation "
                           "names; use a longer file or another val_frac")
    random.Random(seed).shuffle(names)
    split = NamesSplit(Path(out_dir or Path(source).parent) / f"shuffled-{seed}.txt",
                       names[:-n_val], names[-n_val:], seed)
    text = split.text
    if round(len(text) * split.val_frac) != len(split.val_text):  # what charlab.batching.split_ids computes
        raise AssertionError("the character split would not fall on the line boundary")
    path = split.path
    if not (path.is_file() and path.read_text(encoding="utf-8") == text):
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)  # atomic: a concurrent reader sees the old file or the new one, never half
    return split
