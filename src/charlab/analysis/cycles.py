"""Detect a repeating loop in a sample, like the post's near-zero-temperature "infinite loop about startups".

At very low temperature a character model keeps choosing its most likely continuation, and once the text
repeats, the state that produced it tends to repeat too:

    "is that they were all the same thing that was a startup is that they were all the same thing ..."

`find_cycle` finds the longest stretch of the text that is periodic, i.e. where `text[i] == text[i + period]`
for every position in it, and reports the period, where it starts, how many times the unit repeats and the
unit itself. How: for each candidate period p, compare the text with itself shifted by p (one vectorised numpy
comparison) and take the longest run of matches; a run of length L starting at i means `text[i : i + L + p]`
repeats with period p. Total cost O(len(text) * max_period), a few milliseconds for a 2,000-character sample.

A stretch with period 56 also has period 112, 168, ...: among equally long stretches the smallest period wins,
and the winning unit is reduced to its primitive root ("abab" -> "ab") so the reported period is the true one.
Repeats shorter than `min_period` (a run of spaces, "ha ha ha") are not loops and are ignored.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from charlab.analysis.textstats import codepoints
from charlab.errors import CharlabError


@dataclass(frozen=True)
class Cycle:
    """A periodic stretch `text[start:end]`: `unit` repeated `repeats` times (the last one may be partial)."""

    period: int  # length of the repeated unit in characters
    start: int  # offset of the first character of the periodic stretch
    end: int  # offset one past its last character
    unit: str  # text[start : start + period]
    reaches_end: bool  # the loop runs until the end of the text (it never escaped)

    @property
    def length(self) -> int:
        """Characters covered by the loop."""
        return self.end - self.start

    @property
    def repeats(self) -> float:
        """How many times the unit occurs, counting a final partial repeat as a fraction."""
        return self.length / self.period

    @property
    def full_repeats(self) -> int:
        """How many complete copies of the unit the loop contains."""
        return self.length // self.period



def _runs(match: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and end (exclusive) of the maximal runs of True in a boolean array."""
    edges = np.diff(np.concatenate(([0], match.view(np.int8), [0])))
    return np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)


def _primitive_period(unit: str) -> int:
    """Length of the shortest string whose repetition gives `unit` ("abcabc" -> 3)."""
    return (unit + unit).find(unit, 1)


def find_cycle(
    text: str,
    min_period: int = 4,
    min_repeats: float = 3.0,
    max_period: int | None = None,
    min_length: int = 0,
) -> Cycle | None:
    """Return the longest periodic stretch of `text` (see the module docstring), or None if there is none.

    A stretch qualifies when its primitive period is at least `min_period` (and at most `max_period`, default
    len(text) / min_repeats), the unit occurs at least `min_repeats` times (fractions count) and the stretch
    covers at least `min_length` characters. Raise `min_length` (say to 100) to ignore short natural
    repetitions such as "no, no, no, no".
    """
    if min_period < 1:
        raise CharlabError(f"min_period must be >= 1, got {min_period}")
    if min_repeats <= 1:
        raise CharlabError(f"min_repeats must be > 1, got {min_repeats}")
    codes = codepoints(text)
    n = len(codes)
    top = int(n / min_repeats) if max_period is None else min(max_period, int(n / min_repeats))

    # Candidate (coverage, period, start) for every period: the longest run of self-matches at that shift.
    candidates: list[tuple[int, int, int]] = []
    for p in range(min_period, top + 1):
        starts, ends = _runs(codes[:-p] == codes[p:])
        if len(starts) == 0:
            continue
        lengths = ends - starts
        keep = (lengths + p >= max(min_repeats * p, min_length)).nonzero()[0]
        for j in keep:
            candidates.append((int(lengths[j]) + p, p, int(starts[j])))

    # Longest first; among equal coverage the smallest period. Reduce each to its primitive period and keep
    # the first that is still a loop of at least `min_period` (a stretch of spaces has primitive period 1).
    for coverage, p, start in sorted(candidates, key=lambda c: (-c[0], c[1], c[2])):
        q = _primitive_period(text[start : start + p])
        if q < min_period:
            continue
        if q < p:  # the same stretch, measured with its true period: extend the run of period-q matches
            match = codes[:-q] == codes[q:]
            starts, ends = _runs(match)
            j = int(np.searchsorted(starts, start, side="right")) - 1
            start, end = int(starts[j]), int(ends[j]) + q
        else:
            end = start + coverage
        return Cycle(period=q, start=start, end=end, unit=text[start : start + q], reaches_end=end == n)
    return None
