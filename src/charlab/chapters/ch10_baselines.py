"""Glue for the closing chapter: n-gram baselines against the LSTM, vanilla RNN vs GRU vs LSTM at one and two
layers, and the post trained on itself.

- The n-gram part scores interpolated Kneser-Ney models (`charlab.analysis.ngram.kn_losses`) of orders 1 to ~12
  on the same train/validation splits as the LSTM, and `ngram_summary` says per dataset which order is best, how
  far it is from the LSTM and how much of the distance from a unigram model to the LSTM is left.
- The cell grid trains the six (cell, depth) combinations at the same parameter count (`grid_configs` solves for
  each one's hidden size) and the same wall-time budget, and `grid_table`/`plot_grid` show what they reached.
- The meta part measures low-temperature samples of a model of the post's own source the way it measures the
  post's sample (`POST_META_SAMPLE`): real-word share, repetition, copying (`meta_measures`), in windows of the
  post's sample's length, with windows of the real post as the yardstick.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from charlab.analysis.copying import SubstringIndex
from charlab.analysis.ngram import KNResult
from charlab.analysis.textstats import distinct_ngram_ratio, unknown_word_share, words
from charlab.config import TrainConfig
from charlab.errors import CharlabError
from charlab.model import CharRNN, ModelConfig
from charlab.presets import for_scale
from charlab.tables import table

LN2 = math.log(2)
SIZES = {
    # orders: the n-gram orders scored; goldberg_orders: unsmoothed orders sampled, as in Goldberg's notebook;
    # meta_*: low-temperature samples of the model of the post's source, cut into windows of the post's length
    "smoke": dict(orders=(1, 2, 3), goldberg_orders=(2, 4), sample_len=300, meta_samples=2, meta_len=600),
    "cpu": dict(orders=tuple(range(1, 13)), goldberg_orders=(2, 4, 7, 10), sample_len=500, meta_samples=8,
                meta_len=1500),
    "blog": dict(orders=tuple(range(1, 13)), goldberg_orders=(2, 4, 7, 10), sample_len=1000, meta_samples=16,
                 meta_len=3000),
}
DATASETS = ("tinyshakespeare", "warpeace", "linux")
GRID = (("rnn", 1), ("gru", 1), ("lstm", 1), ("rnn", 2), ("gru", 2), ("lstm", 2))
CELL_NAMES = {"rnn": "vanilla RNN", "gru": "GRU", "lstm": "LSTM"}
CLEAR_MARGIN = 0.1  # nats/char: "clearly beats" (0.14 bits/char, about a 10% lower perplexity)
NOISE = 0.01  # nats/char: differences below this between two short runs are not read as an ordering
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
    return "–" if math.isnan(v) else f"{v:.0%}"


# --------------------------------------------------------------------------------------------------- n-grams
def ngram_summary(kn: Mapping[str, Sequence[KNResult]], lstm: Mapping[str, float]) -> list[dict[str, Any]]:
    """Per dataset: the best Kneser-Ney order and its held-out loss, the LSTM's, the gap (n-gram minus LSTM, in
    nats and bits per character) and the share of the distance from the unigram model (order 1) to the LSTM that
    the best order leaves (1 = no better than a unigram, 0 = as good as the LSTM, below 0 = better)."""
    rows = []
    for name, results in kn.items():
        best = min(results, key=lambda r: r.val_loss)
        unigram = next((r.val_loss for r in results if r.order == 1), math.nan)
        ours = lstm[name]
        span = unigram - ours
        rows.append({"dataset": name, "best order": best.order, "best n-gram (nats/char)": best.val_loss,
                     "best n-gram (bits/char)": best.val_loss / LN2, "LSTM (nats/char)": ours,
                     "LSTM (bits/char)": ours / LN2, "gap (nats/char)": best.val_loss - ours,
                     "gap (bits/char)": (best.val_loss - ours) / LN2,
                     "gap left": (best.val_loss - ours) / span if span > 0 else math.nan})
    return rows


def ngram_table(rows: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    fmt = {k: "{:.3f}" for k in rows[0] if "/char" in k}
    return table(rows, {**fmt, "gap left": "{:.0%}"})


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


def plot_ngrams(kn: Mapping[str, Sequence[KNResult]], lstm: Mapping[str, float],
                lstm_label: str = "LSTM") -> plt.Figure:
    """Held-out loss against order, one panel per dataset (nats left, bits right), the LSTM as a dashed line."""
    fig, axes = plt.subplots(1, len(kn), figsize=(4.2 * len(kn), 3.6), squeeze=False)
    for ax, (name, results) in zip(axes[0], kn.items(), strict=True):
        ax.plot([r.order for r in results], [r.val_loss for r in results], "o-", label="Kneser-Ney n-gram")
        ax.axhline(lstm[name], ls="--", color="C1", label=lstm_label)
        best = min(results, key=lambda r: r.val_loss)
        ax.annotate(f"best: order {best.order}", (best.order, best.val_loss), textcoords="offset points",
                    xytext=(0, 8), ha="center", fontsize=8)
        ax.set_title(name)
        ax.set_xlabel("order (context = order - 1 characters)")
        ax.set_ylabel("held-out loss (nats/char)")
        bits = ax.secondary_yaxis("right", functions=(lambda n: n / LN2, lambda b: b * LN2))
        bits.set_ylabel("bits/char")
        ax.grid(alpha=0.3)
    axes[0][0].legend(fontsize=8)
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
    parameters: int
    iters: int
    chars: int  # characters trained on (iterations x batch x sequence length)
    seconds: float
    heldout: float  # whole validation split, best checkpoint (nats/char)
    metrics: list[dict[str, Any]]

    @property
    def label(self) -> str:
        return f"{CELL_NAMES[self.cell]}, {self.num_layers} layer{'s' if self.num_layers > 1 else ''}"


def grid_table(runs: Sequence[GridRun]) -> pd.DataFrame:
    rows = [{"model": r.label, "hidden size": r.hidden_size, "parameters": r.parameters, "iterations": r.iters,
             "characters seen": r.chars, "wall time (s)": r.seconds, "held-out loss (nats/char)": r.heldout,
             "bits/char": r.heldout / LN2} for r in runs]
    return table(rows, {"wall time (s)": "{:.0f}", "held-out loss (nats/char)": "{:.3f}", "bits/char": "{:.3f}"})


def plot_grid(runs: Sequence[GridRun]) -> plt.Figure:
    """Validation loss during training against wall time (left) and characters seen (right): colour = cell,
    solid = one layer, dashed = two."""
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    colours = {"rnn": "C0", "gru": "C2", "lstm": "C1"}
    for r in runs:
        style = dict(color=colours[r.cell], ls="-" if r.num_layers == 1 else "--", label=r.label)
        per_iter = r.chars / r.iters if r.iters else 0
        axes[0].plot([m["elapsed_s"] for m in r.metrics], [m["val_loss"] for m in r.metrics], **style)
        axes[1].plot([m["iter"] * per_iter / 1e6 for m in r.metrics], [m["val_loss"] for m in r.metrics], **style)
    for ax, xlabel in zip(axes, ("wall time (s)", "characters seen (millions)"), strict=True):
        ax.set_xlabel(xlabel)
        ax.set_ylabel("validation loss (nats/char)")
        ax.grid(alpha=0.3)
        tops = [m["val_loss"] for r in runs for m in r.metrics[1:]]
        if tops:
            ax.set_ylim(min(tops) - 0.05, max(tops) + 0.05)
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    return fig


def _by(runs: Sequence[GridRun]) -> dict[tuple[str, int], float]:
    return {(r.cell, r.num_layers): r.heldout for r in runs}


def lstm_better_verdict(runs: Sequence[GridRun], budget: str) -> tuple[str, str, str]:
    """"The LSTM ... works slightly better in practice" (than the vanilla RNN): at equal parameters and time,
    *holds* when the LSTM's held-out loss is lower than the RNN's by more than NOISE at both depths, *holds
    partly* at one depth, otherwise *not reached at this scale* (short runs say which cell learns fastest, not
    which is better trained to the end, so they cannot contradict the post)."""
    h = _by(runs)
    diffs = {d: h[("rnn", d)] - h[("lstm", d)] for d in (1, 2)}
    value = ", ".join(f"{d} layer{'s' if d > 1 else ''}: RNN - LSTM = {diffs[d]:+.3f}" for d in (1, 2)) + " nats/char"
    measured = (f"held-out loss after {budget} each at the same parameter count: "
                + "; ".join(f"{d} layer{'s' if d > 1 else ''}: vanilla RNN {h[('rnn', d)]:.3f}, GRU "
                            f"{h[('gru', d)]:.3f}, LSTM {h[('lstm', d)]:.3f}" for d in (1, 2)) + " nats/char")
    wins = sum(diffs[d] > NOISE for d in (1, 2))
    verdict = {2: "holds", 1: "holds partly"}.get(wins, "not reached at this scale")
    return verdict, value, measured


def deeper_verdict(runs: Sequence[GridRun], budget: str) -> tuple[str, str, str]:
    """Deeper stacks help ("a second layer helps", Karpathy, Johnson & Fei-Fei 2015): *holds* when the two-layer
    model beats the one-layer model of the same cell and parameter count by more than NOISE for all three cells,
    *holds partly* for one or two, otherwise *not reached at this scale* (at equal parameters a deeper stack is
    narrower and, in a short run, has had less time to pay off)."""
    h = _by(runs)
    diffs = {c: h[(c, 1)] - h[(c, 2)] for c in ("rnn", "gru", "lstm")}
    value = ", ".join(f"{CELL_NAMES[c]} {d:+.3f}" for c, d in diffs.items()) + " nats/char (1 layer - 2 layers)"
    measured = (f"held-out loss after {budget} each at the same parameter count, one layer against two: "
                + "; ".join(f"{CELL_NAMES[c]} {h[(c, 1)]:.3f} vs {h[(c, 2)]:.3f}" for c in diffs) + " nats/char")
    wins = sum(d > NOISE for d in diffs.values())
    verdict = "holds" if wins == 3 else ("holds partly" if wins else "not reached at this scale")
    return verdict, value, measured


def strawman_verdict(summary: Sequence[Mapping[str, Any]], lstm_what: str) -> tuple[str, str, str]:
    """Is there a simple baseline the RNN clearly beats? *holds* when the LSTM's held-out loss is at least
    CLEAR_MARGIN below the best Kneser-Ney order's on every dataset, *holds partly* on some, otherwise *not
    reached at this scale* (a short CPU run of the LSTM against n-grams counted on the whole training split)."""
    gaps = {r["dataset"]: r["gap (nats/char)"] for r in summary}
    value = ", ".join(f"{d} {g:+.3f}" for d, g in gaps.items()) + " nats/char (best n-gram - LSTM)"
    measured = (f"{lstm_what} against interpolated Kneser-Ney n-grams of every order (the best order per "
                "dataset): " + "; ".join(
                    f"{r['dataset']}: order {r['best order']} {r['best n-gram (bits/char)']:.3f} vs LSTM "
                    f"{r['LSTM (bits/char)']:.3f} bits/char"
                    + (f" ({pct(r['gap left'])} of the unigram-to-LSTM distance left)" if r["gap (nats/char)"] > 0
                       else " (counting is ahead)") for r in summary))
    wins = sum(g >= CLEAR_MARGIN for g in gaps.values())
    verdict = "holds" if wins == len(gaps) else ("holds partly" if wins else "not reached at this scale")
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
