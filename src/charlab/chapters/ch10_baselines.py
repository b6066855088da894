"""Glue for the closing chapter: n-gram baselines against the LSTM, vanilla RNN vs GRU vs LSTM at one and two
layers, and the post trained on itself.

- The n-gram part is the book's one counting baseline (`charlab.analysis.ngram.kn_baseline`: interpolated
  Kneser-Ney counted on the training split, its order chosen on the first half of the held-out text and reported
  on the second) per dataset, against the strongest LSTMs the book has there: the page's own run and the
  committed `long` run (`charlab.experiments.committed_run`), each scored on the same second half
  (`report_loss`). `lstm_curve` turns a run's metrics into loss against characters read and minutes, `crossing`
  finds where that curve goes below the counting line, and `strawman_verdict` judges each run: ahead, or behind
  with a curve that has flattened (`flattened`: contradicted) or is still falling (not reached).
- The cell grid trains the six (cell, depth) combinations at the same parameter count (`grid_configs` solves for
  each one's hidden size) for the same number of updates on the same batches, with several seeds;
  `grid_table`/`plot_grid` show what each seed reached, and the verdicts read an ordering only where the seeds
  agree on it (`compare`), and only once every run's curve has flattened (`flat_gate`).
- The meta part measures low-temperature samples of a model of the post's own source the way it measures the
  post's sample (`POST_META_SAMPLE`): real-word share, repetition, copying (`meta_measures`), in windows of the
  post's sample's length, with windows of the real post as the yardstick.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from itertools import pairwise
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from charlab.analysis.copying import SubstringIndex
from charlab.analysis.ngram import KNBaseline, KNResult
from charlab.analysis.textstats import distinct_ngram_ratio, unknown_word_share, words
from charlab.claims import Gate
from charlab.config import TrainConfig
from charlab.datasets import sha256_file
from charlab.errors import CharlabError
from charlab.evaluate import score_text
from charlab.experiments import Corpus, Result, Run, chars_seen
from charlab.model import CharRNN, ModelConfig
from charlab.plots import bits_axis, scale_ladder
from charlab.presets import for_scale
from charlab.tables import cell as format_cell
from charlab.tables import table
from charlab.text import Vocab
from charlab.units import bits

SIZES = {
    # orders: the n-gram orders scored (at cpu scale 9 and 11 are left out to save time: the curves change little
    # there, and a higher order costs more to count and score than a lower one); goldberg_orders: unsmoothed orders
    # sampled, as in Goldberg's notebook; grid_seeds: the seeds of every model of the cell grid; meta_*:
    # low-temperature samples of the model of the post's source, cut into windows of the post's length;
    # prime_len: the held-out characters the LSTM reads before it samples (a run shorter than one epoch has seen
    # the all-zero starting state only at its first update, and started from it writes garbage);
    # heldout_cap: the held-out characters the counting baseline uses (0: the whole split), half to choose its
    # order and half to report on; every LSTM is scored on the same reported half, so the cap bounds the time
    # the long runs' 2x512 models take to score (at cpu scale only Linux's 1.17 M held-out characters are cut,
    # to their first 400K: about 200K characters per model scored instead of 585K)
    "smoke": dict(orders=(1, 2, 3), goldberg_orders=(2, 4), grid_seeds=(1, 2), sample_len=300, meta_samples=2,
                  meta_len=600, prime_len=200, heldout_cap=20_000),
    "cpu": dict(orders=(1, 2, 3, 4, 5, 6, 7, 8, 10, 12), goldberg_orders=(2, 4, 7, 10), grid_seeds=(1, 2),
                sample_len=500, meta_samples=8, meta_len=1500, prime_len=500, heldout_cap=400_000),
    "blog": dict(orders=tuple(range(1, 13)), goldberg_orders=(2, 4, 7, 10), grid_seeds=(1, 2, 3), sample_len=1000,
                 meta_samples=16, meta_len=3000, prime_len=500, heldout_cap=0),
}
DATASETS = ("tinyshakespeare", "warpeace", "linux")
GRID = (("rnn", 1), ("gru", 1), ("lstm", 1), ("rnn", 2), ("gru", 2), ("lstm", 2))
CELL_NAMES = {"rnn": "vanilla RNN", "gru": "GRU", "lstm": "LSTM"}
CLEAR_MARGIN = 0.1  # nats/char: "clearly beats" (0.14 bits/char, about a 10% lower perplexity)
NOISE = 0.01  # nats/char: mean differences below this between two short-run models are not read as an ordering
LOST = 0.2  # nats/char: a run whose whole-split held-out loss is this far above its short-piece validation
FLAT = 0.01  # a run whose validation loss fell less than 1% (relative) over the last FLAT_TAIL of its
FLAT_TAIL = 0.25  # iterations has flattened: more of the same training would change it little
CONTEXT_TAIL = 1024  # characters of a scored text's context passed on (scoring reads only the last 129)
COPY_MIN = 30  # characters: a span this long found verbatim in the training text counts as copied
META_TEMPERATURE = 0.5  # "generated with low temperature": the post gives no number
GOLDBERG_NOTEBOOK = "https://nbviewer.org/gist/yoavg/d76121dfde2618422139"
STRAWMAN_QUOTE = "is there a straw man e.g. naive bayes, for which rnn is much better ?"
STRAWMAN_ATTRIBUTION = "denis-bz, a comment on the min-char-rnn gist, August 2015"
# The post's meta sample, verbatim (Karpathy, 2015, Conclusion), line break as published.
POST_META_SAMPLE = ("I've the RNN with and works, but the computed with program of the \n"
                    "RNN with and the computed of the RNN with with and the code")


def sizes(scale: str) -> dict[str, Any]:
    return for_scale(SIZES, scale)


def pct(v: float) -> str:
    """A share as a whole percentage, "–" when it is undefined (NaN), as in the tables."""
    return format_cell(v, "{:.0%}")


# --------------------------------------------------------------------------------------------------- n-grams
def baseline_held_out(held_out: str, cap: int) -> str:
    """The part of a held-out split the counting baseline uses: all of it, or its first `cap` characters when
    `cap` is set (`kn_baseline` tunes the order on the first half of what it is given and reports on the
    second, so a cap bounds both halves, and the LSTMs scored on the same second half with them)."""
    return held_out[:cap] if cap > 0 else held_out


def report_loss(model: CharRNN, vocab: Vocab, baseline: KNBaseline) -> float:
    """A model's loss (nats/char) on the baseline's report half, read after the text before it, as
    `KNBaseline.loss` is (`charlab.evaluate.score_text`; only the context's last characters are read, so only
    those are passed)."""
    return score_text(model, vocab, baseline.report, context=baseline.report_context[-CONTEXT_TAIL:])


def split_mismatch(result_dataset: str, result_config: TrainConfig, result_sha256: str, corpus_name: str,
                   corpus_config: TrainConfig, corpus_sha256: str) -> str:
    """Why a committed run's held-out text is not the chapter's ("" when it is): another dataset, another file,
    or another split (val_frac, test_frac)."""
    why = []
    if result_dataset != corpus_name:
        why.append(f"it was trained on {result_dataset}, not {corpus_name}")
    if result_sha256 != corpus_sha256:
        why.append(f"its data file (sha256 {result_sha256[:12]}) is not this page's ({corpus_sha256[:12]})")
    for f in ("val_frac", "test_frac"):
        a, b = getattr(result_config, f), getattr(corpus_config, f)
        if a != b:
            why.append(f"its {f} is {a:g}, this page's {b:g}")
    return "; ".join(why)


def relative_fall(metrics: Sequence[Mapping[str, Any]], tail: float = FLAT_TAIL) -> float:
    """How much a run's validation loss still fell over the last `tail` of its iterations: (the best loss before
    that stretch - the best loss of the run) / the best before, 0 when the stretch brought nothing better (a
    curve that turned up has flattened too), NaN when no evaluation falls on either side."""
    rows = [(m["iter"], m["val_loss"]) for m in metrics
            if m.get("val_loss") is not None and math.isfinite(m["val_loss"])]
    if not rows:
        return math.nan
    cut = (1 - tail) * rows[-1][0]
    before = [v for i, v in rows if i <= cut]
    after = [v for i, v in rows if i > cut]
    if not before or not after:
        return math.nan
    return max(0.0, (min(before) - min(after)) / min(before))


def flattened(metrics: Sequence[Mapping[str, Any]], threshold: float = FLAT, tail: float = FLAT_TAIL) -> bool:
    """A run whose validation loss fell by less than `threshold` (relative) over the last `tail` of its
    iterations (`relative_fall`): more of the same training would change it little."""
    fall = relative_fall(metrics, tail)
    return bool(fall < threshold) if math.isfinite(fall) else False


@dataclass(frozen=True)
class Curve:
    """One LSTM's validation loss during training against what it cost, and its best checkpoint's loss on the
    counting baseline's report half."""

    label: str  # the scale it was trained at: "cpu", "long"
    summary: str  # the run's own summary (model, iterations, time, machine)
    chars: list[int]  # training characters read at each evaluation
    minutes: list[float]  # training wall time at each evaluation
    losses: list[float]  # validation loss at each evaluation (training's estimate, nats/char)
    best: int  # index of the best evaluation (the checkpoint kept)
    report: float  # the best checkpoint on the report half (nats/char)
    fall: float  # `relative_fall` of the run

    @property
    def flattened(self) -> bool:
        return math.isfinite(self.fall) and self.fall < FLAT

    @property
    def best_chars(self) -> int:
        return self.chars[self.best]


def lstm_curve(label: str, config: TrainConfig, metrics: Sequence[Mapping[str, Any]], report: float,
               summary: str = "") -> Curve:
    """The `Curve` of a run from its config and metrics (iterations -> characters read with
    `charlab.experiments.chars_seen`, elapsed seconds -> minutes)."""
    rows = [m for m in metrics if m.get("val_loss") is not None and math.isfinite(m["val_loss"])]
    if not rows:
        raise CharlabError(f"the {label} run has no validation loss in its metrics")
    losses = [float(m["val_loss"]) for m in rows]
    return Curve(label, summary, [chars_seen(config, m["iter"]) for m in rows],
                 [float(m.get("elapsed_s") or 0.0) / 60 for m in rows], losses,
                 int(np.argmin(losses)), float(report), relative_fall(rows))


def crossing(curve: Curve, level: float) -> int | None:
    """The index of the first evaluation at which the curve is below `level`, None when it never is."""
    return next((i for i, v in enumerate(curve.losses) if v < level), None)


def gap_text(curve: Curve, level: float) -> str:
    """Where the curve crosses `level`, or how far above it it stays: "below it from 1.2 M characters (0.9
    minutes) on" / "never below it in 0.9 M characters (1.3 minutes): its best is 0.112 above"."""
    i = crossing(curve, level)
    if i is not None:
        return (f"below it from {curve.chars[i] / 1e6:.2f} M characters ({curve.minutes[i]:.1f} minutes of "
                "training) on")
    return (f"never below it in {curve.chars[-1] / 1e6:.2f} M characters ({curve.minutes[-1]:.1f} minutes): its "
            f"best is {min(curve.losses) - level:.3f} nats/char above")


def strawman_verdict(curve: Curve, baseline: KNBaseline, dataset: str) -> tuple[str, str, str]:
    """Is counting a straw man the RNN clearly beats, on `dataset`, for this LSTM? From its best checkpoint's
    loss on the report half against Kneser-Ney's on the same characters: *holds* when the LSTM is at least
    CLEAR_MARGIN below, *holds partly* when below by less; above it, *contradicted* when the LSTM's curve has
    flattened (`flattened`: more of the same training would not close the gap) and *not reached at this
    scale* while it is still falling."""
    gap = curve.report - baseline.loss
    if gap <= -CLEAR_MARGIN:
        verdict = "holds"
    elif gap < 0:
        verdict = "holds partly"
    else:
        verdict = "contradicted" if curve.flattened else "not reached at this scale"
    value = f"LSTM - Kneser-Ney = {gap:+.3f} nats/char ({bits(gap):+.3f} bits/char) on {dataset}"
    fall = "NaN" if not math.isfinite(curve.fall) else f"{curve.fall:.1%}"
    measured = (f"{dataset}: the {curve.label} LSTM's best checkpoint scores {curve.report:.3f} nats/char on the "
                f"second half of the held-out text ({len(baseline.report):,} characters) against Kneser-Ney order "
                f"{baseline.order}'s {baseline.loss:.3f} (order chosen on the first half); its validation curve "
                f"during training is {gap_text(curve, baseline.loss)}; over the last {FLAT_TAIL:.0%} of its "
                f"iterations its validation loss fell {fall} ("
                + (f"flattened: below {FLAT:.0%})" if curve.flattened else f"still falling: {FLAT:.0%} or more, "
                                                                            "or too few evaluations to say)")
                + ".")
    return verdict, value, measured


def run_curve(run: Run, baseline: KNBaseline) -> Curve:
    """The page's own run as a `Curve`, its best checkpoint scored on the baseline's report half."""
    ckpt = run.load()
    return lstm_curve(run.scale, run.config, run.metrics, report_loss(ckpt.model, ckpt.vocab, baseline),
                      run.summary())


def long_curve(result: Result | None, corpus: Corpus, baseline: KNBaseline) -> tuple[Curve | None, str]:
    """The committed long run of `corpus`'s dataset as a `Curve` (its stored best model scored on the
    baseline's report half), or None and why not: no committed run yet, or one whose held-out text is not the
    page's (`split_mismatch`). The second value says which, or how long the scoring took."""
    if result is None:
        return None, f"no committed long run of {corpus.name} yet"
    why = split_mismatch(str(result.stamp.get("dataset", result.experiment)), result.config,
                         str(result.stamp.get("dataset_sha256", "")), corpus.name, corpus.config,
                         sha256_file(corpus.path))
    if why:
        return None, f"the committed long run of {corpus.name} is not compared: {why}"
    t0 = time.perf_counter()
    ckpt = result.load()
    report = report_loss(ckpt.model, ckpt.vocab, baseline)
    seconds = time.perf_counter() - t0
    return (lstm_curve("long", result.config, result.metrics, report, result.summary()),
            f"the long model of {corpus.name} scored on {len(baseline.report):,} characters in {seconds:.0f} s")


def run_items(scale: str, summaries: Mapping[str, str], long_summaries: Mapping[str, str],
              notes: Sequence[str]) -> str:
    """Markdown sub-items (indented under a list item of the page's notes) naming every LSTM of the page: each
    dataset's `scale` run and committed `long` run with its summary (`Run.summary`, `Result.summary`: sentences of
    their own, so one item each), then one item saying how the long runs were scored or why not (`notes`, from
    `long_curve`)."""
    items = [f"{name}, `{scale}` run: {text}" for name, text in summaries.items()]
    items += [f"{name}, `long` run: {text}" for name, text in long_summaries.items()]
    if notes:
        note = "; ".join(notes)
        items.append(note[:1].upper() + note[1:] + ".")
    return "\n".join(f"  - {item}" for item in items)


def fair_text(dataset: str, curves: Sequence[Curve], baseline: KNBaseline) -> str:
    """One markdown line per dataset: where each LSTM stands against counting on the report half, and where its
    curve crosses the counting line (every direction read from the numbers)."""
    parts = []
    for c in curves:
        gap = c.report - baseline.loss
        side = "below" if gap < 0 else "above"
        parts.append(f"the {c.label} LSTM's best checkpoint ({c.best_chars / 1e6:.2f} M characters read) is "
                     f"{abs(gap):.3f} nats/char {side} counting on the second half, and its validation curve is "
                     f"{gap_text(c, baseline.loss)}")
    return (f"- **{dataset}** (Kneser-Ney order {baseline.order}, {baseline.loss:.3f} nats/char on "
            f"{len(baseline.report):,} characters): " + "; ".join(parts) + ".")


def ngram_summary(baselines: Mapping[str, KNBaseline], curves: Mapping[str, Sequence[Curve]]
                  ) -> list[dict[str, Any]]:
    """Per dataset: the chosen Kneser-Ney order, its loss on the report half, and each LSTM's loss on the same
    characters with its gap (LSTM minus Kneser-Ney, nats/char: negative when the LSTM is ahead)."""
    labels = list(dict.fromkeys(c.label for cs in curves.values() for c in cs))
    rows = []
    for name, b in baselines.items():
        row: dict[str, Any] = {"dataset": name, "order": b.order, "characters scored": len(b.report),
                               "Kneser-Ney (nats/char)": b.loss}
        mine = {c.label: c for c in curves.get(name, ())}
        for label in labels:
            c = mine.get(label)
            row[f"LSTM {label} (nats/char)"] = c.report if c else math.nan
            row[f"LSTM {label} - KN (nats/char)"] = c.report - b.loss if c else math.nan
        rows.append(row)
    return rows


def ngram_table(rows: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    return table(rows, {k: ("{:+.3f}" if " - KN" in k else "{:.3f}") for k in rows[0] if "/char" in k})


def order_table(kn: Mapping[str, Sequence[KNResult]]) -> pd.DataFrame:
    """Held-out loss (nats/char) of every order on every dataset, the orders as rows."""
    orders = sorted({r.order for results in kn.values() for r in results})
    rows = []
    for n in orders:
        row: dict[str, Any] = {"order": n}
        for name, results in kn.items():
            row[f"{name} (nats/char)"] = next((r.val_loss for r in results if r.order == n), math.nan)
        rows.append(row)
    return table(rows, {k: "{:.3f}" for k in rows[0] if k != "order"})


def orders_text(baselines: Mapping[str, KNBaseline], train_chars: Mapping[str, int]) -> str:
    """Whether the chosen order grows with the training text, read from the numbers: "The chosen order grows with
    the training text: tinyshakespeare 6 (1.0 M characters), ..." or "does not grow with ..."."""
    names = sorted(baselines, key=lambda n: train_chars[n])
    orders = [baselines[n].order for n in names]
    grows = all(a <= b for a, b in pairwise(orders)) and orders[0] < orders[-1]
    return (f"The chosen order {'grows' if grows else 'does not grow'} with the training text here: "
            + ", ".join(f"{n} {baselines[n].order} ({train_chars[n] / 1e6:.1f} M characters)" for n in names) + ".")


def plot_ngrams(baselines: Mapping[str, KNBaseline]) -> plt.Figure:
    """Kneser-Ney's loss against its order on the first half of the held-out text (where the order is chosen),
    one panel per dataset (nats left, bits right), and the chosen order's loss on the second half as a star."""
    fig, axes = plt.subplots(1, len(baselines), figsize=(4.2 * len(baselines), 3.6), squeeze=False)
    for ax, (name, b) in zip(axes[0], baselines.items(), strict=True):
        ax.plot([r.order for r in b.tuned], [r.val_loss for r in b.tuned], "o-",
                label="Kneser-Ney, first half (choosing)")
        ax.plot([b.order], [b.loss], "*", ms=12, color="C3", label="chosen order, second half (reported)")
        ax.set_title(name)
        ax.set_xlabel("order (context = order - 1 characters)")
        ax.set_ylabel("held-out loss (nats/char)")
        bits_axis(ax)
        ax.grid(alpha=0.3)
    axes[0][0].legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_fair(baselines: Mapping[str, KNBaseline], curves: Mapping[str, Sequence[Curve]]) -> plt.Figure:
    """One row per dataset: each LSTM's validation loss during training against training characters read (left)
    and training minutes (right), both on log scales, its best checkpoint's loss on the report half as a star,
    and Kneser-Ney's loss on the same half as a horizontal line."""
    fig, axes = plt.subplots(len(baselines), 2, figsize=(11, 3.2 * len(baselines)), squeeze=False)
    for row, (name, b) in zip(axes, baselines.items(), strict=True):
        cs = curves.get(name, ())
        for ax, what in zip(row, ("chars", "minutes"), strict=True):
            for k, c in enumerate(cs):
                xs = [x / 1e6 for x in c.chars] if what == "chars" else c.minutes
                keep = [i for i, x in enumerate(xs) if x > 0]  # a log axis has no place for iteration 0
                ax.plot([xs[i] for i in keep], [c.losses[i] for i in keep], "-", color=f"C{k}",
                        label=f"LSTM {c.label}, validation during training")
                if xs[c.best] > 0:
                    ax.plot([xs[c.best]], [c.report], "*", ms=11, color=f"C{k}",
                            label=f"LSTM {c.label}, best checkpoint, second half")
            ax.axhline(b.loss, ls="--", color="0.3", label=f"Kneser-Ney order {b.order}, second half")
            ax.set_xscale("log")
            ax.set_xlabel("training characters read (millions)" if what == "chars" else
                          "training wall time (minutes, 2-core CPU)")
            ax.set_ylabel("held-out loss (nats/char)")
            ax.set_title(name, fontsize=10)
            lows = [b.loss] + [v for c in cs for v in (*c.losses, c.report)]
            ax.set_ylim(min(lows) - 0.05, b.loss + 0.8)
            ax.grid(alpha=0.3, which="both")
        row[0].legend(fontsize=7)
    fig.tight_layout()
    return fig


def plot_ladders(baselines: Mapping[str, KNBaseline], curves: Mapping[str, Sequence[Curve]]) -> plt.Figure:
    """Per dataset, `charlab.plots.scale_ladder` of each LSTM's loss minus Kneser-Ney's on the report half
    against the training characters its best checkpoint had read; below 0 the LSTM is ahead of counting."""
    fig, axes = plt.subplots(1, len(baselines), figsize=(4.2 * len(baselines), 3.4), squeeze=False)
    for ax, (name, b) in zip(axes[0], baselines.items(), strict=True):
        points = [(c.label, c.best_chars, c.report - b.loss) for c in curves.get(name, ())]
        scale_ladder(points, "LSTM - KN (nats/char)", ax=ax, target=0.0,
                     target_label="counting's level", higher_is_better=False)
        ax.set_title(name, fontsize=10)
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------------------------- the cell grid
def parameters(config: TrainConfig, vocab_size: int) -> int:
    """Parameters of the model `config` describes (the CharRNN that `charlab.train.build_model` builds; built
    here from `charlab.model` directly, so that chapter glue does not depend on the training loop)."""
    return CharRNN(ModelConfig(vocab_size=vocab_size, cell=config.cell, hidden_size=config.hidden_size,
                               num_layers=config.num_layers, dropout=config.dropout,
                               embedding_dim=config.embedding_dim)).num_parameters()


def matched_hidden_size(config: TrainConfig, vocab_size: int, target: int) -> int:
    """The hidden size at which `config`'s cell and depth have the parameter count closest to `target`
    (parameters grow with the hidden size, so a bisection finds it)."""
    lo, hi = 1, 1
    while parameters(replace(config, hidden_size=hi), vocab_size) < target:
        hi *= 2
        if hi > 1 << 16:
            raise CharlabError(f"no hidden size up to {hi} reaches {target:,} parameters")
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if parameters(replace(config, hidden_size=mid), vocab_size) < target:
            lo = mid
        else:
            hi = mid
    return min((lo, hi), key=lambda h: abs(parameters(replace(config, hidden_size=h), vocab_size) - target))


def grid_configs(config: TrainConfig, vocab_size: int) -> list[TrainConfig]:
    """The six GRID configurations of `config` (same training settings), each with the hidden size that matches
    the parameter count of `config`'s one-layer LSTM of its hidden size."""
    target = parameters(replace(config, cell="lstm", num_layers=1), vocab_size)
    out = []
    for cell, layers in GRID:
        c = replace(config, cell=cell, num_layers=layers)
        out.append(replace(c, hidden_size=matched_hidden_size(c, vocab_size, target)))
    return out


@dataclass(frozen=True)
class GridRun:
    cell: str
    num_layers: int
    hidden_size: int
    seed: int
    parameters: int
    iters: int
    chars: int  # characters trained on (iterations x batch x sequence length)
    seconds: float  # wall time: what the equal budget cost on this machine, not the budget itself
    heldout: float  # whole validation split, best checkpoint (nats/char)
    metrics: list[dict[str, Any]]

    @property
    def key(self) -> tuple[str, int]:
        return self.cell, self.num_layers

    @property
    def best_val(self) -> float:
        """The best validation loss measured during training: short pieces of the split, each read after a
        burn-in (`charlab.evaluate`), where `heldout` reads the whole split as long streams."""
        return min((m["val_loss"] for m in self.metrics if m.get("val_loss") is not None), default=math.nan)

    @property
    def label(self) -> str:
        return model_label(self.cell, self.num_layers)


def model_label(cell: str, num_layers: int) -> str:
    return f"{CELL_NAMES[cell]}, {num_layers} layer{'s' if num_layers > 1 else ''}"


def by_model(runs: Sequence[GridRun]) -> dict[tuple[str, int], list[GridRun]]:
    """The runs of each (cell, depth), in GRID order, each model's runs in seed order."""
    out: dict[tuple[str, int], list[GridRun]] = {}
    for r in sorted(runs, key=lambda r: (GRID.index(r.key), r.seed)):
        out.setdefault(r.key, []).append(r)
    return out


def heldouts(runs: Sequence[GridRun]) -> dict[tuple[str, int], list[float]]:
    """Held-out loss of every seed of each (cell, depth)."""
    return {k: [r.heldout for r in rs] for k, rs in by_model(runs).items()}


def lost_on_long_streams(runs: Sequence[GridRun]) -> list[GridRun]:
    """The runs whose held-out loss on the whole split (long streams) is more than LOST above their best
    validation loss on short pieces during training: models that lose their way when they read long stretches."""
    return [r for r in runs if r.heldout - r.best_val > LOST]


def compare(a: Sequence[float], b: Sequence[float]) -> int:
    """Which of two models is ahead, from the held-out losses of their seeds: 1 when `a` is, -1 when `b` is, 0
    when neither. Ahead means a lower mean by more than NOISE *and* every seed of the one below every seed of
    the other, so an ordering that flips between seeds (or a difference within the seeds' spread) is no
    ordering."""
    diff = float(np.mean(b) - np.mean(a))
    if diff > NOISE and max(a) < min(b):
        return 1
    if -diff > NOISE and max(b) < min(a):
        return -1
    return 0


def ranking(runs: Sequence[GridRun]) -> str:
    """The models by the mean held-out loss of their seeds, best first, each against the next: *ahead of* when
    `compare` separates the two (the seeds agree and the means differ by more than NOISE), *not separated from*
    otherwise. "LSTM 2L (1.300), ahead of GRU 2L (1.350), not separated from ..." (means in nats/char)."""
    h = heldouts(runs)
    mean = {k: float(np.mean(v)) for k, v in h.items()}
    order = sorted(mean, key=mean.get)
    text = f"{CELL_NAMES[order[0][0]]} {order[0][1]}L ({mean[order[0]]:.3f})"
    for a, b in pairwise(order):
        step = "ahead of" if compare(h[a], h[b]) == 1 else "not separated from"
        text += f", {step} {CELL_NAMES[b[0]]} {b[1]}L ({mean[b]:.3f})"
    return text


def seeds_text(values: Sequence[float]) -> str:
    """Mean and every seed's value: "1.812 (1.803, 1.821)"."""
    return f"{np.mean(values):.3f} ({', '.join(f'{v:.3f}' for v in values)})"


def grid_table(runs: Sequence[GridRun]) -> pd.DataFrame:
    """One row per (cell, depth): its size, the budget every seed had, side by side the mean of the seeds' best
    validation loss during training (`GridRun.best_val`, short pieces) and of their held-out loss on the whole
    split (long streams), the whole split's loss of each seed and their spread, and how much each seed's
    validation loss still fell over the last quarter of its run (`relative_fall`)."""
    rows = []
    for (cell, layers), rs in by_model(runs).items():
        h = [r.heldout for r in rs]
        rows.append({"model": model_label(cell, layers), "hidden size": rs[0].hidden_size,
                     "parameters": rs[0].parameters, "iterations": rs[0].iters, "characters seen": rs[0].chars,
                     "wall time per run (s)": float(np.mean([r.seconds for r in rs])),
                     "short pieces, mean (nats/char)": float(np.mean([r.best_val for r in rs])),
                     "whole split, mean (nats/char)": float(np.mean(h)),
                     "seeds": ", ".join(f"{r.seed}: {r.heldout:.3f}" for r in rs),
                     "spread": max(h) - min(h), "bits/char (mean)": bits(float(np.mean(h))),
                     f"fall over the last {FLAT_TAIL:.0%}": ", ".join(pct_fall(relative_fall(r.metrics))
                                                                       for r in rs)})
    return table(rows, {"wall time per run (s)": "{:.0f}", "whole split, mean (nats/char)": "{:.3f}",
                        "spread": "{:.3f}", "bits/char (mean)": "{:.3f}", "short pieces, mean (nats/char)": "{:.3f}"})


def pct_fall(v: float) -> str:
    """A relative fall to one decimal of a percent, "–" when undefined."""
    return format_cell(v, "{:.1%}")


def flat_gate(runs: Sequence[GridRun]) -> Gate:
    """The competence an ordering of the grid needs: the share of its runs whose curve has flattened
    (`flattened`), against 1 (all of them). Short runs that are still learning say which cell learns fastest,
    not which is better: the claims' verdicts read "not reached at this scale" until every run has flattened."""
    flat = [flattened(r.metrics) for r in runs]
    return Gate(f"share of the {len(runs)} runs whose validation loss fell less than {FLAT:.0%} over the last "
                f"{FLAT_TAIL:.0%} of their iterations (flattened)", sum(flat) / len(flat) if flat else 0.0, 1.0)


def still_falling(runs: Sequence[GridRun]) -> list[GridRun]:
    """The runs whose curve has not flattened (`flattened`)."""
    return [r for r in runs if not flattened(r.metrics)]


def plot_grid(runs: Sequence[GridRun]) -> plt.Figure:
    """Left: validation loss during training against characters seen, every seed (colour = cell, solid = one
    layer, dashed = two). Right: the held-out loss of each model, a dot per seed and a bar at the mean, with
    each seed's best validation loss during training (short pieces) as a cross."""
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    colours = {"rnn": "C0", "gru": "C2", "lstm": "C1"}
    groups = by_model(runs)
    for i, ((cell, layers), rs) in enumerate(groups.items()):
        style = dict(color=colours[cell], ls="-" if layers == 1 else "--")
        for j, r in enumerate(rs):
            per_iter = r.chars / r.iters if r.iters else 0
            axes[0].plot([m["iter"] * per_iter / 1e6 for m in r.metrics], [m["val_loss"] for m in r.metrics],
                         alpha=0.8, label=r.label if j == 0 else None, **style)
        h = [r.heldout for r in rs]
        axes[1].bar(i, np.mean(h), color=colours[cell], alpha=0.35 if layers == 1 else 0.2,
                    edgecolor=colours[cell], ls=style["ls"])
        axes[1].plot([i] * len(h), h, "o", color=colours[cell], ms=5)
        axes[1].plot([i] * len(rs), [r.best_val for r in rs], "x", color="0.3", ms=5)
    axes[1].plot([], [], "o", color="0.5", ms=5, label="held-out, whole split (a seed)")
    axes[1].plot([], [], "x", color="0.3", ms=5, label="best validation during training, short pieces")
    axes[0].set_xlabel("characters seen (millions)")
    tops = [m["val_loss"] for r in runs for m in r.metrics[1:]]
    if tops:
        axes[0].set_ylim(min(tops) - 0.05, max(tops) + 0.05)
    axes[0].legend(fontsize=8)
    axes[1].set_xticks(range(len(groups)), [model_label(*k).replace(", ", "\n") for k in groups], fontsize=8)
    every = [v for r in runs for v in (r.heldout, r.best_val)]
    if every:
        axes[1].set_ylim(min(every) - 0.1, max(every) + 0.1)
    axes[1].set_title("held-out loss: a dot per seed, the bar at their mean", fontsize=9)
    axes[1].legend(fontsize=7)
    for ax in axes:
        ax.set_ylabel("validation loss (nats/char)" if ax is axes[0] else "held-out loss (nats/char)")
        ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def _pair_text(h: Mapping[tuple[str, int], Sequence[float]], a: tuple[str, int], b: tuple[str, int]) -> str:
    """"+0.123 (seeds: ...)": mean of b minus mean of a, and where the ordering stands."""
    diff = float(np.mean(h[b]) - np.mean(h[a]))
    state = {1: "separated", -1: "separated, the other way", 0: "within the seeds' spread"}[compare(h[a], h[b])]
    return f"{diff:+.3f} ({state})"


def lstm_better_verdict(runs: Sequence[GridRun], budget: str) -> tuple[str, str, str]:
    """"The LSTM ... works slightly better in practice" (than the vanilla RNN): at equal parameters and budget,
    *holds* when the LSTM is ahead of the vanilla RNN (`compare`: mean lower by more than NOISE, every seed
    below every seed of the RNN) at both depths, *holds partly* at one depth, *contradicted* when the vanilla
    RNN is ahead at both, otherwise *not reached at this scale*. Short runs say which cell learns fastest, not
    which is better trained to the end: the chapter passes `flat_gate` with the verdict, which then reads "not
    reached at this scale" until every run's curve has flattened."""
    h = heldouts(runs)
    n = min(len(v) for v in h.values())
    value = "; ".join(f"{d} layer{'s' if d > 1 else ''}: RNN - LSTM = {_pair_text(h, ('lstm', d), ('rnn', d))}"
                      for d in (1, 2)) + f" nats/char, mean of {n} seeds"
    measured = (f"held-out loss after {budget} each at the same parameter count, mean (each seed): "
                + "; ".join(f"{d} layer{'s' if d > 1 else ''}: vanilla RNN {seeds_text(h[('rnn', d)])}, GRU "
                            f"{seeds_text(h[('gru', d)])}, LSTM {seeds_text(h[('lstm', d)])}" for d in (1, 2))
                + " nats/char.")
    wins = sum(compare(h[("lstm", d)], h[("rnn", d)]) == 1 for d in (1, 2))
    losses = sum(compare(h[("lstm", d)], h[("rnn", d)]) == -1 for d in (1, 2))
    verdict = {2: "holds", 1: "holds partly"}.get(wins, "contradicted" if losses == 2 else "not reached at this scale")
    return verdict, value, measured


def deeper_verdict(runs: Sequence[GridRun], budget: str) -> tuple[str, str, str]:
    """Deeper stacks help ("a second layer helps", Karpathy, Johnson & Fei-Fei 2015): *holds* when the two-layer
    model is ahead of the one-layer model of the same cell and parameter count (`compare`) for all three cells,
    *holds partly* for one or two, *contradicted* when one layer is ahead for all three, otherwise *not reached
    at this scale* (the chapter passes `flat_gate`, as for `lstm_better_verdict`: at equal parameters a deeper
    stack is narrower and, in a short run, has had less time to pay off)."""
    h = heldouts(runs)
    cells = ("rnn", "gru", "lstm")
    value = ", ".join(f"{CELL_NAMES[c]} {_pair_text(h, (c, 2), (c, 1))}" for c in cells) + \
        " nats/char (1 layer - 2 layers, means)"
    measured = (f"held-out loss after {budget} each at the same parameter count, one layer against two, mean "
                "(each seed): " + "; ".join(f"{CELL_NAMES[c]} {seeds_text(h[(c, 1)])} vs {seeds_text(h[(c, 2)])}"
                                            for c in cells) + " nats/char.")
    wins = sum(compare(h[(c, 2)], h[(c, 1)]) == 1 for c in cells)
    losses = sum(compare(h[(c, 2)], h[(c, 1)]) == -1 for c in cells)
    verdict = "holds" if wins == 3 else ("holds partly" if wins else
                                         "contradicted" if losses == 3 else "not reached at this scale")
    return verdict, value, measured


# ---------------------------------------------------------------------------------------------------- meta
def word_windows(texts: Sequence[str], num_words: int) -> list[list[str]]:
    """Consecutive, non-overlapping windows of `num_words` words (by `textstats.words`) from each text."""
    out = []
    for t in texts:
        ws = words(t)
        out += [ws[i:i + num_words] for i in range(0, len(ws) - num_words + 1, num_words)]
    return out


@dataclass(frozen=True)
class MetaMeasures:
    label: str
    windows: int
    real_words: float  # share of words that occur in the training text (case-insensitive)
    distinct_words: float  # distinct words / words in a window (median over windows)
    distinct_pairs: float  # distinct word pairs / word pairs (median): low = repetitive
    mentions_rnn: float  # share of windows that say "RNN"
    copied: float  # share of the texts' characters in spans of COPY_MIN+ found verbatim in the training text

    def row(self) -> dict[str, Any]:
        return {"text": self.label, "windows": self.windows, "real words": self.real_words,
                "distinct words": self.distinct_words, "distinct word pairs": self.distinct_pairs,
                "windows saying RNN": self.mentions_rnn, f"copied in spans of {COPY_MIN}+": self.copied}


def meta_measures(label: str, texts: Sequence[str], num_words: int, reference_words: set[str],
                  index: SubstringIndex | None = None) -> MetaMeasures:
    """Measure `texts` in windows of `num_words` words (the post's sample's length): real-word share against
    `reference_words` (the training text's `word_set`), distinct words and word pairs per window (medians), and,
    with `index` (the training text's), the share of the texts' characters copied verbatim in spans of COPY_MIN
    or more."""
    wins = word_windows(texts, num_words)
    if not wins:
        return MetaMeasures(label, 0, *(math.nan,) * 5)
    joined = [" ".join(w) for w in wins]
    real = 1 - float(np.mean([unknown_word_share(j, reference_words) for j in joined]))
    return MetaMeasures(
        label, len(wins), real,
        float(np.median([distinct_ngram_ratio(j, 1) for j in joined])),
        float(np.median([distinct_ngram_ratio(j, 2) for j in joined])),
        float(np.mean(["rnn" in {w.lower() for w in ws} for ws in wins])),
        sum(index.copied_share(t, COPY_MIN) * len(t) for t in texts) / sum(map(len, texts))
        if index is not None else math.nan)


def meta_table(rows: Sequence[MetaMeasures]) -> pd.DataFrame:
    return table([r.row() for r in rows], {"real words": "{:.0%}", "distinct words": "{:.0%}",
                                           "distinct word pairs": "{:.0%}", "windows saying RNN": "{:.0%}",
                                           f"copied in spans of {COPY_MIN}+": "{:.0%}"})


@dataclass(frozen=True)
class Overfitting:
    best_iter: int
    best_val: float
    last_iter: int
    last_val: float
    last_train: float
    epochs: float

    @property
    def rise(self) -> float:
        """How far the validation loss climbed back from its best (nats/char)."""
        return self.last_val - self.best_val

    @property
    def gap(self) -> float:
        """Validation minus training loss at the end (nats/char)."""
        return self.last_val - self.last_train


def overfitting(metrics: Sequence[Mapping[str, Any]]) -> Overfitting:
    """Where the validation loss was lowest and where it ended, from a run's metrics."""
    rows = [m for m in metrics if m.get("val_loss") is not None and math.isfinite(m["val_loss"])]
    if not rows:
        raise CharlabError("no validation loss in these metrics")
    best = min(rows, key=lambda m: m["val_loss"])
    last = rows[-1]
    train = last.get("train_loss")
    return Overfitting(int(best["iter"]), float(best["val_loss"]), int(last["iter"]), float(last["val_loss"]),
                       float(train) if train is not None else math.nan, float(last.get("epoch", math.nan)))


def meta_verdict(ours: MetaMeasures, post: MetaMeasures, real: MetaMeasures, fit: Overfitting,
                 temperature: float) -> tuple[str, str, str]:
    """"At about 46K characters I haven't written enough data to properly feed the RNN, but the returned sample
    (generated with low temperature ...)" is a repetitive string of real words. Two parts: *too little data*,
    when the validation loss climbs at least 0.05 nats/char back from its best while training goes on; *a
    sample like the post's*, when at least 90% of our sample's words are real and its word pairs repeat
    (distinct pairs at least 0.1 below the real post's windows). *holds* when both, *holds partly* when one."""
    overfit = fit.rise >= 0.05
    like = ours.real_words >= 0.9 and ours.distinct_pairs <= real.distinct_pairs - 0.1
    value = (f"val loss +{fit.rise:.2f} from its best; {pct(ours.real_words)} real words, "
             f"{pct(ours.distinct_pairs)} distinct word pairs (post's sample {pct(post.real_words)}, "
             f"{pct(post.distinct_pairs)})")
    measured = (f"validation loss lowest at iteration {fit.best_iter} ({fit.best_val:.3f} nats/char), "
                f"{fit.last_val:.3f} at iteration {fit.last_iter} ({fit.epochs:.0f} epochs) with training loss "
                f"{fit.last_train:.3f}; in windows of {len(words(POST_META_SAMPLE))} words, our samples at "
                f"temperature {temperature:g}: {pct(ours.real_words)} real words, {pct(ours.distinct_words)} "
                f"distinct words, {pct(ours.distinct_pairs)} distinct word pairs; the post's sample: "
                f"{pct(post.real_words)}, {pct(post.distinct_words)}, {pct(post.distinct_pairs)}; windows of the "
                f"post's held-out text: {pct(real.real_words)}, {pct(real.distinct_words)}, "
                f"{pct(real.distinct_pairs)}")
    verdict = "holds" if overfit and like else ("holds partly" if overfit or like else "not reached at this scale")
    return verdict, value, measured
