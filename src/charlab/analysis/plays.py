"""Measures of play format: speaker names and line lengths in Shakespeare samples.

The post shows Shakespeare samples with speaker names and verse lines; here we count how many sampled names
are real characters and whether the sampled lines have the real text's lengths (a commenter noticed the RNN
gets line lengths right). Two layouts occur in our data, and samples imitate whichever layout they were
trained on:

* colon style (tiny Shakespeare, and the post's own training file): the name alone on a line after a blank
  line, ending in a colon::

      KING RICHARD III:
      So shall I be, and lose my crown...

* Gutenberg style (the complete works in our `shakespeare` dataset): the name, upper-case or a mixed-case
  abbreviation, indented by exactly two spaces and ended by a full stop, with the speech on the same line and
  continuation lines indented by four::

        HAMLET. To be, or not to be...
        Ham. Whither wilt thou lead me?
        MRS. OVERDONE. Well, well!

Beyond the tags, the Shakespeare chapter needs to know which layout a text uses (`play_layout`), to start a
sample the way the training text starts a speech (`speaker_prime`, `pick_speaker`) and to cut samples into
whole speeches (`speeches`, `longest_speech`) to find the longest monologue. One set of tag patterns serves
all of it, so every function agrees on what a speaker tag is.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

import numpy as np

from charlab.errors import CharlabError

# Colon style: a whole line of at most five name words (capitalised, upper-case, or small joining words such
# as "of" and "the"), preceded by a blank line or the start of the text. Requiring the blank line keeps verse
# lines that happen to end in a colon ("Say no more:") out.
_NAME_WORD = r"(?:[A-Z][A-Za-z'\-]*|of|the|and|de|la|du)"
_COLON_RE = re.compile(rf"(?:\A|(?<=\n\n))(?P<name>[A-Z][A-Za-z'\-]*(?: {_NAME_WORD}){{0,4}}):[ \t]*$", re.M)

# Gutenberg style: two spaces (not three), then either upper-case words ("KING HENRY", "MRS. OVERDONE") or a
# mixed-case abbreviation of at most two space-separated words ("Ham", "Lady P", "Old Man"), then ". " or "."
# at the line end. The abbreviation is matched lazily so "Ham. Speak." gives "Ham", not "Ham. Speak".
_UPPER = r"[A-Z][A-Z'\-]*(?:\.? [A-Z][A-Z'\-]*){0,3}"
_ABBREV = r"[A-Z][a-z'\-]+(?: [A-Z][a-z'\-]*)??"
_GUTENBERG_RE = re.compile(rf"^  (?P<name>{_UPPER}|{_ABBREV})\.(?: |$)", re.M)

Style = Literal["auto", "colon", "gutenberg"]
Layout = Literal["colon", "gutenberg"]


def speaker_names(text: str, style: Style = "auto") -> list[str]:
    """The speaker tags of a play-format text, in order of appearance (with repeats), without ':' or '.'.

    `style` picks the layout (see the module docstring); "auto" uses whichever finds more tags. A sample that
    starts mid-line may yield a clipped first name (its first line counts as following a blank line), so
    start samples at a line boundary when you can.
    """
    if style == "colon":
        return [m.group("name") for m in _COLON_RE.finditer(text)]
    if style == "gutenberg":
        return [m.group("name").strip() for m in _GUTENBERG_RE.finditer(text)]
    if style == "auto":
        colon, gutenberg = speaker_names(text, "colon"), speaker_names(text, "gutenberg")
        return colon if len(colon) >= len(gutenberg) else gutenberg
    raise CharlabError(f"unknown play layout {style!r}; use 'auto', 'colon' or 'gutenberg'")


def real_speaker_share(sample: str, reference_speakers: Iterable[str], case_insensitive: bool = True,
                       style: Style = "auto") -> float:
    """Share of the sample's speaker tags (with repeats) that are tags of the training text.

    Build `reference_speakers` with `set(speaker_names(training_text))`. "Real" means the exact tag occurs in
    the training text (case-insensitively by default), so in the Gutenberg layout "Ham" and "HAMLET" are both
    real, and an invented "KING LEAR OF YORK" is not. NaN when the sample has no speaker tag.
    """
    return real_tag_share(speaker_names(sample, style), reference_speakers, case_insensitive)


def real_tag_share(tags: Iterable[str], reference_speakers: Iterable[str], case_insensitive: bool = True) -> float:
    """Share of `tags` (with repeats: e.g. the tags of many samples pooled) that are in `reference_speakers`;
    NaN when there is no tag."""
    tags = list(tags)
    if not tags:
        return math.nan
    norm = str.lower if case_insensitive else (lambda s: s)
    ref = {norm(s) for s in reference_speakers}
    return sum(norm(t) in ref for t in tags) / len(tags)


def line_lengths(text: str, skip_blank: bool = True, complete_only: bool = True) -> np.ndarray:
    """Length in characters of each line of `text` (trailing spaces included), as an int array.

    Blank lines are left out when `skip_blank` (they separate speeches, they are not verse). With
    `complete_only`, a last line without a final newline is left out: a sample cut at a fixed length usually
    ends mid-line, and that clipped line would bias the distribution towards short lines.
    """
    lines = text.split("\n")
    if complete_only:
        lines = lines[:-1]  # after the last "\n" there is either "" or an unfinished line
    return np.array([len(x) for x in lines if x.strip() or not skip_blank], dtype=np.int64)


@dataclass(frozen=True)
class LengthComparison:
    """Two line-length distributions on shared integer bins, and how far apart they are."""

    edges: np.ndarray  # bin edges: bin i holds lengths in [edges[i], edges[i+1])
    p: np.ndarray  # normalised histogram of the sample
    q: np.ndarray  # normalised histogram of the reference
    tv: float  # total variation distance, 0.5 * sum |p - q|: 0 identical, 1 disjoint
    ks: float  # Kolmogorov-Smirnov statistic: largest gap between the two cumulative distributions
    mean_sample: float
    mean_reference: float


def compare_lengths(sample: np.ndarray, reference: np.ndarray, bin_width: int = 1,
                    max_length: int | None = None) -> LengthComparison:
    """Compare the line lengths of a sample with those of the reference text (e.g. `line_lengths` of each).

    Lengths above `max_length` (default: the largest seen) go into the last bin. The total variation distance
    is the share of lines that would have to change bin to turn one histogram into the other; it grows with
    finer bins on small samples, so compare values computed with the same `bin_width` and similar sample
    sizes.
    The KS statistic is computed on the exact lengths and does not depend on binning.
    """
    a, b = np.asarray(sample, dtype=np.int64), np.asarray(reference, dtype=np.int64)
    if len(a) == 0 or len(b) == 0:
        raise CharlabError("both line-length distributions need at least one line")
    top = int(max(a.max(), b.max())) if max_length is None else max_length
    edges = np.arange(0, top + bin_width + 1, bin_width)
    p = np.histogram(np.minimum(a, top), edges)[0] / len(a)
    q = np.histogram(np.minimum(b, top), edges)[0] / len(b)
    grid = np.arange(int(min(a.min(), b.min())), int(max(a.max(), b.max())) + 1)
    cdf_a = np.searchsorted(np.sort(a), grid, side="right") / len(a)
    cdf_b = np.searchsorted(np.sort(b), grid, side="right") / len(b)
    return LengthComparison(edges=edges, p=p, q=q, tv=0.5 * float(np.abs(p - q).sum()),
                            ks=float(np.abs(cdf_a - cdf_b).max()), mean_sample=float(a.mean()),
                            mean_reference=float(b.mean()))


def play_layout(text: str) -> Layout:
    """The layout of a play-format text: the one whose tags `speaker_names` finds more often ("colon" on a tie)."""
    colon, gutenberg = speaker_names(text, "colon"), speaker_names(text, "gutenberg")
    return "colon" if len(colon) >= len(gutenberg) else "gutenberg"


def speaker_prime(name: str, layout: Layout) -> str:
    """The text that opens a speech by `name` in `layout`, to prime a sample with.

    Colon layout: a blank line, the name alone on its line with a colon, then the speech on the next line.
    Gutenberg layout: a new line, two spaces, the name and a full stop, the speech on the same line.
    """
    if layout == "colon":
        return f"\n\n{name}:\n"
    if layout == "gutenberg":
        return f"\n  {name}. "
    raise CharlabError(f"unknown play layout {layout!r}; use 'colon' or 'gutenberg'")


def pick_speaker(candidates: list[str], text: str, layout: Layout) -> str:
    """The first of `candidates` that is a speaker of `text` (case-insensitive), spelled as `text` spells it.

    Falls back to the most frequent speaker, so a prime always names a real character of the training text.
    """
    tags = speaker_names(text, layout)
    if not tags:
        raise CharlabError(f"no speaker tags in the {layout} layout were found; is this a play-format text?")
    spelled = {}
    for tag in tags:
        spelled.setdefault(tag.lower(), tag)
    for name in candidates:
        if name.lower() in spelled:
            return spelled[name.lower()]
    return max(set(tags), key=tags.count)


@dataclass(frozen=True)
class Speech:
    """One speech of a play-format text: who speaks, its lines (without the tag line in the colon layout)."""

    speaker: str
    lines: tuple[str, ...]
    start: int  # offset of the tag in the text
    end: int  # offset just after the speech's last line (its newline included when complete)
    complete: bool  # False when the text ends inside the speech (a sample cut at a fixed length)

    @property
    def num_lines(self) -> int:
        return len(self.lines)


def _colon_extent(text: str, match: re.Match) -> tuple[tuple[str, ...], int, bool]:
    body_start = match.end() + 1  # after the tag line's newline
    stop = text.find("\n\n", match.end())
    if stop == -1:  # no blank line follows: the text ends inside the speech, its last line maybe clipped
        return tuple(text[body_start:].split("\n")[:-1]), len(text), False
    return tuple(text[body_start : stop + 1].split("\n")[:-1]), stop + 1, True


def _gutenberg_extent(text: str, match: re.Match) -> tuple[tuple[str, ...], int, bool]:
    lines, pos = [], match.start()
    while True:
        newline = text.find("\n", pos)
        if newline == -1:  # the text ends in the middle of this line
            return tuple(lines), len(text), False
        lines.append(text[pos:newline])
        pos = newline + 1
        nxt = text[pos : pos + 4]
        if nxt == "    ":  # verse continuation (or a stage direction within the speech)
            continue
        if len(nxt) < 4 and nxt == " " * len(nxt):  # the text ends before the indentation tells
            return tuple(lines), pos, False
        return tuple(lines), pos, True


def speeches(text: str, layout: Layout) -> list[Speech]:
    """The speeches of `text`, in order. A speech starts at a speaker tag (see `speaker_names`).

    Colon layout: the lines after the tag up to the next blank line. Gutenberg layout: the tag line (which
    holds the speech's first words) and the following lines indented by four spaces (verse continuation,
    stage directions within the speech). A speech that runs into the end of the text is `complete=False`.
    """
    if layout == "colon":
        pattern, extent = _COLON_RE, _colon_extent
    elif layout == "gutenberg":
        pattern, extent = _GUTENBERG_RE, _gutenberg_extent
    else:
        raise CharlabError(f"unknown play layout {layout!r}; use 'colon' or 'gutenberg'")
    out = []
    for m in pattern.finditer(text):
        lines, end, complete = extent(text, m)
        out.append(Speech(m.group("name").strip(), lines, m.start(), end, complete))
    return out


def longest_speech(texts: list[str], layout: Layout) -> tuple[int, Speech] | None:
    """(index into `texts`, speech) of the complete speech with the most lines; None when there is none."""
    best: tuple[int, Speech] | None = None
    for i, text in enumerate(texts):
        for speech in speeches(text, layout):
            if speech.complete and (best is None or speech.num_lines > best[1].num_lines):
                best = (i, speech)
    return best


_BY_LINE = re.compile(r"^by William Shakespeare\s*$", re.M)


def titled_works(text: str) -> list[tuple[int, str]]:
    """(offset, title) of every work in a collected-works text that gives each title on its own line followed
    (after blank lines) by "by William Shakespeare", as the Gutenberg edition does; [] for a file without
    such title pages (Karpathy's colon-layout file)."""
    out = []
    for m in _BY_LINE.finditer(text):
        before = text[: m.start()].rstrip("\n")
        start = before.rfind("\n") + 1
        title = before[start:].strip()
        if title:
            out.append((start, title))
    return out
