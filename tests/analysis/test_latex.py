import math
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from charlab.analysis.latex import (
    Close,
    close_rate_by_distance,
    environment_closes,
    environment_report,
    math_balance,
    repair,
)
from charlab.errors import CharlabError


def clean(text: str) -> bool:
    """What `repair` promises: only correct ends, nothing unmatched or left open, math and braces balanced."""
    e = environment_report(text)
    return (e.correct == e.matched and not e.unmatched and not e.left_open and not e.malformed
            and math_balance(text).balanced)


def test_nested_environments_closed_in_order():
    text = r"\begin{theorem}Let \begin{enumerate}\item $x$\end{enumerate} hold.\end{theorem}"
    closes = environment_closes(text)
    assert [(c.name, c.opened, c.correct) for c in closes] == [("enumerate", "enumerate", True),
                                                                ("theorem", "theorem", True)]
    assert closes[0].distance == text.index(r"\end{enumerate}") - text.index(r"\begin{enumerate}")
    assert closes[1].distance == text.index(r"\end{theorem}")
    report = environment_report(text)
    assert (report.begins, report.ends, report.matched, report.correct) == (2, 2, 2, 2)
    assert report.correct_share == 1.0 and not report.confusions and not report.left_open


def test_proof_closed_by_lemma_is_a_confusion_with_its_distance():
    text = "\\begin{lemma}\nA.\n\\end{lemma}\n\\begin{proof}\nTrivial.\n\\end{lemma}\n"
    closes = environment_closes(text)
    wrong = closes[1]
    assert (wrong.opened, wrong.name, wrong.correct, wrong.unmatched) == ("proof", "lemma", False, False)
    assert wrong.distance == text.rindex(r"\end{lemma}") - text.index(r"\begin{proof}") == 23
    report = environment_report(text)
    assert report.confusions == Counter({("proof", "lemma"): 1})
    assert report.correct_share == 0.5
    assert not report.left_open  # the wrong \end still pops the proof, as repair does when it renames it


def test_enumerate_left_open_and_unmatched_end_are_truncation():
    report = environment_report("\\begin{enumerate}\n\\item one\n\\item two")
    assert report.left_open == Counter({"enumerate": 1}) and report.ends == 0
    assert math.isnan(report.correct_share)
    text = "the end of a proof.\n\\end{proof}\n\\begin{lemma}x\\end{lemma}\n"
    closes = environment_closes(text)
    assert closes[0].unmatched and closes[0].distance is None and not closes[0].correct
    report = environment_report(text)
    assert report.unmatched == Counter({"proof": 1})
    assert (report.ends, report.matched, report.correct_share) == (2, 1, 1.0)  # unmatched is left out


def test_comments_verb_and_verbatim_are_skipped():
    text = ("% \\begin{proof}\n50\\% \\verb|\\end{lemma}| \\begin{verbatim}\\end{proof} $\\end{verbatim}"
            "\\\\% \\end{lemma}\n\\begin {x}\n\\end\n{x}")
    closes = environment_closes(text)
    assert [(c.opened, c.name) for c in closes] == [("verbatim", "verbatim"), ("x", "x")]
    assert math_balance(text).dollar_signs == 0


def test_close_rate_by_distance():
    closes = [Close("a", 5, "a", 5), Close("b", 50, "a", 50), Close("c", 60, "c", 60), Close("d", 9, None, None),
              Close("e", 5000, "e", 5000)]
    rate, counts = close_rate_by_distance(closes, [0, 10, 100, 1000])
    assert counts.tolist() == [1, 2, 0]  # the unmatched close and the one beyond the last edge are left out
    assert rate[0] == 1.0 and rate[1] == 0.5 and math.isnan(rate[2])
    rate, counts = close_rate_by_distance([], np.geomspace(1, 2000, 5))
    assert counts.sum() == 0 and np.isnan(rate).all()
    for bad in ([5], [10, 5], [[0, 1], [2, 3]]):
        with pytest.raises(CharlabError):
            close_rate_by_distance(closes, bad)


@pytest.mark.parametrize("text, expected", [
    ("$a$ and $$b$$ and \\$5", dict(dollar_signs=6, formulas=2, closed=2)),
    ("$a$$b$", dict(formulas=2, closed=2)),  # TeX: $$ inside inline math closes it and opens a new formula
    ("\\[x\\] \\(y\\) {a}\\{\\}", dict(formulas=2, closed=2, braces=1)),
    ("% $\n\\verb|$| \\$", dict(dollar_signs=0)),
])
def test_math_balance_balanced_cases(text, expected):
    b = math_balance(text)
    assert b.balanced
    for name, value in expected.items():
        assert getattr(b, name) == value, name


@pytest.mark.parametrize("text, expected", [
    ("$a", dict(open_at_end=("$",))),
    ("$a\n\nb$ c", dict(cut=1, open_at_end=("$",))),  # a blank line ends the formula; the next $ opens one
    ("$a \\item b$", dict(cut=1, open_at_end=("$",))),
    ("$x\\]", dict(mismatched=1, closed=0)),
    ("$$a$ b", dict(mismatched=1)),
    ("$\\[a$", dict(mismatched=1, closed=1)),
    ("a\\] b", dict(stray_closers=1)),
    ("}{{", dict(stray_braces=1, braces_open_at_end=2)),
    ("$\\frac{a$", dict(braces_cut=1, closed=1)),
    ("{$x}", dict(cut=1)),
    ("\\begin{lemma}$x\\end{lemma}", dict(cut=1)),
    ("{\\begin{lemma}}\\end{lemma}", dict(stray_braces=1, braces_open_at_end=1)),  # an environment is a wall
])
def test_math_balance_problems(text, expected):
    b = math_balance(text)
    assert not b.balanced
    for name, value in expected.items():
        assert getattr(b, name) == value, name


BROKEN = r"""ma $x$ is a
\begin{lemma}
Let $X$ be a scheme.
\end{lemma}
\begin{proof}
\begin{enumerate}
\item Let $U \subset X$ be open with $\mathcal{O}_X(U
\item Then {\it done
\end{lemma}
Hence $f$ is \emph{flat}}.

\section{Next"""


def test_repair_makes_a_broken_snippet_clean():
    assert not clean(BROKEN)
    fixed = repair(BROKEN)
    assert clean(fixed)
    assert not fixed.startswith("ma $x$")  # the clipped first line is gone (so is the clipped last line)
    assert "\\section{Next" not in fixed
    assert "$\\mathcal{O}_X(U\n$\\item Then {\\it done\n}\\end{enumerate}" in fixed  # closers where needed
    assert "\\emph{flat}." in fixed  # the stray } is deleted
    assert fixed.endswith("\\end{proof}\n") and fixed.count("\\end{proof}") == 1
    assert repair(fixed, partial_lines=False) == fixed  # nothing left to repair


def test_repair_unmatched_ends_open_or_drop():
    window = "x\n\\item b\n\\end{enumerate}\nmore\n\\end{proof}\nand\n"
    opened = repair(window)
    assert opened.startswith("\\begin{proof}\n\\begin{enumerate}\n\\item b\n")  # no extra \item: the body has one
    assert clean(opened)
    dropped = repair(window, unmatched_ends="drop")
    assert "\\end{" not in dropped and "\\begin{" not in dropped and clean(dropped)
    assert repair("x\nfoo\n\\end{itemize}\n").startswith("\\begin{itemize}\n\\item\nfoo")
    assert repair("\\begin{enumerate}\n", partial_lines=False) == "\\begin{enumerate}\n\\item\n\\end{enumerate}\n"
    with pytest.raises(CharlabError):
        repair(window, unmatched_ends="keep")  # type: ignore[arg-type]


def test_repair_math_phase_for_a_window_starting_inside_display_math():
    window = "junk\nA \\to B\n$$\nso $x$ holds.\n"
    fixed = repair(window)
    assert fixed.startswith("$$\nA \\to B\n$$\nso $x$ holds.")
    assert clean(fixed)
    assert repair("cut\nplain $x$ text\n") == "plain $x$ text\n"  # no lead when the text is fine as it is


def test_repair_removes_document_commands_and_handles_references():
    text = ("\\documentclass{amsart}\n\\usepackage[all]{xy}\n\\begin{document}\nHi \\input{chapters}\n"
            "\\input preamble\n\\include{x}\n\\externaldocument[a-]{a}\n\\end{document}\n")
    fixed = repair(text, partial_lines=False)
    for command in ("documentclass", "usepackage", "document}", "input", "include", "externaldocument"):
        assert command not in fixed
    refs = r"see \ref{a}, \ref{b}, \eqref{a}, \cite{c, d} and \cite[p. 2]{c}"
    assert repair(refs, partial_lines=False) == refs + "\n"  # kept by default: undefined is only a warning
    expected = r"see \ref{a}, ??, \eqref{a}, [??] and \cite[p. 2]{c}" + "\n"
    assert repair(refs, {"a", "c"}, partial_lines=False) == expected


def test_repair_never_merges_tokens():
    assert repair("$\\($$y$", partial_lines=False) == "$ $$y$\n"  # the deleted \( must not make $$$
    assert "\\alpha x" in repair("$\\alpha\\[x$", partial_lines=False)  # nor \alphax


@pytest.mark.parametrize("text", ["", "no latex at all", "\\end{}", "\\begin{", "$", "\\", "}{", "\\begin{}\\end{}",
                                  "\\end", "\\verb", "\\begin{verbatim}", "\n\n\n", "%", "\\end{verbatim}"])
def test_bad_input_never_raises(text):
    report = environment_report(text)
    assert report.correct_share == 1.0 or math.isnan(report.correct_share)
    environment_closes(text)
    math_balance(text)
    for partial in (True, False):
        for mode in ("open", "drop"):
            assert clean(repair(text, partial_lines=partial, unmatched_ends=mode))


def test_bad_input_specifics():
    assert math.isnan(environment_report("").correct_share) and environment_report("").ends == 0
    assert environment_report("\\begin{").malformed == 1
    assert environment_report("\\end{}").unmatched == Counter({"": 1})
    assert environment_report("\\begin{a}\\end{}").confusions == Counter({("a", ""): 1})
    assert math_balance("$").open_at_end == ("$",)
    assert repair("\\end{}", partial_lines=False) == ""
    assert repair("$", partial_lines=False) == "$\n$\n"


_FRAGMENTS = ["\\begin{proof}", "\\end{lemma}", "\\begin{enumerate}", "\\end{enumerate}", "\\item ", "$", "$$", "{",
              "}", "\\[", "\\]", "\\(", "\\)", "\n", "\n\n", " x ", "%", "\\verb|", "|", "\\", "\\end{}", "\\begin{",
              "\\begin{verbatim}", "\\end{verbatim}", "\\$", "\\{", "\\alpha", "\\\\", "\\end", "{proof}", "\\par",
              "\\begin{document}", "\\input{x}", "\\end\n{proof}", "\t"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_FRAGMENTS), max_size=40), st.booleans(), st.sampled_from(["open", "drop"]))
def test_repair_always_gives_a_clean_text(fragments, partial, mode):
    assert clean(repair("".join(fragments), partial_lines=partial, unmatched_ends=mode))


def test_a_close_knows_every_environment_open_around_it():
    closes = environment_closes("\\begin{proof}\n\\begin{enumerate}\n\\item x\n\\end{lemma}\n\\end{proof}")
    assert closes[0].enclosing == ("proof", "enumerate") and closes[0].opened == "enumerate"
    assert closes[1].enclosing == ("proof",) and closes[1].correct


def test_repair_deletes_an_item_outside_a_list_but_keeps_one_whose_list_was_cut():
    fixed = repair("\\begin{proof}\n\\item Given $x$.\nDone.\n\\end{proof}\n", partial_lines=False)
    assert "\\item" not in fixed and "Given $x$." in fixed
    kept = repair("\\item one\n\\item two\n\\end{enumerate}\n", partial_lines=False)  # its \begin was cut off
    assert kept.count("\\item") == 2 and kept.startswith("\\begin{enumerate}")
    inside = repair("\\begin{lemma}\n\\begin{itemize}\n\\item a\n\\end{itemize}\n\\end{lemma}\n", partial_lines=False)
    assert inside.count("\\item") == 1
