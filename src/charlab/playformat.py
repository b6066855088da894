"""Play format beyond speaker tags: which layout a text uses, how to prime a model with a speaker, whole speeches.

`charlab.analysis.plays` finds speaker tags and measures line lengths. The Shakespeare chapter also needs to
start a sample the way the training text starts a speech (the layout depends on which file was fetched:
Karpathy's colon layout or the Gutenberg edition's indented one), to cut samples into speeches so it can show
the longest monologue, and to draw excerpts of real text the size of the samples, so a distance between
sampled and real line lengths can be read against the distance between two pieces of real text.
The tag patterns are those of `charlab.analysis.plays`, so both modules agree on what a speaker tag is.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from typing import Literal

from .analysis.plays import _COLON_RE, _GUTENBERG_RE, speaker_names
from .errors import CharlabError

Layout = Literal["colon", "gutenberg"]


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
    """The speeches of `text`, in order. A speech starts at a speaker tag (see `charlab.analysis.plays`).

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


def real_excerpts(text: str, num: int, length: int, seed: int = 0) -> list[str]:
    """`num` windows of `length` characters of `text`, each starting at a line start, at seeded random places.

    The same amount of real text as a set of samples: measures computed on both (line lengths, speaker
    shares) then differ only by what the model got wrong, not by sample size.
    """
    if length < 1 or num < 1:
        raise CharlabError(f"num and length must be positive (got {num}, {length})")
    starts = [0] + [m.end() for m in re.finditer("\n", text) if m.end() + length <= len(text)]
    starts = [s for s in starts if s + length <= len(text)]
    if not starts:
        raise CharlabError(f"the text has {len(text):,} characters, fewer than one excerpt of {length:,}")
    rng = random.Random(seed)
    return [text[s : s + length] for s in (rng.choice(starts) for _ in range(num))]
