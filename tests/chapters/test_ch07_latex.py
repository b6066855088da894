import math
from collections import Counter

import matplotlib
import numpy as np
import pytest

from charlab.analysis.texcompile import pdflatex_available
from charlab.chapters import ch07_latex as ch07
from charlab.errors import CharlabError

matplotlib.use("Agg")

GOOD = ("Some text.\n\\begin{lemma}\nLet $X$ be a scheme.\n\\end{lemma}\n\n\\begin{proof}\nSee "
        "\\begin{enumerate}\n\\item one\n\\item two\n\\end{enumerate}\nand we are done.\n\\end{proof}\nMore.\n")
CONFUSED = GOOD.replace("\\end{proof}", "\\end{lemma}").replace("\\end{enumerate}", "\\end{itemize}")


def test_measure_envs_counts_confusions_and_balance():
    good = ch07.measure_envs("real", [GOOD, GOOD])
    assert len(good.matched) == 6 and good.correct_share == 1.0 and good.math_windows == 2
    bad = ch07.measure_envs("LSTM", [CONFUSED])
    assert bad.confusions == Counter({("proof", "lemma"): 1, ("enumerate", "itemize"): 1})
    assert bad.correct_share == pytest.approx(1 / 3)
    df = ch07.env_table([good, bad])
    assert df.loc["LSTM", "proof closed by \\end{lemma}"] == "1"
    assert df.loc["LSTM", "enumerate closed by another \\end"] == "1"
    assert df.loc["real", "close the innermost \\begin"] == "100.0%"


def test_failures_verdict():
    real = ch07.measure_envs("real", [GOOD])
    assert ch07.failures_verdict(ch07.measure_envs("LSTM", [CONFUSED]), real)[0] == "holds"
    lemma_only = GOOD.replace("\\end{proof}", "\\end{lemma}")
    assert ch07.failures_verdict(ch07.measure_envs("LSTM", [lemma_only]), real)[0] == "holds partly"
    assert ch07.failures_verdict(ch07.measure_envs("LSTM", [GOOD]), real)[0] == "contradicted"
    assert ch07.failures_verdict(ch07.measure_envs("LSTM", ["no environments"]), real)[0] == (
        "not reached at this scale")


def test_chance_memory_reach_and_plot():
    closes = ch07.measure_envs("x", [GOOD]).closes
    # three closes: lemma, enumerate, proof; by frequency lemma 1/2, proof 1/4, enumerate 1/4
    assert ch07.chance_share(closes, Counter(lemma=2, proof=1, enumerate=1)) == pytest.approx((0.5 + 0.25 + 0.25) / 3)
    assert math.isnan(ch07.chance_share([], Counter(lemma=1)))
    rate = np.array([1.0, 0.9, 0.4, np.nan, np.nan, np.nan, np.nan])
    counts = np.array([10, 10, 10, 0, 0, 0, 0])
    assert ch07.memory_reach(rate, counts, chance=0.2) == 100.0  # bins 0 and 1 are >= 0.6
    assert ch07.memory_reach(rate * 0, counts, chance=0.2) is None
    ch07.plot_memory([ch07.measure_envs("real", [GOOD])], 0.3)
    with pytest.raises(CharlabError, match="unknown scale"):
        ch07.sizes("nope")


def _closes(distances_correct):
    from charlab.analysis.latex import Close

    return [Close("proof" if ok else "lemma", 0, "proof", d) for d, ok in distances_correct]


def test_memory_verdict_compares_near_and_far_closes():
    fades = ch07.EnvMeasures("LSTM", _closes([(50, True)] * 6 + [(500, False)] * 6))
    assert ch07.memory_verdict(fades, 0.2)[0] == "holds"
    keeps = ch07.EnvMeasures("LSTM", _closes([(50, True)] * 6 + [(500, True)] * 6))
    assert ch07.memory_verdict(keeps, 0.2)[0] == "contradicted"
    few = ch07.EnvMeasures("LSTM", _closes([(50, True)] * 6))
    assert ch07.memory_verdict(few, 0.2)[0] == "not reached at this scale"
    unlearned = ch07.EnvMeasures("LSTM", _closes([(50, True)] + [(50, False)] * 5 + [(500, True)] * 6))
    verdict, _, measured = ch07.memory_verdict(unlearned, 0.2)
    assert verdict == "not reached at this scale" and "even at short range" in measured


def _compiled(label, ok_as_is, ok_repaired):
    from charlab.analysis.texcompile import CompileResult

    def res(ok):
        return CompileResult(ok, 0.1, "" if ok else "Missing $ inserted", "", None, "", None, None)

    return ch07.Compiled(label, [res(o) for o in ok_as_is], [res(o) for o in ok_repaired], [""] * len(ok_repaired))


def test_compile_verdict_and_table():
    real = _compiled("real", [False, False], [True, True])
    assert ch07.compile_verdict(_compiled("LSTM", [False] * 2, [True, True]), real)[0] == "holds"
    assert ch07.compile_verdict(_compiled("LSTM", [False] * 2, [True, False]), real)[0] == "holds partly"
    assert ch07.compile_verdict(_compiled("LSTM", [False] * 2, [False] * 2), real)[0] == "not reached at this scale"
    never = _compiled("real", [False], [False])
    assert ch07.compile_verdict(_compiled("LSTM", [False], [False]), never)[0] == "not testable here"
    df = ch07.compile_table([real])
    assert df.loc["real", "compile after the automatic repair"] == "100%"
    assert df.loc["real", "first errors as sampled"] == "Missing $ inserted (2)"


@pytest.mark.skipif(not pdflatex_available(), reason="pdflatex is not installed (CI installs TeX Live)")
def test_compile_windows_runs_pdflatex_as_sampled_and_repaired():
    preamble = "\\documentclass{article}\\newtheorem{lemma}{Lemma}\\newenvironment{proof}{}{}"
    c = ch07.compile_windows("x", ["cut line\n" + CONFUSED + "last line"], preamble)
    assert c.rate("as_is") == 0.0 and c.rate("repaired") == 1.0
    assert c.errors("as_is").most_common(1)[0][0].startswith("\\begin{")
