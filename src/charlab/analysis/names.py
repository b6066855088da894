"""Measures for generated baby names: are they new, and do they look like names?

The post says about 90% of its sampled names do not occur in the training data. `novelty_rate` measures that
for our samples (case-insensitive exact match, after trimming surrounding whitespace), and `well_formed_rate`
checks the other half of the claim: a new name is only interesting if it still looks like a name.

"Looks like a name" is judged against the training corpus itself, not a hand-written rule: the allowed
characters are exactly those that occur in the training names (`name_alphabet`). In the CMU corpus that means
letters plus space, hyphen and apostrophe ("Jo Ann", "Jean-Luc", "E'Lane").
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass


def normalize_name(name: str) -> str:
    """How names are compared everywhere: trailing spaces dropped, case ignored."""
    return name.strip().lower()


def name_set(training_names: Iterable[str]) -> set[str]:
    """Training names normalised for exact matching: trimmed and lower-cased; empty lines dropped."""
    return {n for n in map(normalize_name, training_names) if n}


def is_novel(name: str, known: set[str]) -> bool:
    """True when `name` (trimmed, case-insensitive) is not in `known`, a `name_set` of the training names."""
    return normalize_name(name) not in known


def novelty_rate(samples: Iterable[str], training_names: Iterable[str]) -> float:
    """Share of the non-empty samples that are not training names (case-insensitive exact match).

    Empty samples (a model that emits "\\n\\n") are neither novel nor copied, so they are left out here and
    counted as not well-formed by `well_formed_rate`. Duplicates among the samples all count. NaN if no sample
    is non-empty.
    """
    known = name_set(training_names)
    names = [s for s in samples if s.strip()]
    if not names:
        return math.nan
    return sum(normalize_name(s) not in known for s in names) / len(names)


@dataclass(frozen=True)
class NameAlphabet:
    """The characters allowed in a name: the letters and the punctuation seen in the training names."""

    letters: frozenset[str]
    punctuation: frozenset[str]

    @property
    def chars(self) -> frozenset[str]:
        return self.letters | self.punctuation


def name_alphabet(training_names: Iterable[str]) -> NameAlphabet:
    """Collect the characters of the (trimmed) training names, split into letters and punctuation."""
    chars = {c for n in training_names for c in n.strip()}
    return NameAlphabet(letters=frozenset(c for c in chars if c.isalpha()),
                        punctuation=frozenset(c for c in chars if not c.isalpha()))


def well_formed(name: str, alphabet: NameAlphabet) -> bool:
    """A name is well formed when, after trimming surrounding whitespace, it is non-empty, starts with an
    upper-case letter and uses only the training names' letters and punctuation (see `name_alphabet`)."""
    s = name.strip()
    return bool(s) and s[0].isupper() and s[0].isalpha() and all(c in alphabet.chars for c in s)


def well_formed_rate(samples: Iterable[str], alphabet: NameAlphabet) -> float:
    """Share of all samples (empty ones included) that are `well_formed`. NaN for no samples."""
    names = list(samples)
    return sum(well_formed(n, alphabet) for n in names) / len(names) if names else math.nan


def split_names(text: str) -> list[str]:
    """Split sampled text into names, one per line, trimmed; empty lines stay as "" (so they count).

    A final line without a newline is dropped: a sample cut at a fixed length usually ends inside a name.
    """
    lines = text.split("\n")[:-1]
    return [line.strip() for line in lines]
