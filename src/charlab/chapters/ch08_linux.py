"""Glue for the Linux chapter: its sizes per scale, Goldberg's n-gram orders, the C measures of one set of windows
(LSTM samples, n-gram samples or real held-out code) arranged into one table and one figure, and the verdicts.

The measures themselves are in `charlab.analysis.csource` (parse errors, brackets, indentation, names) and
`charlab.analysis.copying` (spans copied from the training text); this module pools them over a set of windows.
"""

from __future__ import annotations

import math
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
from charlab.presets import for_scale
from charlab.tables import cell, table

SIZES = {  # samples per kind of text; Goldberg's samples are fewer: his sampler draws one character per step in Python
    "smoke": dict(num_samples=3, ngram_samples=2, sample_len=1500, burn_in=200, goldberg_orders=(5, 8)),
    "cpu": dict(num_samples=16, ngram_samples=8, sample_len=4000, burn_in=500, goldberg_orders=(10, 15, 20)),
    "blog": dict(num_samples=48, ngram_samples=16, sample_len=4000, burn_in=1000, goldberg_orders=(10, 15, 20)),
}
COPY_MIN = 50  # a span of at least this many characters found verbatim in the training text counts as copied


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
                 index: SubstringIndex) -> CodeMeasures:
    """Pool the `analysis.csource` measures over `windows` (see `CodeMeasures`); `index` is the training text's
    substring index, `known_identifiers` its identifiers."""
    brackets = [bracket_report(w) for w in windows]
    kept = "\n".join(k for k in (trim_to_top_level(w) for w in windows) if k)
    parse, indent = parse_report(kept), indent_report(kept, start_depth=0)
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
    makes at most twice real code's bracket errors (at least 0.1 per 1,000 characters allowed) and at least 90%
    of its changes of indentation follow the braces (`IndentReport.step_share`: one stray brace does not shift
    every later line); *holds partly* when one of the two holds."""
    errors, real_errors = lstm.row()["bracket errors / 1,000 chars"], real.row()["bracket errors / 1,000 chars"]
    indent = lstm.share("indent_steps_matched", "indent_steps")
    value = f"{_fmt(errors)} bracket errors / 1,000 chars, {_fmt(indent, True)} of indent changes follow the braces"
    measured = (f"{_fmt(errors)} bracket errors per 1,000 characters (real code {_fmt(real_errors)}); "
                f"{_fmt(indent, True)} of {lstm.indent_steps} changes of indentation between consecutive statement "
                "lines are one tab per brace opened or closed (real "
                f"{_fmt(real.share('indent_steps_matched', 'indent_steps'), True)}); "
                f"{_fmt(lstm.share('indent_matched', 'indent_lines'), True)} of its lines sit at the depth its "
                "braces give them")
    ok = [errors <= 2 * max(real_errors, 0.1), not math.isnan(indent) and indent >= 0.9]
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


def goldberg_verdict(grams: Sequence[CodeMeasures], lstm: CodeMeasures, real: CodeMeasures) -> tuple[str, str, str]:
    """Goldberg: order-20 n-grams are "far from keeping good indentation and brackets". "Good" is real code: on
    the highest order, *holds* when its bracket errors per 1,000 characters are at least twice real code's (and
    at least 0.5) or the share of its indentation changes that follow the braces is 10 points below real code's;
    *contradicted* otherwise. Whether the LSTM does better, and how much of the n-gram's text is copied, is
    stated beside the verdict."""
    top = grams[-1]
    r = {m.label: m.row() for m in (top, lstm, real)}
    b = {k: v["bracket errors / 1,000 chars"] for k, v in r.items()}
    ind = {k: v["indent changes that follow the braces"] for k, v in r.items()}
    copy_key = f"copied in spans of {COPY_MIN}+"
    value = (f"{top.label}: {_fmt(b[top.label])} bracket errors / 1,000, {_fmt(ind[top.label], True)} of indent "
             f"changes follow braces (real {_fmt(b[real.label])}, {_fmt(ind[real.label], True)})")
    better = b[lstm.label] < b[top.label] and ind[lstm.label] > ind[top.label]
    measured = (f"{top.label} samples: {_fmt(b[top.label])} bracket errors per 1,000 characters and "
                f"{_fmt(ind[top.label], True)} of indentation changes following the braces, against real code's "
                f"{_fmt(b[real.label])} and {_fmt(ind[real.label], True)}; the LSTM's {_fmt(b[lstm.label])} and "
                f"{_fmt(ind[lstm.label], True)} are {'better on both' if better else 'not better on both'}; "
                f"{_fmt(r[top.label][copy_key], True)} of the {top.label}'s text is copied from training in spans of "
                f"{COPY_MIN}+ characters (median longest copy {r[top.label]['longest copy (median chars)']:,.0f} "
                f"characters; the LSTM's {_fmt(r[lstm.label][copy_key], True)})")
    far_brackets = b[top.label] >= max(2 * b[real.label], 0.5)
    far_indent = ind[top.label] <= ind[real.label] - 0.1
    return ("holds" if far_brackets or far_indent else "contradicted"), value, measured
