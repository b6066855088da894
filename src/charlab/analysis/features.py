"""Hypotheses about what a cell tracks, computed from the text alone, and how well a cell's firing matches one.

A *feature* gives one number per character: its value after reading that character, the moment the model's state
is recorded. Binary features (inside quotes, inside `[[ ]]`, inside a URL, inside `( )` or `{ }`, inside a C
comment or string) are 0 or 1 everywhere; graded features (nesting depth, position in the line, indentation,
characters since `[[` or since "www") are numbers, NaN where the feature does not apply (outside a link, far from
a "www"). Each is read the way a reader of the text would, left to right, without looking ahead.

Scoring a cell's firing (one column of activations) against a feature: for a binary feature, the ROC AUC of the
firing as a detector of the feature, folded so that a cell that fires *less* inside is as good as one that fires
more (`max(AUC, 1 - AUC)`: 0.5 is chance, 1 a perfect detector); for a graded feature, the absolute Pearson
correlation over the characters where the feature applies (0 none, 1 a perfect linear code). Whether a score is
high is decided against a control, the same scores of an untrained model (`thresholds`, `interpretable`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from charlab.errors import CharlabError

WWW_SPAN = 10  # "characters since www" applies from the first "w" to this many characters after it
URL = re.compile(r"(?:https?://|www\.)[^\s\]|<>\"'}]*")


@dataclass(frozen=True)
class Feature:
    name: str
    binary: bool
    description: str
    compute: Callable[[str], np.ndarray]


def _ends_at(text: str, t: int, s: str) -> bool:
    """Whether `s` ends at character t of `text`."""
    return t + 1 >= len(s) and text[t + 1 - len(s):t + 1] == s


def _toggle(text: str, mark: str, reset: str | None = None) -> np.ndarray:
    """1 between an odd and the next even occurrence of the character `mark` (the opening mark counts as
    inside, the closing one as outside); the count restarts after `reset` (a blank line for quotes: a
    novel's speech that runs over paragraphs opens each paragraph with a new quote mark)."""
    out = np.zeros(len(text))
    inside = False
    for t, ch in enumerate(text):
        if ch == mark:
            inside = not inside
        elif reset and _ends_at(text, t, reset):
            inside = False
        out[t] = inside
    return out


def in_quotes(text: str) -> np.ndarray:
    return _toggle(text, '"', reset="\n\n")


def _c_lexer(text: str) -> np.ndarray:
    """The C lexical state of each character: 0 code, 1 comment (`/* */`, `//`), 2 string literal (`"..."`, with
    backslash escapes), 3 character literal (`'x'`). The opening mark's second character (`*` of `/*`) and an
    opening quote are inside; the closing `/` and a closing quote are not (`_c_code` keeps all quotes out of code)."""
    out = np.zeros(len(text), dtype=np.int8)
    state, t = 0, 0
    while t < len(text):
        ch, nxt = text[t], text[t + 1] if t + 1 < len(text) else ""
        if state == 0:
            if ch == "/" and nxt and nxt in "*/":
                state = 1 if nxt == "*" else -1  # -1: a // comment, which ends with its line
                out[t + 1] = 1
                t += 2
                continue
            if ch in "\"'":
                state = 2 if ch == '"' else 3
                out[t] = state
        elif state == 1:
            if ch == "*" and nxt == "/":
                out[t] = 1
                state = 0
                t += 2
                continue
            out[t] = 1
        elif state == -1:
            if ch == "\n":
                state = 0
            else:
                out[t] = 1
        else:
            if ch == "\\" and nxt:
                out[t:t + 2] = state
                t += 2
                continue
            if ch == ('"' if state == 2 else "'") or ch == "\n":  # an unterminated literal ends with its line
                state = 0
            else:
                out[t] = state
        t += 1
    return out


def in_c_comment(text: str) -> np.ndarray:
    return (_c_lexer(text) == 1).astype(float)


def in_c_string(text: str) -> np.ndarray:
    return (_c_lexer(text) == 2).astype(float)


def _c_code(text: str) -> np.ndarray:
    """True where a character is C code: not in a comment, a literal, or a literal's quote."""
    code = _c_lexer(text) == 0
    code[[t for t, ch in enumerate(text) if ch in "\"'"]] = False
    return code


def depth(text: str, opener: str, closer: str, code: np.ndarray | None = None) -> np.ndarray:
    """Nesting depth after each character (never below 0: text cut from the middle may close what it did not
    open). `code`: where brackets count (elsewhere they are comment or string text)."""
    out = np.zeros(len(text))
    d = 0
    for t in range(len(text)):
        if code is None or code[t]:
            if _ends_at(text, t, opener):
                d += 1
            elif _ends_at(text, t, closer):
                d = max(0, d - 1)
        out[t] = d
    return out


def in_link(text: str) -> np.ndarray:
    """Inside `[[ ]]`: from the second `[` to the first `]` of the closing pair."""
    return (depth(text, "[[", "]]") > 0).astype(float)


def since_link_open(text: str) -> np.ndarray:
    """Characters since the innermost open `[[` (0 at its second `[`); NaN outside links: the post's ramp."""
    out = np.full(len(text), np.nan)
    opened: list[int] = []
    for t in range(len(text)):
        if _ends_at(text, t, "[["):
            opened.append(t)
        elif _ends_at(text, t, "]]") and opened:
            opened.pop()
            continue
        if opened:
            out[t] = t - opened[-1]
    return out


def in_url(text: str) -> np.ndarray:
    out = np.zeros(len(text))
    for m in URL.finditer(text):
        out[m.start():m.end()] = 1
    return out


def since_www(text: str) -> np.ndarray:
    """Characters since the first "w" of the last "www" (0 at that "w"), for `WWW_SPAN` characters; NaN elsewhere."""
    out = np.full(len(text), np.nan)
    for m in re.finditer("www", text):
        span = np.arange(WWW_SPAN)
        out[m.start():m.start() + WWW_SPAN] = span[:len(text) - m.start()]
    return out


def line_position(text: str) -> np.ndarray:
    """Characters read since the last newline (0 at the newline)."""
    out = np.zeros(len(text))
    p = 0
    for t, ch in enumerate(text):
        p = 0 if ch == "\n" else p + 1
        out[t] = p
    return out


def indentation(text: str) -> np.ndarray:
    """The current line's indentation as read so far, in tab stops (a tab is 1, a space 1/8)."""
    out = np.zeros(len(text))
    level, leading = 0.0, True
    for t, ch in enumerate(text):
        if ch == "\n":
            level, leading = 0.0, True
        elif leading and ch in "\t ":
            level += 1 if ch == "\t" else 1 / 8
        else:
            leading = False
        out[t] = level
    return out


def _inside(opener: str, closer: str, c_code: bool = False) -> Callable[[str], np.ndarray]:
    return lambda text: (depth(text, opener, closer, _c_code(text) if c_code else None) > 0).astype(float)


FEATURES = {f.name: f for f in [
    Feature("inside quotes", True, 'between an opening and a closing " (reset at a blank line)', in_quotes),
    Feature("line position", False, "characters since the last newline", line_position),
    Feature("inside ( )", True, "between ( and its )", _inside("(", ")")),
    Feature("inside [[ ]]", True, "inside a [[link]]", in_link),
    Feature("since [[", False, "characters since the link's [[ (inside links only)", since_link_open),
    Feature("inside a URL", True, "inside http://..., https://... or www....", in_url),
    Feature("since www", False, f"characters since a www (the {WWW_SPAN} after it only)", since_www),
    Feature("inside ( ) (C)", True, "between ( and its ), outside comments and strings", _inside("(", ")", True)),
    Feature("inside { } (C)", True, "between { and its }, outside comments and strings", _inside("{", "}", True)),
    Feature("{ } depth (C)", False, "nesting depth of { }, outside comments and strings",
            lambda text: depth(text, "{", "}", _c_code(text))),
    Feature("indentation", False, "the line's leading whitespace so far, in tab stops", indentation),
    Feature("inside a comment (C)", True, "inside /* */ or after //", in_c_comment),
    Feature("inside a string (C)", True, 'inside a "..." literal', in_c_string),
]}


def compute(text: str, names: list[str] | tuple[str, ...]) -> dict[str, np.ndarray]:
    """The named features of `text` (see FEATURES), each an array of len(text)."""
    unknown = [n for n in names if n not in FEATURES]
    if unknown:
        raise CharlabError(f"unknown feature(s) {unknown}; known: {', '.join(FEATURES)}")
    return {n: FEATURES[n].compute(text) for n in names}


def events(values: np.ndarray) -> np.ndarray:
    """(T - 1,) True at the characters t whose successor changes the feature other than by its usual step (the
    commonest change): for a binary feature, the characters before it switches (before an opening or closing
    quote); for "line position", before a newline; for a depth, before a bracket. Column t lines up with the loss
    of predicting character t + 1. Moving between two undefined (NaN) characters is no event."""
    v = np.asarray(values, dtype=float)
    step = v[1:] - v[:-1]
    finite = step[np.isfinite(step)]
    if finite.size == 0:
        return ~(np.isnan(v[1:]) & np.isnan(v[:-1])) & np.isnan(step)
    steps, counts = np.unique(finite, return_counts=True)
    usual = steps[np.argmax(counts)]
    return ~(step == usual) & ~(np.isnan(v[1:]) & np.isnan(v[:-1]))


# ------------------------------------------------------------------------------------------------------ scoring

def _ranks(x: np.ndarray) -> np.ndarray:
    """Ranks 1..T of each column of x (T, N), ties sharing their average rank."""
    out = np.empty(x.shape, dtype=float)
    for j in range(x.shape[1]):
        _, inverse, counts = np.unique(x[:, j], return_inverse=True, return_counts=True)
        upper = np.cumsum(counts)  # the rank of each distinct value's last copy
        out[:, j] = (upper - (counts - 1) / 2)[inverse]
    return out


def auc(x: np.ndarray, labels: np.ndarray, ranks: np.ndarray | None = None) -> np.ndarray:
    """ROC AUC of each column of x (T, N) (or one column (T,)) as a score for `labels` (T,) being true: the chance
    that a random positive scores above a random negative, ties counting half. NaN when a class is empty.
    `ranks`: `_ranks(x)` when already computed (it depends on x only)."""
    x = np.asarray(x, dtype=float)
    single = x.ndim == 1
    x = x[:, None] if single else x
    pos = np.asarray(labels).astype(bool)
    n_pos, n_neg = int(pos.sum()), int((~pos).sum())
    if n_pos == 0 or n_neg == 0:
        out = np.full(x.shape[1], np.nan)
    else:
        out = ((_ranks(x) if ranks is None else ranks)[pos].sum(axis=0) - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)
    return out[0] if single else out


def correlation(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Pearson correlation of each column of x (T, N) with y (T,) over the characters where y is not NaN
    (0 for a constant column, NaN when y has fewer than 3 defined values or is constant)."""
    x = np.asarray(x, dtype=float)
    single = x.ndim == 1
    x = x[:, None] if single else x
    keep = ~np.isnan(y)
    xs, ys = x[keep], y[keep]
    if len(ys) < 3 or np.ptp(ys) == 0:
        out = np.full(x.shape[1], np.nan)
    else:
        xc, yc = xs - xs.mean(axis=0), ys - ys.mean()
        sx = np.sqrt((xc ** 2).sum(axis=0))
        with np.errstate(invalid="ignore", divide="ignore"):
            out = np.where(sx > 0, (xc * yc[:, None]).sum(axis=0) / (sx * np.sqrt((yc ** 2).sum())), 0.0)
    return out[0] if single else out


def score(x: np.ndarray, values: np.ndarray, binary: bool, ranks: np.ndarray | None = None) -> np.ndarray:
    """How well each column of x (T, N) codes a feature, in [0, 1] for graded features and [0.5, 1] for binary
    ones, regardless of sign (see the module docstring)."""
    if binary:
        a = auc(x, values, ranks)
        return np.maximum(a, 1 - a)
    return np.abs(correlation(x, values))


def score_all(x: np.ndarray, features: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """{feature: score of every column of x (T, N)} for features named in FEATURES."""
    ranks = _ranks(x) if any(FEATURES[name].binary for name in features) else None
    return {name: score(x, v, FEATURES[name].binary, ranks) for name, v in features.items()}


def thresholds(control: Mapping[str, np.ndarray], quantile: float = 1.0) -> dict[str, float]:
    """Per feature, the score a cell must beat to count as coding it: the `quantile` (1.0: the maximum) of the
    control's cells' scores for that feature (NaN when the control could not be scored on it)."""
    return {name: float(np.nanquantile(s, quantile)) if np.isfinite(s).any() else np.nan
            for name, s in control.items()}


def interpretable(scores: Mapping[str, np.ndarray], bars: Mapping[str, float]) -> np.ndarray:
    """(N,) True for the cells whose score for at least one feature is above that feature's bar."""
    n = len(next(iter(scores.values())))
    out = np.zeros(n, dtype=bool)
    for name, s in scores.items():
        if np.isfinite(bars[name]):
            out |= np.nan_to_num(s, nan=-np.inf) > bars[name]
    return out


def best_cells(scores: Mapping[str, np.ndarray]) -> dict[str, tuple[int, float]]:
    """{feature: (the cell with the highest score, that score)}, features that could not be scored left out."""
    return {name: (int(np.nanargmax(s)), float(np.nanmax(s))) for name, s in scores.items() if np.isfinite(s).any()}
