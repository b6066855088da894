"""Glue for the Linux chapter: its sizes per scale, Goldberg's n-gram orders, the C measures of one set of windows
(LSTM samples, n-gram samples or real held-out code) arranged into one table and one figure, and the verdicts.

The measures themselves are in `charlab.analysis.csource` (parse errors, brackets, indentation, names) and
`charlab.analysis.copying` (spans copied from the training text); this module pools them over a set of windows.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from charlab.analysis.copying import SubstringIndex
from charlab.analysis.csource import (
    bracket_report,
    indent_report,
    name_report,
    parse_report,
    trim_to_top_level,
)
from charlab.checkpoint import Checkpoint
from charlab.claims import Gate, Verdict
from charlab.experiments import Result
from charlab.plots import scale_ladder
from charlab.presets import for_scale
from charlab.sampling import sample
from charlab.tables import cell, table

SIZES = {  # samples per kind of text; Goldberg's samples are fewer: his sampler draws one character per step in Python
    "smoke": dict(num_samples=3, ngram_samples=2, sample_len=1500, burn_in=200, goldberg_orders=(5, 8),
                  file_starts=2),
    "cpu": dict(num_samples=16, ngram_samples=8, sample_len=4000, burn_in=500, goldberg_orders=(10, 15, 20),
                file_starts=8),
    "blog": dict(num_samples=48, ngram_samples=16, sample_len=4000, burn_in=1000, goldberg_orders=(10, 15, 20),
                 file_starts=16),
}
COPY_MIN = 50  # a span of at least this many characters found verbatim in the training text counts as copied
# "Most identifiers real": the LSTM's share of distinct identifiers that occur in the training text must reach this
# fraction of real held-out code's own share (new code has new names too: real held-out windows name things the
# training text never does), and at least half ("most")
KNOWN_FRACTION = 0.8
# Bracket errors per 1,000 characters that still read as "opens and closes brackets correctly": recalibrated on
# the post's own samples, which the post presents as bracketed correctly and which hold one mismatched parenthesis
# (a printk's) in 2,261 characters, 0.44 per 1,000 (the floor was 0.1); the same line Goldberg's "far from" crosses
BRACKET_FLOOR = 0.5
# two error rates within 10% of each other, or two shares within 3 points, are a tie
TIE_RELATIVE, TIE_POINTS = 0.10, 0.03


def sizes(scale: str) -> dict:
    return for_scale(SIZES, scale)


@dataclass
class CodeMeasures:
    """The C measures of one set of equally long windows.

    Brackets are counted on the whole windows (every kind of text is cut the same way, so the cut's unmatched
    closers and brackets open at the end are alike); parse errors, indentation and names on the complete
    top-level items of each window (`trim_to_top_level`), joined, so a cut function is never blamed. Names are
    read in every complete function, parse errors or not (`name_report(clean_only=False)`): at `cpu` scale hardly
    any sampled function parses cleanly, and a declaration the parser could not read then counts as missing, so
    a text with more parse errors gets somewhat more "undefined" uses."""

    label: str
    chars: int
    kept_chars: int
    parse_errors: int
    functions: int
    clean_functions: int
    bracket_errors: int  # mismatched closers and the openers they skip, in all windows (a closer with nothing
    # open is left out: at a window's start that is the cut, in samples and real code alike)
    unterminated: int  # comments and string or character literals left open at a line end (comments: at the end)
    indent_lines: int
    indent_matched: int
    indent_steps: int
    indent_steps_matched: int
    uses: int
    undefined_uses: int
    locals: int
    unused_locals: int
    distinct_identifiers: int
    invented: int
    longest_copy: list[int]
    copied_share: float
    undefined_names: Counter
    unused_names: Counter

    def share(self, part: str, whole: str) -> float:
        w = getattr(self, whole)
        return getattr(self, part) / w if w else math.nan

    def row(self) -> dict[str, float]:
        kept = self.kept_chars
        return {
            "text": self.label,
            "parse errors / 1,000 chars": 1000 * self.parse_errors / kept if kept else math.nan,
            "functions without parse errors": self.share("clean_functions", "functions"),
            "bracket errors / 1,000 chars": 1000 * self.bracket_errors / self.chars if self.chars else math.nan,
            "unterminated comments and literals": self.unterminated,
            "lines indented to brace depth": self.share("indent_matched", "indent_lines"),
            "indent changes that follow the braces": self.share("indent_steps_matched", "indent_steps"),
            "variable uses undeclared in the text": self.share("undefined_uses", "uses"),
            "locals never used": self.share("unused_locals", "locals"),
            "identifiers not in training": self.share("invented", "distinct_identifiers"),
            "longest copy (median chars)": float(np.median(self.longest_copy)) if self.longest_copy else math.nan,
            f"copied in spans of {COPY_MIN}+": self.copied_share,
        }


def measure_code(label: str, windows: Sequence[str], known_identifiers: set[str],
                 index: SubstringIndex, indent_unit: int = 8, whole: bool = False) -> CodeMeasures:
    """Pool the `analysis.csource` measures over `windows` (see `CodeMeasures`); `index` is the training text's
    substring index, `known_identifiers` its identifiers; `indent_unit` the columns per brace level (the kernel's
    tab, 8; the post's page shows its samples with 2); `whole` for texts that start and end between top-level
    items (the post's excerpts), which are then not trimmed as cut windows are."""
    brackets = [bracket_report(w) for w in windows]
    kept = "\n".join(k for k in (w if whole else trim_to_top_level(w) for w in windows) if k)
    parse, indent = parse_report(kept), indent_report(kept, start_depth=0, unit=indent_unit)
    names = name_report(kept, known_identifiers, clean_only=False)  # see the class docstring
    chars = sum(map(len, windows))
    copied = [index.copied_share(w, COPY_MIN) * len(w) for w in windows if w]
    return CodeMeasures(
        label, chars, len(kept), parse.errors, parse.functions, parse.functions_clean,
        sum(sum(c.mismatched + c.unclosed for c in (b.braces, b.parens, b.brackets)) for b in brackets),
        sum(int(b.unterminated_comment) + b.unterminated_strings + b.unterminated_chars for b in brackets),
        indent.lines, indent.matched, indent.steps, indent.steps_matched, names.uses, names.undefined_uses,
        names.locals, names.unused_locals,
        names.distinct_identifiers, len(names.invented or ()), [index.longest(w) for w in windows],
        sum(copied) / chars if chars else math.nan, Counter(names.undefined_names), Counter(names.unused_names))


_FORMATS = {"parse errors / 1,000 chars": "{:.2f}", "bracket errors / 1,000 chars": "{:.2f}",
            "longest copy (median chars)": "{:,.0f}", "unterminated comments and literals": "{:,}"}


def measures_table(rows: Sequence[CodeMeasures]) -> pd.DataFrame:
    """One row per kind of text, every measure of `CodeMeasures.row` (shares as percentages)."""
    columns = list(rows[0].row())[1:]
    return table([r.row() for r in rows], {c: _FORMATS.get(c, "{:.0%}") for c in columns})


def plot_measures(rows: Sequence[CodeMeasures], real: CodeMeasures) -> plt.Figure:
    """The four measures of form (parse errors, bracket errors, indentation, copying) side by side, one bar per
    kind of text, the real code's value as a dashed line: Goldberg's orders next to the LSTM."""
    panels = [("parse errors / 1,000 chars", "parse errors per 1,000 characters"),
              ("bracket errors / 1,000 chars", "bracket errors per 1,000 characters"),
              ("indent changes that follow the braces", "share of indent changes that follow the braces"),
              (f"copied in spans of {COPY_MIN}+", f"share copied in spans of {COPY_MIN}+ characters")]
    fig, axes = plt.subplots(1, len(panels), figsize=(4 * len(panels), 3.6))
    labels = [r.label for r in rows]
    for ax, (key, title) in zip(axes, panels, strict=True):
        values = [r.row()[key] for r in rows]
        ax.bar(range(len(rows)), values, color=["C1" if "LSTM" in lab else "C0" for lab in labels])
        ax.axhline(real.row()[key], ls="--", color="black", lw=1, label="real held-out code")
        ax.set_xticks(range(len(rows)), labels, rotation=30, ha="right", fontsize=8)
        ax.set_title(title, fontsize=9)
        ax.grid(alpha=0.3, axis="y")
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    return fig


# ------------------------------------------------------------------------------------------------- verdicts
# Each returns (verdict, value, measured) for charlab.claims.claim. Real held-out code, cut the same way, is the
# yardstick: kernel windows have parse errors (macros tree-sitter cannot expand) and "undefined" names (globals
# from headers) too.

def _fmt(v: float, pct: bool = False) -> str:
    return cell(v, "{:.0%}" if pct else "{:.2f}")


def syntax_verdict(lstm: CodeMeasures, real: CodeMeasures) -> tuple[str, str, str]:
    """"Very good at making very few syntactic errors": *holds* when the LSTM's parse errors per 1,000
    characters are at most twice real code's; *holds partly* at most five times; else not reached."""
    ours, theirs = lstm.row()["parse errors / 1,000 chars"], real.row()["parse errors / 1,000 chars"]
    value = f"{_fmt(ours)} vs real {_fmt(theirs)} errors / 1,000 chars"
    measured = (f"tree-sitter finds {_fmt(ours)} syntax errors (ERROR and MISSING nodes) per 1,000 characters of "
                f"the LSTM's complete top-level code, {_fmt(theirs)} in real held-out kernel code cut the same "
                f"way; {_fmt(lstm.share('clean_functions', 'functions'), True)} of the LSTM's "
                f"{lstm.functions} functions parse without error (real: "
                f"{_fmt(real.share('clean_functions', 'functions'), True)})")
    if math.isnan(ours) or lstm.functions == 0:
        return "not reached at this scale", value, measured + " (no complete function sampled)"
    limit = max(theirs, 0.1)
    if ours <= 2 * limit:
        return "holds", value, measured
    return ("holds partly" if ours <= 5 * limit else "not reached at this scale"), value, measured


def brackets_indent_verdict(lstm: CodeMeasures, real: CodeMeasures) -> tuple[str, str, str]:
    """"Opens and closes brackets correctly and learns to indent its code very well": *holds* when the LSTM
    makes at most twice real code's bracket errors (at least `BRACKET_FLOOR` per 1,000 characters allowed) and
    at least 90% of its changes of indentation follow the braces (`IndentReport.step_share`: one stray brace does
    not shift every later line); *holds partly* when one of the two holds."""
    errors, real_errors = lstm.row()["bracket errors / 1,000 chars"], real.row()["bracket errors / 1,000 chars"]
    indent = lstm.share("indent_steps_matched", "indent_steps")
    value = f"{_fmt(errors)} bracket errors / 1,000 chars, {_fmt(indent, True)} of indent changes follow the braces"
    measured = (f"{_fmt(errors)} bracket errors per 1,000 characters (real code {_fmt(real_errors)}); "
                f"{_fmt(indent, True)} of {lstm.indent_steps} changes of indentation between consecutive statement "
                "lines are one tab per brace opened or closed (real "
                f"{_fmt(real.share('indent_steps_matched', 'indent_steps'), True)}); "
                f"{_fmt(lstm.share('indent_matched', 'indent_lines'), True)} of its lines sit at the depth its "
                "braces give them")
    ok = [errors <= max(2 * real_errors, BRACKET_FLOOR), not math.isnan(indent) and indent >= 0.9]
    if all(ok):
        return "holds", value, measured
    return ("holds partly" if any(ok) else "not reached at this scale"), value, measured


def names_verdict(lstm: CodeMeasures, real: CodeMeasures, part: str, whole: str, what: str) -> tuple[str, str, str]:
    """"It often uses undefined variables" / "declares variables it never uses": *holds* when the LSTM's share
    is at least 1.5 times real code's and the LSTM did it at least 5 times; *holds partly* when above real's;
    *contradicted* when not above (and there is something to count)."""
    ours, theirs = lstm.share(part, whole), real.share(part, whole)
    value = f"{_fmt(ours, True)} vs real {_fmt(theirs, True)}"
    measured = (f"{getattr(lstm, part)} of the LSTM's {getattr(lstm, whole)} {what} ({_fmt(ours, True)}); real "
                f"held-out code: {getattr(real, part)} of {getattr(real, whole)} ({_fmt(theirs, True)})")
    if math.isnan(ours) or getattr(lstm, whole) < 5:
        return "not reached at this scale", value, measured + " (too few to judge)"
    if ours >= 1.5 * theirs and getattr(lstm, part) >= 5:
        return "holds", value, measured
    return ("holds partly" if ours > theirs else "contradicted"), value, measured


def _better(lstm: float, gram: float, lower_is_better: bool, points: bool = False) -> str:
    """"LSTM", "counting" or "tie": which of two values is better (a tie within `TIE_RELATIVE` of the larger
    value, or `TIE_POINTS` for shares); "–" when one is missing."""
    if math.isnan(lstm) or math.isnan(gram):
        return "–"
    tolerance = TIE_POINTS if points else TIE_RELATIVE * max(abs(lstm), abs(gram))
    if abs(lstm - gram) <= tolerance:
        return "tie"
    return "LSTM" if (lstm < gram) == lower_is_better else "counting"


_SIDES = (("parse errors / 1,000 chars", "parse errors per 1,000 characters", True, False),
          ("bracket errors / 1,000 chars", "bracket errors per 1,000 characters", True, False),
          ("indent changes that follow the braces", "share of indent changes that follow the braces", False, True))


def counting_sides(gram: CodeMeasures, lstm: CodeMeasures) -> dict[str, str]:
    """For parse errors, bracket errors and indentation: which of `lstm` and the n-gram `gram` is better
    ("LSTM", "counting", "tie"), computed from their rows."""
    g, m = gram.row(), lstm.row()
    return {key: _better(m[key], g[key], lower, points) for key, _, lower, points in _SIDES}


def _sides_text(gram: CodeMeasures, lstm: CodeMeasures) -> str:
    g, m, sides = gram.row(), lstm.row(), counting_sides(gram, lstm)
    words = {"LSTM": "the LSTM better", "counting": f"the {gram.label} better", "tie": "a tie", "–": "not measured"}
    parts = []
    for key, what, _, points in _SIDES:
        parts.append(f"{what}: {gram.label} {_fmt(g[key], points)}, LSTM {_fmt(m[key], points)} "
                     f"({words[sides[key]]})")
    return "; ".join(parts)


def goldberg_verdict(grams: Sequence[CodeMeasures], lstm: CodeMeasures, real: CodeMeasures) -> tuple[str, str, str]:
    """Goldberg: order-20 n-grams are "far from keeping good indentation and brackets". "Good" is real code: on
    the highest order, *holds* when its bracket errors per 1,000 characters are at least twice real code's (and
    at least 0.5) or the share of its indentation changes that follow the braces is 10 points below real code's;
    *contradicted* otherwise. Both sides of the comparison with the LSTM (parse errors, brackets, indentation:
    which is better, computed) and how much of the n-gram's text is copied are stated beside the verdict."""
    top = grams[-1]
    r = {m.label: m.row() for m in (top, lstm, real)}
    b = {k: v["bracket errors / 1,000 chars"] for k, v in r.items()}
    ind = {k: v["indent changes that follow the braces"] for k, v in r.items()}
    copy_key = f"copied in spans of {COPY_MIN}+"
    value = (f"{top.label}: {_fmt(b[top.label])} bracket errors / 1,000, {_fmt(ind[top.label], True)} of indent "
             f"changes follow braces (real {_fmt(b[real.label])}, {_fmt(ind[real.label], True)}; LSTM "
             f"{_fmt(b[lstm.label])}, {_fmt(ind[lstm.label], True)})")
    measured = (f"{top.label} samples: {_fmt(b[top.label])} bracket errors per 1,000 characters and "
                f"{_fmt(ind[top.label], True)} of indentation changes following the braces, against real code's "
                f"{_fmt(b[real.label])} and {_fmt(ind[real.label], True)}. Against the LSTM, "
                f"{_sides_text(top, lstm)}. {_fmt(r[top.label][copy_key], True)} of the {top.label}'s text is "
                f"copied from training in spans of {COPY_MIN}+ characters (median longest copy "
                f"{cell(r[top.label]['longest copy (median chars)'], '{:,.0f}')} characters; the LSTM's "
                f"{_fmt(r[lstm.label][copy_key], True)})")
    far_brackets = b[top.label] > max(2 * b[real.label], BRACKET_FLOOR)
    far_indent = ind[top.label] <= ind[real.label] - 0.1
    return ("holds" if far_brackets or far_indent else "contradicted"), value, measured


def lstm_beats_counting_verdict(grams: Sequence[CodeMeasures], lstm: CodeMeasures) -> tuple[str, str, str]:
    """"The LSTM keeps syntax and brackets better than order-20 counting" (what the post's Linux section and
    Goldberg's reply imply): on parse errors and bracket errors per 1,000 characters against the highest order,
    *holds* when the LSTM is better on both, *contradicted* when counting is better on at least one and the
    LSTM on neither, *holds partly* otherwise (ties: `TIE_RELATIVE`). Indentation is stated beside."""
    top = grams[-1]
    sides = counting_sides(top, lstm)
    keys = [k for k, *_ in _SIDES[:2]]
    won = {who: sum(sides[k] == who for k in keys) for who in ("LSTM", "counting")}
    g, m = top.row(), lstm.row()
    value = (f"parse errors {_fmt(m[keys[0]])} (LSTM) vs {_fmt(g[keys[0]])} ({top.label}); brackets "
             f"{_fmt(m[keys[1]])} vs {_fmt(g[keys[1]])} per 1,000 chars")
    measured = f"Against the {top.label}'s samples, {_sides_text(top, lstm)}"
    if "–" in (sides[k] for k in keys):
        return "not reached at this scale", value, measured + " (a measure could not be taken)"
    if won["LSTM"] == len(keys):
        return "holds", value, measured
    return ("contradicted" if won["counting"] and not won["LSTM"] else "holds partly"), value, measured


def identifier_gate(lstm: CodeMeasures, real: CodeMeasures) -> Gate:
    """"Most identifiers real", the competence the name claims need: a model that invents most of its names
    cannot show that it loses track of the real ones. Value: the share of the LSTM's distinct identifiers that
    occur in the training text; threshold: `KNOWN_FRACTION` of real held-out code's own share, and at least 50%."""
    ours, theirs = 1 - lstm.share("invented", "distinct_identifiers"), 1 - real.share("invented",
                                                                                      "distinct_identifiers")
    threshold = max(0.5, KNOWN_FRACTION * theirs) if not math.isnan(theirs) else 0.5
    return Gate(f"share of its distinct identifiers found in the training text (real held-out code: "
                f"{_fmt(theirs, True)}; {KNOWN_FRACTION:.0%} of that, at least half, needed)",
                0.0 if math.isnan(ours) else round(ours, 4), round(threshold, 4))


# ------------------------------------------------------------------------------------------- every claim at once

POST_CLAIMS = {  # id: (the post's words, kind)
    "ch08-few-syntax-errors": ("very good at making very few syntactic errors", "post"),
    "ch08-brackets-indent": ("opens and closes brackets {[ correctly and learns to indent its code very well",
                             "post"),
    "ch08-undefined-variables": ("it often uses undefined variables", "post"),
    "ch08-unused-variables": ("declares variables it never uses", "post"),
    "ch08-goldberg-ngram-brackets": ("[order-20 n-grams are] far from keeping good indentation and brackets "
                                     "(Yoav Goldberg, in reply to the post)", "post"),
    "ch08-lstm-beats-counting": ("the LSTM keeps syntax and brackets better than order-20 counting", "post"),
    "ch08-recites-licence": ("The model first recites the GNU license character by character", "post"),
}


def verdicts(lstm: CodeMeasures, real: CodeMeasures, grams: Sequence[CodeMeasures]) -> dict[str, Verdict]:
    """Every claim of `POST_CLAIMS` judged for one LSTM's measures (the name claims behind `identifier_gate`)."""
    gate = identifier_gate(lstm, real)
    return {
        "ch08-few-syntax-errors": Verdict(*syntax_verdict(lstm, real)),
        "ch08-brackets-indent": Verdict(*brackets_indent_verdict(lstm, real)),
        "ch08-undefined-variables": Verdict(*names_verdict(lstm, real, "undefined_uses", "uses",
                                                           "variable uses name nothing declared in the sample"),
                                            gate=gate),
        "ch08-unused-variables": Verdict(*names_verdict(lstm, real, "unused_locals", "locals",
                                                        "declared locals are never used"), gate=gate),
        "ch08-goldberg-ngram-brackets": Verdict(*goldberg_verdict(grams, lstm, real)),
        "ch08-lstm-beats-counting": Verdict(*lstm_beats_counting_verdict(grams, lstm)),
    }


# ------------------------------------------------------------------------------------------- the long run beside

def long_windows(result: Result | None, num: int, length: int, burn_in: int) -> list[str] | None:
    """The committed long model's windows, sampled exactly as the chapter samples its own LSTM (temperature 1,
    primed with a newline, seeds 0.., the same burn-in); None when no long run is committed or it stored no
    model."""
    ckpt = long_checkpoint(result)
    if ckpt is None:
        return None
    return sample(ckpt.model, ckpt.vocab, length, temperature=1.0, prime="\n", num=num, seed=0, burn_in=burn_in)


def long_checkpoint(result: Result | None) -> Checkpoint | None:
    """The committed long run's model, or None when there is no long run or it stored no model."""
    if result is None or not (result.stamp.get("model") or {}).get("file"):
        return None
    return result.load()


def plot_ladder(points: Sequence[tuple[str, float, CodeMeasures]], real: CodeMeasures) -> plt.Axes:
    """The headline measure, bracket errors per 1,000 characters, against training characters read, one point
    per scale; the dashed line is where "opens and closes brackets correctly" holds (twice real code's rate, at
    least `BRACKET_FLOOR`, as in `brackets_indent_verdict`)."""
    key = "bracket errors / 1,000 chars"
    target = max(2 * real.row()[key], BRACKET_FLOOR)
    return scale_ladder([(label, chars, m.row()[key]) for label, chars, m in points], "bracket errors / 1,000 chars",
                        target=target, target_label=f"holds at or below {target:.2f} (twice real code)",
                        higher_is_better=False)


# ------------------------------------------------------------------------------------------- a new file's licence
# The kernel's files start with an SPDX licence line ("// SPDX-License-Identifier: GPL-2.0"); in Linux 6.1 the
# GPL's paragraphs the post's model recited survive in a few files only, the rest is the SPDX line, a copyright
# and a description. A new file is primed the way one starts in the training text (the previous file's last
# brace, then the commonest SPDX line) and its first OPENING_LEN characters are compared with the openings of the
# training text's files.
_SPDX_RE = re.compile(r"^(?://|/\*) SPDX-License-Identifier[^\n]*\n", re.M)
FILE_PRIME = "}\n// SPDX-License-Identifier: GPL-2.0\n"
OPENING_LEN = 400


def file_openings(text: str, length: int = OPENING_LEN) -> list[str]:
    """The first `length` characters of every file of `text` after its SPDX licence line."""
    return [text[m.end() : m.end() + length] for m in _SPDX_RE.finditer(text)]


@dataclass(frozen=True)
class Recital:
    """The longest span of each new file's opening found verbatim in the training text's file openings."""

    label: str
    longest: tuple[int, ...]

    @property
    def median(self) -> float:
        return float(np.median(self.longest)) if self.longest else math.nan


def recital(label: str, openings: Sequence[str], training_openings: SubstringIndex) -> Recital:
    """`Recital` of `openings` (a model's new files, or real held-out files) against `training_openings`, a
    `SubstringIndex` of the training text's `file_openings` joined by NUL characters."""
    return Recital(label, tuple(training_openings.longest(o) for o in openings))


def opening_index(train: str) -> SubstringIndex:
    """The index `recital` reads: the training text's file openings, joined by NUL (no span crosses two)."""
    return SubstringIndex("\0".join(file_openings(train)))


def new_files(ckpt: Checkpoint, num: int) -> list[str]:
    """`num` new files as the model starts them after `FILE_PRIME` (temperature 1, seeds 0..), `OPENING_LEN` long."""
    return sample(ckpt.model, ckpt.vocab, OPENING_LEN, temperature=1.0, prime=FILE_PRIME, num=num, seed=0)


def recital_verdict(lstm: Recital, real: Recital) -> tuple[str, str, str]:
    """"The model first recites the GNU license character by character": *holds* when the median longest span
    of the LSTM's new files copied from the training text's file openings is at least real held-out files'
    own (kernel files recite the same boilerplate); *holds partly* at half of it; else not reached."""
    ours, theirs = cell(lstm.median, "{:.0f}"), cell(real.median, "{:.0f}")
    value = f"median longest recited span {ours} chars (real files {theirs})"
    measured = (f"{len(lstm.longest)} new files sampled after a file's end and its SPDX line: the longest span of "
                f"each file's first {OPENING_LEN} characters found verbatim in the training text's file openings "
                f"is {', '.join(map(str, lstm.longest)) or 'none'} characters (median {ours}); real held-out files, "
                f"{len(real.longest)} of them: median {theirs}")
    if not lstm.longest or math.isnan(real.median):
        return "not testable here", value, measured + " (no file openings to compare)"
    if lstm.median >= real.median:
        return "holds", value, measured
    return ("holds partly" if lstm.median >= real.median / 2 else "not reached at this scale"), value, measured
