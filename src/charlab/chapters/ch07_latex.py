"""Glue for the LaTeX chapter: its sizes per scale, compiling sets of windows as sampled and after the automatic
repair, the environment measures pooled over a set of windows, the memory-against-distance figure, and the
verdicts.

The measures are in `charlab.analysis.latex` (environment stack, math balance, repair) and the TeX engine in
`charlab.analysis.texcompile` (pdflatex in a sandbox); this module runs them over sets of windows.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from charlab.analysis.latex import (
    Close,
    close_rate_by_distance,
    environment_closes,
    environment_report,
    math_balance,
    repair,
)
from charlab.analysis.ngram import KNBaseline
from charlab.analysis.texcompile import CompileResult, compile_latex
from charlab.claims import Gate, Verdict, claim
from charlab.experiments import Result
from charlab.plots import scale_ladder
from charlab.presets import for_scale
from charlab.sampling import sample
from charlab.tables import table
from charlab.units import bits

SIZES = {
    "smoke": dict(num_samples=3, compile_samples=2, sample_len=800, burn_in=200, orders=(3, 4)),
    "cpu": dict(num_samples=32, compile_samples=16, sample_len=2500, burn_in=500, orders=(4, 6, 8)),
    "blog": dict(num_samples=64, compile_samples=32, sample_len=2500, burn_in=1000, orders=(4, 6, 8, 10)),
}
DISTANCE_EDGES = np.array([1, 50, 100, 200, 400, 800, 1600, 2500])  # characters back to the matching \begin
COMPILE_TIMEOUT_S = 20
NEAR = 100  # an \end less than this many characters after its \begin is a short-range close


def sizes(scale: str) -> dict:
    return for_scale(SIZES, scale)


@dataclass
class Compiled:
    """pdflatex's verdict on a set of windows, as sampled and after `repair`."""

    label: str
    as_is: list[CompileResult]
    repaired: list[CompileResult]
    repaired_texts: list[str]

    def rate(self, which: str) -> float:
        results = getattr(self, which)
        return sum(r.ok for r in results) / len(results) if results else math.nan

    def errors(self, which: str) -> Counter:
        return Counter(r.error_class for r in getattr(self, which) if not r.ok)


def compile_windows(label: str, windows: Sequence[str], preamble: str) -> Compiled:
    """Compile each window in the Stacks preamble as it is, and after `repair` (see `charlab.analysis.latex`)."""
    fixed = [repair(w) for w in windows]
    return Compiled(label, [compile_latex(w, preamble, COMPILE_TIMEOUT_S) for w in windows],
                    [compile_latex(w, preamble, COMPILE_TIMEOUT_S) for w in fixed], fixed)


def compile_table(rows: Sequence[Compiled]) -> pd.DataFrame:
    def top(c: Counter) -> str:
        return "; ".join(f"{k} ({n})" for k, n in c.most_common(3)) or "none"

    return table([{"text": c.label, "windows": len(c.as_is), "compile as sampled": c.rate("as_is"),
                   "compile after the automatic repair": c.rate("repaired"),
                   "first errors as sampled": top(c.errors("as_is")),
                   "first errors after repair": top(c.errors("repaired"))} for c in rows],
                 {"compile as sampled": "{:.0%}", "compile after the automatic repair": "{:.0%}"})


@dataclass
class EnvMeasures:
    """Environment and math measures pooled over a set of windows."""

    label: str
    closes: list[Close]
    confusions: Counter = field(default_factory=Counter)
    left_open: Counter = field(default_factory=Counter)
    math_windows: int = 0  # windows whose math and braces balance
    windows: int = 0

    @property
    def matched(self) -> list[Close]:
        return [c for c in self.closes if not c.unmatched]

    @property
    def proof_lemma(self) -> int:
        """The post's failure, a proof "ended with \\end{lemma}": wrong `\\end{lemma}`s while a proof is open
        anywhere in the stack. Recalibrated on the post's own raw sample, where the proof's innermost
        environment at that point is an enumerate: counting only an innermost proof found none there."""
        return sum(c.name == "lemma" and "proof" in c.enclosing and "lemma" not in c.enclosing
                   for c in self.matched)

    @property
    def correct_share(self) -> float:
        m = self.matched
        return sum(c.correct for c in m) / len(m) if m else math.nan


def measure_envs(label: str, windows: Sequence[str]) -> EnvMeasures:
    """Pool `environment_report` and `math_balance` over `windows`."""
    closes, confusions, left_open, balanced = [], Counter(), Counter(), 0
    for w in windows:
        report = environment_report(w)
        closes += environment_closes(w)
        confusions += report.confusions
        left_open += report.left_open
        balanced += math_balance(w).balanced
    return EnvMeasures(label, closes, confusions, left_open, balanced, len(windows))


def env_table(rows: Sequence[EnvMeasures]) -> pd.DataFrame:
    return table([{
        "text": m.label, "\\end matched": len(m.matched), "close the innermost \\begin": m.correct_share,
        "confusions (opened/closed)": ", ".join(f"{a}/{b} ({n})" for (a, b), n in m.confusions.most_common(4))
                                      or "none",
        "proof closed by \\end{lemma}": m.proof_lemma,
        "enumerate closed by another \\end": sum(n for (a, _), n in m.confusions.items() if a == "enumerate"),
        "enumerate open at the window's end": m.left_open["enumerate"],
        "windows with balanced math and braces": m.math_windows / m.windows if m.windows else math.nan,
    } for m in rows], {"close the innermost \\begin": "{:.1%}", "windows with balanced math and braces": "{:.0%}"})


def chance_share(closes: Sequence[Close], end_frequencies: Counter) -> float:
    """How often a model that remembers nothing of which environment is open would close correctly, if it wrote
    `\\end{...}` names in proportion to their frequency in the training text: the mean, over the matched closes,
    of the frequency of the innermost open environment's name."""
    total = sum(end_frequencies.values())
    matched = [c for c in closes if not c.unmatched]
    if not matched or not total:
        return math.nan
    return float(np.mean([end_frequencies[c.opened] / total for c in matched]))


def plot_memory(rows: Sequence[EnvMeasures], chance: float) -> tuple[plt.Figure, dict[str, np.ndarray]]:
    """The share of correct closes against the distance back to the innermost `\\begin`, per kind of text."""
    fig, ax = plt.subplots(figsize=(8, 4.2))
    mids = np.sqrt(DISTANCE_EDGES[:-1] * DISTANCE_EDGES[1:])
    rates = {}
    for m in rows:
        rate, counts = close_rate_by_distance(m.closes, DISTANCE_EDGES)
        rates[m.label] = rate
        ax.plot(mids, rate, "o-", label=f"{m.label} ({counts.sum()} closes)",
                lw=2.5 if "LSTM" in m.label else 1.5)
    ax.axhline(chance, ls="--", color="gray", lw=1)
    ax.annotate("chance: names by frequency", (mids[0], chance), va="bottom", fontsize=8, color="gray")
    ax.set_xscale("log")
    ax.set_ylim(0, 1.05)
    ax.set_xlabel("characters from the innermost \\begin to the \\end (bins)")
    ax.set_ylabel("share of \\end that close it correctly")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig, rates


def memory_reach(rate: np.ndarray, counts: np.ndarray, chance: float, min_closes: int = 5) -> float | None:
    """The upper edge of the last distance bin (with at least `min_closes` closes) where the correct share is still
    halfway or more from chance to 1; None when no bin is."""
    ok = [i for i in range(len(rate)) if counts[i] >= min_closes and rate[i] >= (1 + chance) / 2]
    return float(DISTANCE_EDGES[ok[-1] + 1]) if ok else None


# ------------------------------------------------------------------------------------------------- verdicts

def compile_verdict(lstm: Compiled, real: Compiled) -> tuple[str, str, str]:
    """"The samples *almost* compile" (after the authors fixed a few issues by hand): *holds* when, after the
    automatic repair, the LSTM's windows compile at least 80% as often as real windows do after the same repair;
    *holds partly* at 40%; otherwise not reached at this scale."""
    ours, theirs = lstm.rate("repaired"), real.rate("repaired")
    value = f"{ours:.0%} compile after repair (real {theirs:.0%}); {lstm.rate('as_is'):.0%} as sampled"
    measured = (f"{len(lstm.as_is)} LSTM windows in the Stacks preamble: {lstm.rate('as_is'):.0%} compile as "
                f"sampled, {ours:.0%} after the automatic repair; real held-out windows {real.rate('as_is'):.0%} "
                f"and {theirs:.0%}")
    if theirs == 0 or math.isnan(theirs):
        return "not testable here", value, measured + " (real windows do not compile either)"
    ratio = ours / theirs
    verdict = "holds" if ratio >= 0.8 else "holds partly" if ratio >= 0.4 else "not reached at this scale"
    return verdict, value, measured


def failures_verdict(lstm: EnvMeasures, real: EnvMeasures) -> tuple[str, str, str]:
    """The post's typical failures, a `\\begin{proof}` closed by `\\end{lemma}` and an `enumerate` never closed:
    *holds* when the LSTM closes environments correctly less often than real text and both failures occur (an
    enumerate "never closed" is one closed by another `\\end`: at a window's end every text leaves some open);
    *holds partly* when environments are confused but not in those two ways; *contradicted* when the LSTM
    closes as well as real text."""
    proof_lemma = lstm.proof_lemma
    enumerate_wrong = sum(n for (a, _), n in lstm.confusions.items() if a == "enumerate")
    value = (f"{lstm.correct_share:.1%} correct (real {real.correct_share:.1%}); proof/lemma {proof_lemma}, "
             f"enumerate {enumerate_wrong}")
    measured = (f"{len(lstm.matched)} matched \\end in the LSTM's windows, {lstm.correct_share:.1%} of them close "
                f"the innermost \\begin (real text {real.correct_share:.1%}); {proof_lemma} proof closed by "
                f"\\end{{lemma}} and {enumerate_wrong} enumerate closed by another \\end; most frequent confusions: "
                + (", ".join(f"{a}/{b} ({n})" for (a, b), n in lstm.confusions.most_common(3)) or "none"))
    if not lstm.matched:
        return "not reached at this scale", value, measured
    if not lstm.correct_share < real.correct_share:
        return "contradicted", value, measured
    return ("holds" if proof_lemma and enumerate_wrong else "holds partly"), value, measured


def close_gate(lstm: EnvMeasures, real: EnvMeasures, chance: float) -> Gate:
    """The competence both failure claims need: a model that does not yet close the innermost `\\begin` at short
    range cannot show that it forgets over long ones. Value: the LSTM's share of correct closes under `NEAR`
    characters; threshold: halfway from `chance` (an `\\end` naming environments by their training frequency,
    `chance_share` of real text's closes) to real held-out text's own short-range share."""
    def near(m: EnvMeasures) -> list[bool]:
        return [c.correct for c in m.matched if c.distance < NEAR]

    ours, theirs = near(lstm), near(real)
    share = float(np.mean(ours)) if ours else 0.0
    ceiling = float(np.mean(theirs)) if theirs else 1.0
    base = 0.0 if math.isnan(chance) else chance
    return Gate(f"share of its {len(ours)} \\end under {NEAR} characters after their \\begin that close the innermost "
                f"one (chance {base:.0%}, real text {ceiling:.0%}; halfway between needed)",
                round(share, 4), round(base + (ceiling - base) / 2, 4))


def memory_verdict(lstm: EnvMeasures, chance: float) -> tuple[str, str, str]:
    """"Too long-term" a dependency: *holds* when the LSTM's correct-close share at the longest distances (the
    closes beyond 400 characters) is below its share at the shortest (under `NEAR`) by at least 10 points;
    *contradicted* when it is not. Judged behind `close_gate`: a model that has not learned to match
    environments even at short range is *not reached at this scale*, whatever its long-range share."""
    near = [c.correct for c in lstm.matched if c.distance < NEAR]
    far = [c.correct for c in lstm.matched if c.distance >= 400]
    n_share = float(np.mean(near)) if near else math.nan
    f_share = float(np.mean(far)) if far else math.nan
    value = f"{n_share:.0%} correct under {NEAR} chars, {f_share:.0%} beyond 400 (chance {chance:.0%})"
    measured = (f"the LSTM closes {n_share:.0%} of {len(near)} environments opened less than {NEAR} characters "
                f"earlier correctly and {f_share:.0%} of {len(far)} opened 400 or more characters earlier; a model "
                f"that remembered nothing would be right {chance:.0%} of the time")
    if len(near) < 5 or len(far) < 5:
        return "not reached at this scale", value, measured + " (too few closes to compare)"
    return ("holds" if f_share <= n_share - 0.1 else "contradicted"), value, measured


# ------------------------------------------------------------------------------------------- every claim at once

POST_CLAIMS = {  # id: the post's words
    "ch07-almost-compiles": "the resulting sampled LaTeX almost compiles",
    "ch07-proof-lemma": "it opened a \\begin{proof} environment but then ended it with a \\end{lemma} ... it opened a "
                        "\\begin{enumerate} but then forgot to close it",
    "ch07-long-term": "this is the sort of a dependency that the model can't learn: too long-term",
}


def verdicts(lstm: EnvMeasures, real: EnvMeasures, chance: float, compiled: Compiled | None = None,
             real_compiled: Compiled | None = None) -> dict[str, Verdict]:
    """Every claim of `POST_CLAIMS` judged for one LSTM (the compile claim only when both sets were compiled);
    the two failure claims behind `close_gate`."""
    gate = close_gate(lstm, real, chance)
    out = {"ch07-proof-lemma": Verdict(*failures_verdict(lstm, real), gate=gate),
           "ch07-long-term": Verdict(*memory_verdict(lstm, chance), gate=gate)}
    if compiled is not None and real_compiled is not None:
        out["ch07-almost-compiles"] = Verdict(*compile_verdict(compiled, real_compiled))
    return out


def show_claim(cid: str, verdicts: dict[str, dict[str, Verdict]], scale: str) -> None:
    """Show claim `cid` (`charlab.claims.claim`) as judged for the page's "LSTM" at `scale` and, where
    `verdicts` holds one for "LSTM (long)", at the long scale too."""
    v = verdicts["LSTM"][cid]
    also = [verdicts["LSTM (long)"][cid].judgement("long")] if "LSTM (long)" in verdicts else []
    claim(cid, POST_CLAIMS[cid], v.measured, v.value, v.verdict, scale, gate=v.gate, also=also)


# ------------------------------------------------------------------------------------------- baseline and long run

def baseline_table(kn: KNBaseline, lstm_losses: dict[str, float]) -> pd.DataFrame:
    """The one counting baseline beside the LSTM(s): every Kneser-Ney order's loss on the tuning half of the
    held-out text, the chosen order's and each LSTM's on the report half (`lstm_losses`: label -> nats/char
    there, from `charlab.evaluate.score_text(model, vocab, kn.report, context=kn.report_context)`)."""
    rows = [{"model": f"Kneser-Ney order {r.order}", "bits/char, tuning half": bits(r.val_loss),
             "bits/char, report half": bits(kn.loss) if r.order == kn.order else None} for r in kn.tuned]
    rows += [{"model": label, "bits/char, tuning half": None, "bits/char, report half": bits(loss)}
             for label, loss in lstm_losses.items()]
    return table(rows, {"bits/char, tuning half": "{:.3f}", "bits/char, report half": "{:.3f}"})


def long_windows(result: Result | None, num: int, length: int, burn_in: int) -> list[str] | None:
    """The committed long model's windows, sampled exactly as the chapter samples its own LSTM (temperature 1,
    primed with a newline, seeds 0.., the same burn-in); None when no long run is committed or it stored no
    model."""
    if result is None or not (result.stamp.get("model") or {}).get("file"):
        return None
    ckpt = result.load()
    return sample(ckpt.model, ckpt.vocab, length, temperature=1.0, prime="\n", num=num, seed=0, burn_in=burn_in)


def short_share(m: EnvMeasures) -> float:
    """The share of correct closes under `NEAR` characters (the `close_gate` measure); NaN without any."""
    near = [c.correct for c in m.matched if c.distance < NEAR]
    return float(np.mean(near)) if near else math.nan


def plot_ladder(points: Sequence[tuple[str, float, EnvMeasures]], gate: Gate) -> plt.Axes:
    """The competence the failure claims wait for, short-range correct closes, against training characters read,
    one point per scale; the dashed line is `close_gate`'s threshold."""
    return scale_ladder([(label, chars, short_share(m)) for label, chars, m in points],
                        f"share of \\end under {NEAR} chars closing the innermost \\begin", target=gate.threshold,
                        target_label=f"failure claims judged from {gate.threshold:.0%} (halfway from chance to real)")


def scale_table(rows: Sequence[tuple[str, EnvMeasures, Compiled | None]]) -> pd.DataFrame:
    """The chapter's measures per model side by side (label, environment measures, compiled windows or None)."""
    return table([{"model": label, "\\end matched": len(m.matched), "close the innermost \\begin": m.correct_share,
                   f"... under {NEAR} chars": short_share(m),
                   "proof closed by \\end{lemma}": m.proof_lemma,
                   "compile after the automatic repair": c.rate("repaired") if c is not None else None}
                  for label, m, c in rows],
                 {"close the innermost \\begin": "{:.1%}", f"... under {NEAR} chars": "{:.1%}",
                  "compile after the automatic repair": "{:.0%}"})
