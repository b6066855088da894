import math
from collections import Counter
from pathlib import Path

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
    real = ch07.EnvMeasures("real", _closes([(50, True)] * 4))
    v = ch07.verdicts(unlearned, real, 0.2)["ch07-long-term"]
    assert v.verdict == "contradicted"  # as computed; the gate (1/6 against 0.6) makes it "not reached"
    assert v.judgement("cpu").verdict == "not reached at this scale"


def test_close_gate_is_halfway_from_chance_to_real_text_at_short_range():
    lstm = ch07.EnvMeasures("LSTM", _closes([(50, True)] + [(50, False)] * 5 + [(500, True)] * 6))
    real = ch07.EnvMeasures("real", _closes([(20, True)] * 3 + [(30, False)]))  # real: 75% under 100 chars
    gate = ch07.close_gate(lstm, real, chance=0.25)
    assert gate.value == pytest.approx(1 / 6, abs=1e-4) and gate.threshold == pytest.approx(0.5)
    assert not gate.passed and "chance 25%, real text 75%" in gate.what
    learned = ch07.EnvMeasures("LSTM", _closes([(50, True)] * 5 + [(60, False)]))
    assert ch07.close_gate(learned, real, chance=0.25).passed  # 5/6 >= 0.5
    assert ch07.close_gate(ch07.EnvMeasures("LSTM", []), real, 0.25).value == 0.0  # nothing closed: not competent
    assert ch07.short_share(learned) == pytest.approx(5 / 6) and math.isnan(ch07.short_share(ch07.EnvMeasures("x", [])))


def test_verdicts_gate_both_failure_claims():
    real = ch07.measure_envs("real", [GOOD] * 3)
    good = ch07.verdicts(ch07.measure_envs("LSTM", [CONFUSED] * 3), real, 0.2)
    assert set(good) == {"ch07-proof-lemma", "ch07-long-term"}  # nothing compiled: no compile claim
    assert good["ch07-proof-lemma"].gate is good["ch07-long-term"].gate
    # CONFUSED closes 1 of 3 right (all under 100 chars): 33% against the 60% needed, so not reached
    assert good["ch07-proof-lemma"].verdict == "holds"
    assert good["ch07-proof-lemma"].judgement("long").verdict == "not reached at this scale"
    assert good["ch07-proof-lemma"].judgement("long").scale == "long"
    both = ch07.verdicts(ch07.measure_envs("LSTM", [GOOD]), real, 0.2, _compiled("LSTM", [False], [True]),
                         _compiled("real", [False], [True]))
    assert both["ch07-almost-compiles"].verdict == "holds" and both["ch07-almost-compiles"].gate is None
    assert set(both) == set(ch07.POST_CLAIMS)


def test_proof_closed_by_lemma_counts_a_proof_open_anywhere_in_the_stack():
    inner = "\\begin{proof}\n\\begin{enumerate}\n\\item x\n\\end{lemma}\n"  # the post's own shape
    m = ch07.measure_envs("x", [inner])
    assert m.proof_lemma == 1 and m.confusions == Counter({("enumerate", "lemma"): 1})
    assert ch07.measure_envs("x", [CONFUSED]).proof_lemma == 1
    inside_lemma = "\\begin{lemma}\\begin{proof}\\begin{enumerate}\\item x\\end{lemma}"
    assert ch07.measure_envs("x", [inside_lemma]).proof_lemma == 0  # a lemma is open: it may close that one
    assert ch07.measure_envs("x", [GOOD]).proof_lemma == 0


def test_baseline_table_long_run_helpers_and_ladder():
    from charlab.analysis.ngram import KNBaseline, KNResult

    kn = KNBaseline(6, math.log(2) * 2.0, [KNResult(4, math.log(2) * 2.5, 0.7, 0.1),
                                           KNResult(6, math.log(2) * 2.1, 0.8, 0.1)], "report", "context")
    df = ch07.baseline_table(kn, {"LSTM (cpu)": math.log(2) * 1.5})
    assert df.loc["Kneser-Ney order 6", "bits/char, report half"] == "2.000"
    assert df.loc["Kneser-Ney order 4", "bits/char, report half"] == "–"
    assert df.loc["Kneser-Ney order 4", "bits/char, tuning half"] == "2.500"
    assert df.loc["LSTM (cpu)", "bits/char, report half"] == "1.500"
    assert ch07.long_windows(None, 2, 10, 0) is None
    m = ch07.measure_envs("LSTM", [GOOD])
    df = ch07.scale_table([("cpu", m, None), ("long", m, _compiled("LSTM", [False], [True]))])
    assert df.loc["cpu", "compile after the automatic repair"] == "–"
    assert df.loc["long", "compile after the automatic repair"] == "100%"
    assert df.loc["long", "... under 100 chars"] == "100.0%"
    gate = ch07.close_gate(m, m, 0.2)
    ax = ch07.plot_ladder([("cpu", 1e6, m), ("long", 1e7, m)], gate)
    assert len(ax.lines[0].get_xdata()) == 2


# --- the rules against the post's own raw LaTeX sample (tests/fixtures/post_samples/latex_raw_sample.txt) ---

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "post_samples"


def _post_sample() -> str:
    return (FIXTURES / "latex_raw_sample.txt").read_text().split("\n", 1)[1]  # below the attribution line


def test_the_post_sample_shows_both_failures_the_post_names():
    # the post: "opens a \\begin{proof} environment but then ends it with a \\end{lemma}" and "opens an
    # \\begin{enumerate} but then forgets to close it"
    m = ch07.measure_envs("post", [_post_sample()])
    assert m.proof_lemma == 1
    assert m.left_open["enumerate"] == 1 and sum(n for (a, _), n in m.confusions.items() if a == "enumerate") == 1
    assert m.math_windows == 1  # its math and braces balance: the failures are environments, not formulas


@pytest.mark.skipif(not pdflatex_available(), reason="pdflatex is not installed (CI installs TeX Live)")
def test_the_post_sample_compiles_after_the_automatic_repair():
    # the post's "few fixes by hand" are what the repair does: the sample is whole lines (partial_lines=False)
    preamble = ("\\documentclass{article}\\usepackage{amsmath,amssymb,hyperref}\\newtheorem{lemma}{Lemma}"
                "\\newenvironment{proof}{}{}")
    c = ch07.compile_windows("post", [_post_sample()], preamble)
    assert c.rate("as_is") == 0.0
    from charlab.analysis.latex import repair
    from charlab.analysis.texcompile import compile_latex

    assert compile_latex(repair(_post_sample(), partial_lines=False), preamble, ch07.COMPILE_TIMEOUT_S).ok


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


def test_show_claim_judges_the_long_run_beside_the_page(monkeypatch):
    shown = []
    monkeypatch.setattr(ch07, "claim", lambda *a, **k: shown.append((a, k)))
    real = ch07.measure_envs("real", [GOOD] * 3)
    v = {"LSTM": ch07.verdicts(ch07.measure_envs("LSTM", [CONFUSED]), real, 0.2),
         "LSTM (long)": ch07.verdicts(ch07.measure_envs("LSTM", [GOOD] * 3), real, 0.2)}
    ch07.show_claim("ch07-proof-lemma", v, "cpu")
    (args, kwargs), = shown
    assert args[0] == "ch07-proof-lemma" and args[4] == "holds" and args[5] == "cpu"
    assert not kwargs["gate"].passed
    (long,) = kwargs["also"]
    assert long.scale == "long" and long.verdict == "contradicted" and long.gate.passed  # all closes right
    ch07.show_claim("ch07-long-term", {"LSTM": v["LSTM"]}, "cpu")
    assert shown[-1][1]["also"] == []  # no long run: the page's judgement only
