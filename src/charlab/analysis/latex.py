r"""Measures of LaTeX structure in samples (environments, math, braces) and an automatic repair.

The post says the LaTeX samples "*almost* compile" after a few fixes by hand. It names the typical failure: a
`\begin{proof}` closed by `\end{lemma}`, or an `enumerate` that is never closed. It blames a dependency that
is "too long-term". Here those failures are counted, and the hand fixes are done by `repair`. All functions
work on plain text and never raise: an empty text, text without LaTeX, `\end{}`, a `\begin{` at the end or a
lone `$` give zeros, NaN or empty results.

**The scan.** One left-to-right pass reads the text the way TeX reads its input, as far as structure goes:

* a `%` starts a comment up to the end of the line (`\%` is a percent sign, and `\\%` is a line break and
  then a comment); `\verb|...|` (any delimiter, at most to the end of its line) is skipped;
* a control sequence is a backslash and then letters, or a backslash and one other character. So `\$`, `\{`
  and `\}` are not math or braces;
* `\begin{X}` and `\end{Y}` may have spaces and at most one line break before the brace. A `\begin` or
  `\end` without a `{name}` (a `\begin{` at the end of the text) is *malformed*. It is counted and then
  ignored. The contents of `verbatim`, `verbatim*` and `comment` are skipped up to their `\end`, like the
  Stacks project's `reference`, `slogan` and `history` (its preamble makes them comment environments);
* the scan keeps a stack of open environments, `{` groups and math formulas (`$`, `$$`, `\[`, `\(`).

**Environments** (`environment_closes`, `environment_report`). Every `\end{Y}` is judged against the
*innermost* open `\begin{X}`. It is *correct* when Y == X, and a *confusion* (X, Y) otherwise, such as the
post's ("proof", "lemma"). Either way it pops X, as `repair` does when it renames the `\end`. Its *distance* is
the number of characters from the start of that `\begin` to the start of the `\end`. An `\end` with no
environment open is *unmatched*. In a window cut from a stream, its `\begin` usually comes before the window
starts (truncation), so it is reported on its own and left out of the correct share. Environments still open
at the end (the post's "enumerate never closed") are truncation too in a window. Compare both with real
windows of the same length. Distances only go up to the window length, and long environments are rarely
complete inside one window. So the correct share by distance only covers short dependencies, and it covers
them the same way for samples and for the control.

**Math and braces** (`math_balance`). `$` opens and closes inline math. `$$` opens and closes display math.
`$$` inside inline math closes it and opens a new formula, as in TeX. Inside a formula, any `$`, `$$`, `\]` or
`\)` closes it. When it is not the formula's own closer, it is *mismatched*. An opener inside math is also
mismatched, and it is ignored. A `\]` or `\)` with no formula open is a *stray closer*. A paragraph end (a
blank line, `\par` or `\item`: TeX does not allow one in math), the `\end` of the environment around a
formula, or the `}` of a group around it *cuts* the formula. A `}` with no `{` open inside the innermost
environment is a *stray brace*. A `$` that closes a formula, or an `\end`, cuts the `{` groups opened inside
it. An environment is a wall: a `}` or `$` never closes something opened outside the innermost environment. A
window that starts inside a formula has its `$` signs read in the wrong phase until the next paragraph end.
Real windows have the same problem. Limitations: math environments (`equation`, `align*`) do not put the scan
in math mode, and `\text{$x$}` inside math is read as the end of one formula and the start of another. Neither
occurs in the Stacks project's source.

**Repair** (`repair`): the post's hand fixes, done automatically. The steps are listed in its docstring.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from charlab.errors import CharlabError

VERBATIM_ENVIRONMENTS = frozenset({"verbatim", "verbatim*", "comment", "reference", "slogan", "history"})

_TOKEN_RE = re.compile(
    r"(?P<comment>%[^\n]*)"
    r"|(?P<verb>\\verb\*?(?P<delim>[^A-Za-z*\s])[^\n]*?(?:(?P=delim)|(?=\n)|\Z))"
    r"|\\(?P<env>begin|end)(?![A-Za-z])(?:[ \t]*\n?[ \t]*\{(?P<name>[^{}\\%\n]*)\})?"
    r"|(?P<dollar>\$\$?)"
    r"|(?P<brace>[{}])"
    r"|(?P<par>\n[ \t]*\n|\\(?:par|item)(?![A-Za-z]))"
    r"|(?P<cs>\\(?:[A-Za-z]+|[\s\S])?)"
)
_MATH_CLOSER = {"$": "$", "$$": "$$", "\\[": "\\]", "\\(": "\\)"}


@dataclass(frozen=True)
class Close:
    r"""One `\end{name}`, and the innermost environment that was open when it came."""

    name: str  # Y in \end{Y}
    position: int  # offset of the "\end" in the text
    opened: str | None  # X of the innermost open \begin{X}; None when no environment was open (unmatched)
    distance: int | None  # characters from the start of that \begin to the start of this \end; None if unmatched
    enclosing: tuple[str, ...] = ()  # every environment open when it came, outermost first (innermost included)

    @property
    def unmatched(self) -> bool:
        return self.opened is None

    @property
    def correct(self) -> bool:
        return self.opened == self.name


@dataclass(frozen=True)
class EnvironmentReport:
    """Summary of a text's environments (see the module docstring for the definitions)."""

    begins: int  # well-formed \begin{X}
    ends: int  # well-formed \end{Y}, unmatched included
    matched: int  # ends with an environment open
    correct: int  # matched ends that close the innermost open environment
    correct_share: float  # correct / matched; NaN when nothing was matched
    confusions: Counter[tuple[str, str]]  # (opened, closed) of the wrong ends, e.g. ("proof", "lemma")
    unmatched: Counter[str]  # names of the ends with no environment open (truncation, in a window)
    left_open: Counter[str]  # environments still open at the end of the text (truncation, in a window)
    malformed: int  # \begin or \end without a {name}


@dataclass(frozen=True)
class MathBalance:
    """Balance of math delimiters and braces in a text (see the module docstring for the definitions)."""

    dollar_signs: int  # `$` characters that are not `\$`, in text (not comments or verbatim)
    formulas: int  # formulas opened with $, $$, \[ or \(
    closed: int  # formulas closed by their own closer
    mismatched: int  # math delimiters that do not fit the open formula (a wrong closer closes it anyway)
    cut: int  # formulas ended by a blank line, an \end or a }
    stray_closers: int  # \] or \) with no formula open
    open_at_end: tuple[str, ...]  # openers of the formulas still open at the end, outermost first
    braces: int  # `{` that is not `\{`
    stray_braces: int  # `}` with no `{` open in the innermost environment
    braces_cut: int  # groups closed by force, by an \end or by the `$` that closes the formula around them
    braces_open_at_end: int

    @property
    def balanced(self) -> bool:
        """No math or brace problem at all (a window cut mid-structure is usually not balanced)."""
        return not (self.mismatched or self.cut or self.stray_closers or self.open_at_end or self.stray_braces
                    or self.braces_cut or self.braces_open_at_end)


@dataclass
class _Frame:
    kind: Literal["env", "brace", "math"]
    name: str  # environment name, "{", or the math opener
    start: int


@dataclass
class _Scan:
    closes: list[Close] = field(default_factory=list)
    edits: list[tuple[int, int, str | None]] = field(default_factory=list)  # (start, end, new); None: unmatched
    unmatched: list[str] = field(default_factory=list)
    left_open: list[_Frame] = field(default_factory=list)  # innermost first
    counts: Counter[str] = field(default_factory=Counter)


def _scan(text: str) -> _Scan:
    """The one pass behind every measure and the repair: a stack of environments, groups and formulas."""
    s, frames, pos = _Scan(), [], 0

    def wall() -> int:  # index of the innermost open environment, -1 when none
        return next((i for i in range(len(frames) - 1, -1, -1) if frames[i].kind == "env"), -1)

    def find(kind: str, lowest: bool = False) -> int | None:  # a frame of `kind` above the wall
        found = [i for i in range(wall() + 1, len(frames)) if frames[i].kind == kind]
        return (found[0] if lowest else found[-1]) if found else None

    def close_above(index: int, at: int) -> None:  # close the frames above `index` by inserting their closers
        while len(frames) > index + 1:
            f = frames.pop()
            s.counts["cut" if f.kind == "math" else "braces_cut"] += 1
            s.edits.append((at, at, _MATH_CLOSER[f.name] if f.kind == "math" else "}"))

    def open_math(opener: str, start: int) -> None:
        frames.append(_Frame("math", opener, start))
        s.counts["formulas"] += 1

    while (m := _TOKEN_RE.search(text, pos)) is not None:
        pos, start, end = m.end(), m.start(), m.end()
        if m.group("env") is not None:
            name = m.group("name")
            if name is None:
                s.counts["malformed"] += 1
                s.edits.append((start, end, ""))
            elif m.group("env") == "begin":
                s.counts["begins"] += 1
                frames.append(_Frame("env", name, start))
                if name in VERBATIM_ENVIRONMENTS:  # skip to its \end, which the next search then finds
                    stop = re.compile(r"\\end[ \t]*\{" + re.escape(name) + r"\}").search(text, pos)
                    pos = stop.start() if stop else len(text)
            else:
                i = wall()
                close_above(i, start)
                if i < 0:
                    s.closes.append(Close(name, start, None, None))
                    s.unmatched.append(name)
                    reopenable = name and name not in VERBATIM_ENVIRONMENTS  # not "\\end{}", nor a verbatim
                    s.edits.append((start, end, None if reopenable else ""))
                else:
                    enclosing = tuple(fr.name for fr in frames if fr.kind == "env")
                    f = frames.pop()
                    s.closes.append(Close(name, start, f.name, start - f.start, enclosing))
                    if f.name != name:
                        s.edits.append((start, end, "\\end{" + f.name + "}"))
        elif m.group("dollar") is not None or m.group("cs") in ("\\[", "\\(", "\\]", "\\)"):
            tok = m.group()
            s.counts["dollar_signs"] += tok.count("$")
            i = find("math")
            if i is None:
                if tok in ("\\]", "\\)"):
                    s.counts["stray_closers"] += 1
                    s.edits.append((start, end, ""))
                else:
                    open_math(tok, start)
            elif tok in ("\\[", "\\("):
                s.counts["mismatched"] += 1
                s.edits.append((start, end, ""))
            else:
                close_above(i, start)
                f = frames.pop()
                if tok == "$$" and f.name == "$":  # TeX: the first $ closes inline math, the second opens new
                    s.counts["closed"] += 1
                    open_math("$", start + 1)
                elif tok == _MATH_CLOSER[f.name]:
                    s.counts["closed"] += 1
                else:
                    s.counts["mismatched"] += 1
                    s.edits.append((start, end, _MATH_CLOSER[f.name]))
        elif m.group("brace") == "{":
            s.counts["braces"] += 1
            frames.append(_Frame("brace", "{", start))
        elif m.group("brace") == "}":
            i = find("brace")
            if i is None:
                s.counts["stray_braces"] += 1
                s.edits.append((start, end, ""))
            else:
                close_above(i, start)
                frames.pop()
        elif (m.group("par") is not None and m.group().startswith("\\item") and find("math") is None
              and (w := wall()) >= 0 and frames[w].name not in _LISTS):
            # an \item whose innermost environment is not a list (the post's own sample has one in a proof):
            # LaTeX stops at "Lonely \item"; the repair deletes it (no environment open: its list may have been
            # cut off, and reopening that list keeps it)
            s.counts["lonely_items"] += 1
            s.edits.append((start, end, ""))
        elif m.group("par") is not None and (i := find("math", lowest=True)) is not None:
            if text[start] == "\\":  # \par or \item: the closers go before it
                close_above(i - 1, start)
            else:  # a blank line: the closers go on the first of its two line ends, and it stays blank
                close_above(i - 1, start + 1)
                s.edits[-1] = (start + 1, start + 1, s.edits[-1][2] + "\n")
    s.left_open = frames[::-1]
    return s


def environment_closes(text: str) -> list[Close]:
    r"""Every well-formed `\end{Y}` of `text` in order, with the innermost open environment at that point."""
    return _scan(text).closes


def environment_report(text: str) -> EnvironmentReport:
    r"""Counts of correct, confused and unmatched `\end`s, and of environments left open, for `text`."""
    s = _scan(text)
    matched = [c for c in s.closes if not c.unmatched]
    correct = sum(c.correct for c in matched)
    return EnvironmentReport(
        begins=s.counts["begins"], ends=len(s.closes), matched=len(matched), correct=correct,
        correct_share=correct / len(matched) if matched else math.nan,
        confusions=Counter((c.opened, c.name) for c in matched if not c.correct),
        unmatched=Counter(s.unmatched), left_open=Counter(f.name for f in s.left_open if f.kind == "env"),
        malformed=s.counts["malformed"])


def close_rate_by_distance(closes: Iterable[Close],
                           bins: Sequence[float] | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    r"""Share of correct closes, and number of closes, per distance bin: (rate, counts), one entry per bin.

    `bins` are increasing edges, with numpy's histogram rule: bin i holds distances in [bins[i], bins[i+1]), and
    the last bin includes its right edge. Unmatched closes have no distance, and closes outside the edges are
    left out. The rate is NaN for an empty bin. Pool the closes of many samples (and, for the control, of as
    many real windows), e.g. with `np.geomspace(1, 2000, 12)` as the edges.
    """
    edges = np.asarray(bins, dtype=np.float64)
    if edges.ndim != 1 or len(edges) < 2 or np.any(np.diff(edges) <= 0):
        raise CharlabError("bins must be at least two increasing edges, e.g. np.geomspace(1, 2000, 12)")
    matched = [c for c in closes if c.distance is not None]
    dist = np.array([c.distance for c in matched], dtype=np.float64)
    ok = np.array([c.correct for c in matched], dtype=np.float64)
    counts = np.histogram(dist, edges)[0]
    hits = np.histogram(dist, edges, weights=ok)[0]
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(counts > 0, hits / np.maximum(counts, 1), np.nan)
    return rate, counts


def math_balance(text: str) -> MathBalance:
    """Math delimiters and braces of `text`: formulas opened, closed, mismatched, cut or left open, and
    stray, cut and unclosed braces (see the module docstring)."""
    s = _scan(text)
    c = s.counts
    return MathBalance(
        dollar_signs=c["dollar_signs"], formulas=c["formulas"], closed=c["closed"], mismatched=c["mismatched"],
        cut=c["cut"], stray_closers=c["stray_closers"],
        open_at_end=tuple(f.name for f in reversed(s.left_open) if f.kind == "math"), braces=c["braces"],
        stray_braces=c["stray_braces"], braces_cut=c["braces_cut"],
        braces_open_at_end=sum(f.kind == "brace" for f in s.left_open))


# Commands that need other files or belong in the preamble, with their optional and required arguments.
_DOCUMENT_RE = re.compile(
    r"\\(?:documentclass|usepackage|RequirePackage)(?![A-Za-z])\s*(?:\[[^\]\n]*\])?\s*\{[^{}\n]*\}(?:\[[^\]\n]*\])?"
    r"|\\(?:input|include|includeonly|externaldocument)(?![A-Za-z])\s*(?:\[[^\]\n]*\])?\s*\{[^{}\n]*\}"
    r"|\\input(?![A-Za-z])[ \t]+[^\s{}\\%]+"
    r"|\\(?:begin|end)[ \t]*\{document\}"
)
_REF_RE = re.compile(r"\\(?P<cmd>ref|eqref|pageref|cite)(?![A-Za-z])\*?\s*(?:\[[^\]\n]*\])?\s*\{(?P<keys>[^{}\n]*)\}")


_LISTS = frozenset({"enumerate", "itemize", "description"})
_ITEM_RE = re.compile(r"\\item(?![A-Za-z])")


def _math_problems(text: str) -> int:
    s = _scan(text)
    c = s.counts
    return c["mismatched"] + c["cut"] + c["stray_closers"] + sum(f.kind == "math" for f in s.left_open)


def repair(text: str, defined_labels: Iterable[str] | None = None, *, partial_lines: bool = True,
           unmatched_ends: Literal["open", "drop"] = "open") -> str:
    r"""`text` with its structure fixed, ready to go between `\begin{document}` and `\end{document}`.

    The steps, in order:

    1. With `partial_lines` (for a window cut from a stream), drop the text before the first line break and
       after the last one: the clipped first and last lines, and a `\begin{` cut off at the end with them. A
       text with no line break is kept whole. Pass False for a text that starts and ends at line boundaries.
    2. Remove what needs other files or belongs in the preamble: `\documentclass`, `\usepackage`, `\input`,
       `\include`, `\includeonly`, `\externaldocument`, `\begin{document}` and `\end{document}`.
    3. References: undefined `\ref`, `\eqref`, `\pageref` and `\cite` keys are only warnings in LaTeX (it
       prints "??"), so by default they are kept. With `defined_labels`, a reference to any other key is
       replaced by the text `??` (`[??]` for a citation).
    4. Environments (the scan of the module docstring): a mis-matched `\end{Y}` becomes the `\end{X}` of the
       innermost open environment. An unmatched `\end{Y}` gets a `\begin{Y}` at the start of the text
       (`unmatched_ends="open"`, the default, which keeps a truncated list's `\item`s inside a list; a
       reopened `enumerate`, `itemize` or `description` also gets an `\item`) or is deleted ("drop", and
       always for `\end{}` and the verbatim environments).
       Environments left open are closed at the end, innermost first (a list with no `\item` yet gets
       one). A malformed `\begin` or `\end` (no `{name}`) is deleted.
    5. Math phase: a window may start inside a formula, and then its `$` signs are read the wrong way round
       until the next blank line. A `$` or `$$` line is put at the start when that gives fewer math problems
       (mismatched, cut, stray or unclosed formulas) than the text as it is.
    6. Math and braces: a formula or group still open at a paragraph end, an `\end` or a closing `$`/`}`
       gets its closer inserted there. A wrong closer is replaced by the right one. Stray `\]`, `\)` and `}` and
       openers inside math are deleted. Whatever is still open at the end is closed there.

    After the repair, `environment_report` finds only correct ends (none unmatched, none left open) and
    `math_balance(...).balanced` is True. Undefined commands, invented environments, `&` outside tables,
    and the like are not repaired: the compiler reports them. An `\item` whose innermost open environment is
    not a list is deleted (the post's own raw sample has one in a proof; recalibrated so that the post's "few
    fixes" of that sample are done).
    """
    if unmatched_ends not in ("open", "drop"):
        raise CharlabError(f"unmatched_ends must be 'open' or 'drop', got {unmatched_ends!r}")
    if partial_lines and "\n" in text:
        text = text[text.index("\n") + 1 : text.rindex("\n") + 1]
    text = _DOCUMENT_RE.sub("", text)
    if defined_labels is not None:
        known = set(defined_labels)

        def ref(m: re.Match[str]) -> str:
            keys = [k.strip() for k in m.group("keys").split(",")]
            if all(k in known for k in keys):
                return m.group()
            return "[??]" if m.group("cmd") == "cite" else "??"

        text = _REF_RE.sub(ref, text)
    text = min(("", "$\n", "$$\n"), key=lambda lead: _math_problems(lead + text)) + text  # "" on a tie
    s = _scan(text)
    out: list[str] = []

    def emit(piece: str) -> None:  # append, with a space where joining would make a new token ($$, \foox)
        if piece and out and (out[-1][-1] == piece[0] == "$" or piece[0].isalpha()
                              and re.search(r"\\[A-Za-z]+\Z", out[-1][-40:])):
            out.append(" ")
        if piece:
            out.append(piece)

    def line_blank_so_far() -> bool:  # nothing but spaces emitted since the last line break
        for piece in reversed(out):
            before, newline, after = piece.rpartition("\n")
            if after.strip() or newline:
                return not after.strip()
        return True

    done = 0
    for start, end, new in s.edits:
        new = text[start:end] if new is None and unmatched_ends == "open" else new or ""
        emit(text[done:start])
        line_end = text.find("\n", end)
        if not new and line_end >= 0 and not text[end:line_end].strip() and line_blank_so_far():
            end = line_end + 1  # deleting what is alone on its line deletes the line, so no blank line appears
        emit(new)
        done = end
    emit(text[done:])
    body = "".join(out).rstrip(" \t")  # so that the line break before the closers makes no blank line
    prefix = ""  # a list needs an \item before its first text, so a reopened list gets one unless the body has it
    reopen = [name for name in reversed(s.unmatched) if name and name not in VERBATIM_ENVIRONMENTS]
    reopen = reopen if unmatched_ends == "open" else []
    for k, name in enumerate(reopen):
        prefix += "\\begin{" + name + "}\n"
        if name in _LISTS and (k < len(reopen) - 1 or not _ITEM_RE.match(body.lstrip())):
            prefix += "\\item\n"
    closers = []  # ... and a list left open just after its \begin gets one before its \end
    for f in s.left_open:
        if f.kind == "env":
            empty = f.name in _LISTS and not _ITEM_RE.search(text, f.start)
            closers.append(("\\item\n" if empty else "") + "\\end{" + f.name + "}")
        else:
            closers.append("}" if f.kind == "brace" else _MATH_CLOSER[f.name])
    suffix = ("" if body.endswith("\n") or not body else "\n") + "".join(c + "\n" for c in closers)
    return prefix + body + suffix
