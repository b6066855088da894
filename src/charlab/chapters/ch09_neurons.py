"""Glue for the "visualizing the predictions and the neuron firings" chapter: from three trained models to the cells
that code something, what clamping them costs, the page's HTML views and widget data, and the verdicts.

`charlab.neurons` records every cell of a model on a held-out stretch (and clamps cells); `charlab.analysis.features`
says what the text is doing at each character and scores a cell's firing against it. This module picks the stretch,
scores a trained model and its untrained control (`study`), ablates (`ablation`), and arranges the results.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F

from charlab.analysis import features as ft
from charlab.batching import split_sizes
from charlab.claims import Gate, Verdict
from charlab.config import TrainConfig
from charlab.errors import CharlabError
from charlab.experiments import Run, run_experiment
from charlab.model import CharRNN, inference
from charlab.neurons import Recording, ablate, record
from charlab.presets import for_scale
from charlab.tables import table
from charlab.text import Vocab, read_text
from charlab.units import bits
from charlab.widgets.model_data import MAX_BYTES, export_model, payload_bytes
from charlab.widgets.neurons import encode_firing

# How much held-out text the chapter reads per model, and how much of it the page shows.
SIZES = {
    "smoke": dict(stretch=1500, context=100, random_cells=6, random_sets=2, view_chars=160, widget_chars=500,
                  widget_cells=8),
    "cpu": dict(stretch=5000, context=300, random_cells=12, random_sets=3, view_chars=320, widget_chars=1000,
                widget_cells=16),
    "blog": dict(stretch=10000, context=500, random_cells=32, random_sets=5, view_chars=400, widget_chars=2000,
                 widget_cells=24),
}
MIN_EVENTS = 6  # a feature must switch (or step unusually) this often on the stretch to be scored
POST_SHARE = 0.05  # "about 5% of them turn out to have learned quite interesting and interpretible algorithms"
# A cell is called a quote (URL, indentation, ...) cell only when clamping it shows the function: the loss where its
# feature changes must rise by at least this much (bits/char) more than elsewhere. Fixed before any model was read:
# a cell that tracks quotes must matter for predicting the closing quote far more than for the rest of the text,
# and 0.05 bits/char is about 1/30 of these models' loss; the cpu quote cell's +0.002 vs +0.003 is below it.
ABLATION_GATE = 0.05
# The chapters whose runs this one reads, and how they call run_experiment (the same experiment, scale and overrides,
# so the same run key: `charlab.runs` reuses their finished runs instead of training again). None of them overrides.
TRAINED_BY = {"wikipedia": "chapter 6", "linux": "chapter 8", "warpeace": "chapter 5"}
# The one model the page carries, so that a reader can paste a text and read it through the model in the browser:
# Linux, because C is what a reader is most likely to have at hand and its brace, comment and indentation cells
# show on any C file; its 1x512 LSTM over ~100 characters is ~2.5 MB in fp16, where the Wikipedia model's ~1,500
# characters (the enwik8 prefix's vocabulary) make its embedding and head over 5 MiB of page data at cpu scale.
PAGE_MODEL = "linux"
RUN_OVERRIDES: dict[str, dict] = {"wikipedia": {}, "linux": {}, "warpeace": {}}


@dataclass(frozen=True)
class Subject:
    """One of the chapter's models: its experiment, the features its text is scored on, and where a held-out
    stretch may start (after `start_after`, so quote parity and nesting start at zero) and what it should hold."""

    experiment: str
    label: str
    features: tuple[str, ...]
    start_after: str
    markers: tuple[str, ...]


SUBJECTS = {s.experiment: s for s in [
    Subject("wikipedia", "Wikipedia",
            ("inside a URL", "inside [[ ]]", "since [[", "since www", "inside ( )", "inside quotes", "line position"),
            "\n", ("www", "[[", "http")),
    Subject("linux", "Linux", ("inside ( ) (C)", "inside { } (C)", "{ } depth (C)", "indentation",
                               "inside a comment (C)", "inside a string (C)", "line position"),
            "\n}\n", ("{", "/*", '"')),
    Subject("warpeace", "War and Peace", ("inside quotes", "line position", "inside ( )"), "\n\n", ('"', "\n\n")),
]}
WIKI_CELLS = {  # the post's four Wikipedia neurons, as features
    "inside a URL": "excited inside URLs, off outside",
    "inside [[ ]]": "on inside [[ ]], after the second [",
    "since [[": "varies linearly across the [[ ]] environment",
    "since www": "turns off right after the first w of www: counts through www",
}


def sizes(scale: str) -> dict:
    return for_scale(SIZES, scale)



def models(scale: str) -> dict[str, Run]:
    """The runs of chapters 6, 8 and 5: `run_experiment` with exactly their experiment, scale and overrides
    (`RUN_OVERRIDES`), so the run key is theirs and a finished run of it is reused, not trained again."""
    return {name: run_experiment(name, scale, progress=False, **RUN_OVERRIDES[name]) for name in SUBJECTS}


def provenance_line(name: str, run: Run) -> str:
    """Whether `run` was reused (trained by the chapter named in `TRAINED_BY`) or trained by this call."""
    how = (f"reused the run {TRAINED_BY[name]} trains ({run.run_dir.name}, trained {run.trained_utc})" if run.reused
           else f"trained here: no finished run of {run.run_dir.name} yet (the run {TRAINED_BY[name]} trains has "
                "this key)")
    return f"{SUBJECTS[name].label}: {how}. {run.summary()}"


def held_out(data_path: str | Path, c: TrainConfig) -> str:
    """The validation split of a run on `data_path` with config `c` (a `Run`'s data_path and config), read the
    way training read the file."""
    text = read_text(data_path, encoding_errors=c.encoding_errors, byte_level=c.byte_level)
    n_train, n_val, _ = split_sizes(len(text), c.val_frac, c.test_frac)
    return text[n_train:n_train + n_val]


def pick_stretch(text: str, length: int, start_after: str, markers: Sequence[str], candidates: int = 400) -> int:
    """Where in `text` a stretch of `length` characters starts: right after an occurrence of `start_after`, at the
    one (of up to `candidates`, evenly spread) whose stretch holds the most of its rarest marker (ties: of all
    markers together). The stretch is chosen for what it contains, before any model reads it."""
    if len(text) < length:
        raise CharlabError(f"the held-out text has {len(text):,} characters, fewer than the {length:,} asked for")
    starts, pos = [], 0
    step = max(1, (len(text) - length) // candidates)
    while pos <= len(text) - length:
        found = text.find(start_after, pos, len(text) - length)
        if found < 0:
            break
        starts.append(found + len(start_after))
        pos = max(found + 1, starts[-1] + step - len(start_after))
    starts = [s for s in starts if s <= len(text) - length] or [0]

    def coverage(s: int) -> tuple[int, int]:
        counts = [text.count(m, s, s + length) for m in markers]
        return min(counts), sum(counts)

    return max(starts, key=coverage)


def untrained_like(model: CharRNN, seed: int = 0) -> CharRNN:
    """The control: a model of the same architecture, initialised as training initialises it, never trained."""
    with torch.random.fork_rng(devices=[]):  # leave the caller's random state alone
        torch.manual_seed(seed)
        control = CharRNN(model.config)
    return control.to(model.head.weight.device)


@dataclass
class Study:
    """One model's cells scored on one held-out stretch, against an untrained model of the same shape."""

    subject: Subject
    text: str
    context: str
    rec: Recording
    control: Recording
    values: dict[str, np.ndarray]  # feature -> value per character
    scores: dict[str, np.ndarray]  # feature -> score per cell (trained)
    control_scores: dict[str, np.ndarray]
    bars: dict[str, float]  # feature -> the best untrained cell's score (NaN: not scorable on this stretch)
    interpretable: np.ndarray  # (cells,) bool
    hidden_size: int

    @property
    def num_cells(self) -> int:
        return self.rec.num_cells

    def cell_name(self, cell: int) -> str:
        return f"layer {cell // self.hidden_size + 1}, cell {cell % self.hidden_size}"

    def best(self) -> dict[str, tuple[int, float]]:
        """{feature: (best cell, its score)} for the features scorable on this stretch."""
        return {f: b for f, b in ft.best_cells(self.scores).items() if math.isfinite(self.bars[f])}

    def found(self, feature: str) -> bool | None:
        """Whether the best cell for `feature` beats every untrained cell (None: the stretch cannot test it)."""
        b = self.best().get(feature)
        return None if b is None else b[1] > self.bars[feature]

    def chance_share(self) -> float:
        """The share of cells an untrained-like model would reach by chance: each scorable feature's bar is the
        best of N control cells, which a cell no better than the control passes with probability 1/(N + 1)."""
        scorable = sum(math.isfinite(b) for b in self.bars.values())
        return min(1.0, scorable / (self.num_cells + 1))

    def ranked(self) -> list[tuple[int, str, float]]:
        """Every cell as (cell, its best feature, score), by how far its best score is above that feature's bar."""
        out = []
        for cell in range(self.num_cells):
            margins = {f: s[cell] - self.bars[f] for f, s in self.scores.items()
                       if math.isfinite(self.bars[f]) and math.isfinite(s[cell])}
            if margins:
                f = max(margins, key=margins.get)
                out.append((cell, f, float(self.scores[f][cell]), margins[f]))
        out.sort(key=lambda r: -r[3])
        return [r[:3] for r in out]


def study(subject: Subject, model: CharRNN, vocab: Vocab, heldout: str, length: int, context: int,
          seed: int = 0) -> Study:
    """Record `model` and its untrained control on a stretch of `heldout` and score every cell on every feature.
    A feature with fewer than `MIN_EVENTS` events on the stretch (`analysis.features.events`) gets no bar: a
    feature that switches once or twice cannot be told apart from any slow drift of a cell."""
    start = pick_stretch(heldout[context:], length, subject.start_after, subject.markers) + context
    text, ctx = heldout[start:start + length], heldout[start - context:start]
    rec = record(model, vocab, text, ctx)
    control = record(untrained_like(model, seed), vocab, text, ctx)
    values = ft.compute(text, subject.features)
    scores, control_scores = ft.score_all(rec.flat(), values), ft.score_all(control.flat(), values)
    bars = ft.thresholds(control_scores)
    bars.update({f: math.nan for f, v in values.items() if ft.events(v).sum() < MIN_EVENTS})
    return Study(subject, text, ctx, rec, control, values, scores, control_scores, bars,
                 ft.interpretable(scores, bars), model.config.hidden_size)


def interpretable_total(studies: Sequence[Study]) -> tuple[int, int, float]:
    """All models together: (interpretable cells, cells, the share of cells expected by chance), the chance share
    being each model's `Study.chance_share` weighted by its number of cells."""
    cells = sum(s.num_cells for s in studies)
    n = int(sum(s.interpretable.sum() for s in studies))
    return n, cells, sum(s.chance_share() * s.num_cells for s in studies) / cells


def recording_error(model: CharRNN, vocab: Vocab, s: Study) -> float:
    """The largest difference between the recorded losses and top-k probabilities and those of nn.LSTM's own
    forward pass on the same text: the step-by-step recomputation checked on the chapter's real model."""
    ids = torch.as_tensor(vocab.encode(s.context + s.text))[None]
    with inference(model):  # a check: the model's mode is left as it was
        logits, _ = model(ids.to(model.head.weight.device))
    ref = F.log_softmax(logits[0, len(s.context):].float(), -1).cpu()
    loss = -ref[:-1].gather(1, ids[0, len(s.context) + 1:, None])[:, 0]
    top = ref.topk(s.rec.top_p.shape[1], dim=-1).values.exp()
    return float(max(np.max(np.abs(loss.numpy() - s.rec.loss)), np.max(np.abs(top.numpy() - s.rec.top_p))))


def confidence(rec: Recording, marker: str = "http://www.") -> tuple[float, float, int]:
    """(mean probability of the right next character inside every `marker` of the text, after its first
    character; the same over the whole text; the number of characters inside markers)."""
    p = np.exp(-rec.loss)
    inside = np.zeros(len(p), dtype=bool)
    at = rec.text.find(marker)
    while at >= 0:
        inside[at:at + len(marker) - 1] = True  # predicting the marker's 2nd..last character
        at = rec.text.find(marker, at + 1)
    return (float(p[inside].mean()) if inside.any() else math.nan), float(p.mean()), int(inside.sum())


def gate_saturation(s: Study, threshold: float = 0.1) -> dict[str, tuple[float, float]]:
    """Per gate (i, f, o): the share of cells whose gate is above 1 - threshold more than half of the time
    (right-saturated), and below threshold more than half of the time (left-saturated), over all layers."""
    out = {}
    for g in "ifo":
        a = s.rec.gates[g]
        out[g] = (float(((a > 1 - threshold).mean(1) > 0.5).mean()), float(((a < threshold).mean(1) > 0.5).mean()))
    return out


# ----------------------------------------------------------------------------------------------------- ablation

@dataclass
class Ablation:
    """Per-character losses (nats, len(text) - 1 each) of the model with cells clamped to their means."""

    base: np.ndarray
    single: dict[str, tuple[int, np.ndarray]]  # feature -> (its best cell, losses with that cell clamped)
    random_cells: list[int]
    random_single: np.ndarray  # (len(random_cells), T - 1)
    sets: dict[str, list[np.ndarray]] = field(default_factory=dict)  # set name -> losses per draw
    set_sizes: dict[str, int] = field(default_factory=dict)


def ablation(s: Study, model: CharRNN, vocab: Vocab, random_cells: int, random_sets: int, seed: int = 0) -> Ablation:
    """Clamp, each on its own: the best cell of every feature the model codes, and `random_cells` other cells; then
    all interpretable cells, all others, and `random_sets` random sets of the same sizes. One batched run."""
    rng = np.random.default_rng(seed)
    coded = {f: c for f, (c, _) in s.best().items() if s.found(f)}
    others = np.setdiff1d(np.arange(s.num_cells), list(coded.values()))
    rand = sorted(rng.choice(others, size=min(random_cells, len(others)), replace=False).tolist())
    keep, drop = np.flatnonzero(s.interpretable), np.flatnonzero(~s.interpretable)
    named = {"interpretable": [keep],
             "random, as many as interpretable": [rng.choice(s.num_cells, len(keep), replace=False)
                                                  for _ in range(random_sets)],
             "not interpretable": [drop],
             "random, as many as not interpretable": [rng.choice(s.num_cells, len(drop), replace=False)
                                                      for _ in range(random_sets)]}
    cell_sets = [[], *([c] for c in coded.values()), *([c] for c in rand), *(x for v in named.values() for x in v)]
    rows = iter(ablate(model, vocab, s.text, cell_sets, s.rec, s.context))
    base = next(rows)
    single = {f: (c, next(rows)) for f, c in coded.items()}
    random_single = np.array([next(rows) for _ in rand]).reshape(len(rand), len(base))
    sets = {name: [next(rows) for _ in draws] for name, draws in named.items()}
    return Ablation(base, single, rand, random_single, sets, {n: len(d[0]) for n, d in named.items()})


def _bits(losses: np.ndarray, where: np.ndarray | None = None) -> float:
    x = losses if where is None else losses[..., where]
    return bits(float(np.mean(x))) if x.size else math.nan


@dataclass(frozen=True)
class CellEffect:
    feature: str
    cell: int
    events: int  # characters where the feature matters
    at_events: float  # loss increase there (bits/char) with the cell clamped
    elsewhere: float
    random_at_events: np.ndarray  # the same increase for each random cell

    @property
    def beats_random(self) -> bool:
        """Clamping this cell costs more where its feature matters than clamping any of the random cells does."""
        return bool(self.random_at_events.size) and self.at_events > float(np.max(self.random_at_events))


def cell_effects(s: Study, a: Ablation) -> dict[str, CellEffect]:
    """For each clamped feature cell: the loss increase on the characters before the feature's events (see
    `analysis.features.events`) and elsewhere, against random cells clamped the same way."""
    out = {}
    for f, (cell, losses) in a.single.items():
        ev = ft.events(s.values[f])
        out[f] = CellEffect(f, cell, int(ev.sum()), _bits(losses - a.base, ev), _bits(losses - a.base, ~ev),
                            np.array([_bits(r - a.base, ev) for r in a.random_single]))
    return out


# ------------------------------------------------------------------------------------------------------ tables

def score_kind(feature: str) -> str:
    """What a cell's score for `feature` is: "AUC" for a binary feature, "|r|" (|correlation|) for a graded one."""
    return "AUC" if ft.FEATURES[feature].binary else "|r|"


def discovery_table(studies: Sequence[Study]) -> pd.DataFrame:
    """Per model and feature: the best cell, its score, the untrained control's best, and how many cells beat it."""
    rows = []
    for s in studies:
        best = ft.best_cells(s.scores)
        for f in s.subject.features:
            bar = s.bars[f]
            if not math.isfinite(bar) or f not in best:
                rows.append({"model": s.subject.label, "feature": f, "score": None,
                             "best cell": f"too rare ({int(ft.events(s.values[f]).sum())} events)",
                             "trained": None, "untrained best": None, "cells above": None, "coded": None})
                continue
            cell, score = best[f]
            rows.append({"model": s.subject.label, "feature": f, "score": score_kind(f),
                         "best cell": s.cell_name(cell), "trained": score, "untrained best": bar,
                         "cells above": int(np.sum(np.nan_to_num(s.scores[f], nan=-1) > bar)),
                         "coded": "yes" if score > bar else "no"})
    return table(rows, {"trained": "{:.3f}", "untrained best": "{:.3f}"})


def share_table(studies: Sequence[Study]) -> pd.DataFrame:
    rows = [{"model": s.subject.label, "cells": s.num_cells, "interpretable": int(s.interpretable.sum()),
             "share": s.interpretable.mean(), "chance level": s.chance_share(),
             "above twice chance": "yes" if above_chance(s) else "no"} for s in studies]
    n, cells, chance = interpretable_total(studies)
    rows.append({"model": "all three", "cells": cells, "interpretable": n, "share": n / cells,
                 "chance level": chance, "above twice chance": None})
    return table(rows, {"share": "{:.1%}", "chance level": "{:.1%}"})


def effects_table(pairs: Sequence[tuple[Study, Ablation]]) -> pd.DataFrame:
    rows = []
    for s, a in pairs:
        for f, e in cell_effects(s, a).items():
            rows.append({"model": s.subject.label, "feature": f, "cell": s.cell_name(e.cell),
                         "characters where it matters": e.events, "there (bits/char)": e.at_events,
                         "elsewhere": e.elsewhere,
                         "random cells there: mean": float(np.mean(e.random_at_events))
                         if e.random_at_events.size else math.nan,
                         "random: max": float(np.max(e.random_at_events)) if e.random_at_events.size else math.nan})
    fmt = {k: "{:+.3f}" for k in ("there (bits/char)", "elsewhere", "random cells there: mean", "random: max")}
    return table(rows, fmt)


def drop_table(pairs: Sequence[tuple[Study, Ablation]]) -> pd.DataFrame:
    """Loss in bits/char with whole sets clamped (random sets: the mean over the draws), and the sets' sizes."""
    rows = []
    for s, a in pairs:
        row = {"model": s.subject.label, "intact": _bits(a.base), "interpretable cells": a.set_sizes["interpretable"],
               "other cells": a.set_sizes["not interpretable"]}
        for name, draws in a.sets.items():
            row[f"clamped: {name}"] = float(np.mean([_bits(d) for d in draws]))
        rows.append(row)
    return table(rows, {c: "{:.3f}" for c in rows[0] if c.startswith(("intact", "clamped"))})


def drop_summary(pairs: Sequence[tuple[Study, Ablation]]) -> dict[str, float]:
    """The loss of all models together (mean of per-model bits/char) for intact and each clamped set."""
    out = {"intact": float(np.mean([_bits(a.base) for _, a in pairs]))}
    for name in pairs[0][1].sets:
        out[name] = float(np.mean([np.mean([_bits(d) for d in a.sets[name]]) for _, a in pairs]))
    return out


# ------------------------------------------------------------------------------------------------------- plots

def plot_saturation(studies: Sequence[Study], threshold: float = 0.1) -> plt.Figure:
    """The paper's gate figure: per gate (input, forget, output), each cell's share of characters with the gate
    below `threshold` (left-saturated, x) and above 1 - `threshold` (right-saturated, y), coloured by layer."""
    gates = {"i": "input gate", "f": "forget gate", "o": "output gate"}
    fig, axes = plt.subplots(len(studies), 3, figsize=(9, 2.6 * len(studies)), squeeze=False)
    for row, s in zip(axes, studies, strict=True):
        for ax, (g, name) in zip(row, gates.items(), strict=True):
            a = s.rec.gates[g]  # (layers, T, H)
            for layer in range(a.shape[0]):
                left, right = (a[layer] < threshold).mean(0), (a[layer] > 1 - threshold).mean(0)
                ax.scatter(left, right, s=5, alpha=0.6, linewidths=0, label=f"layer {layer + 1}")
            ax.plot([0, 1], [1, 0], color="grey", lw=0.8, ls="--")
            ax.set_xlim(-0.03, 1.03)  # a margin: many cells sit on the edges (never or always saturated)
            ax.set_ylim(-0.03, 1.03)
            ax.set_title(f"{s.subject.label}: {name}", fontsize=9)
            ax.set_xlabel(f"fraction < {threshold}", fontsize=8)
            ax.set_ylabel(f"fraction > {1 - threshold:g}", fontsize=8)
            if a.shape[0] > 1:
                ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def plot_scores(studies: Sequence[Study]) -> plt.Figure:
    """Per model and feature: every trained cell's score (blue dots) against the untrained control's cells (grey),
    with the control's best, the bar, in red."""
    feats = [[f for f in s.subject.features if math.isfinite(s.bars[f])] for s in studies]
    fig, axes = plt.subplots(len(studies), 1, figsize=(8, 0.32 * sum(map(len, feats)) + 0.9 * len(studies)),
                             gridspec_kw={"height_ratios": [max(1, len(f)) for f in feats]}, squeeze=False)
    rng = np.random.default_rng(0)
    for ax, s, fs in zip(axes[:, 0], studies, feats, strict=True):
        for y, f in enumerate(fs):
            for scores, colour, dy in ((s.control_scores[f], "0.6", -0.17), (s.scores[f], "#1f77b4", 0.17)):
                ax.scatter(scores, y + dy + rng.uniform(-0.1, 0.1, len(scores)), s=3, color=colour, alpha=0.5,
                           linewidths=0)
            ax.plot([s.bars[f]] * 2, [y - 0.4, y + 0.4], color="#d62728", lw=1.5)
        ax.set_yticks(range(len(fs)), [f"{f} ({score_kind(f)})" for f in fs], fontsize=8)
        ax.set_xlim(0, 1)
        ax.set_ylim(len(fs) - 0.5, -0.5)
        ax.set_title(f"{s.subject.label}: blue trained cells, grey untrained, red the untrained best", fontsize=9)
        ax.tick_params(axis="x", labelsize=8)
    axes[-1, 0].set_xlabel("score (binary features: AUC folded to [0.5, 1]; graded: |correlation|)", fontsize=8)
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------------------------------------------- HTML views

def _shown(ch: str) -> str:
    return {"\n": "↵", " ": "\u00a0", "\t": "→"}.get(ch, ch)


# The views are plain HTML with one small style sheet each: a class per colour level keeps the page light.
_STYLE = "".join(
    [".chl{font-family:monospace;font-size:0.8em;line-height:1.5;word-break:break-all}.chl i{font-style:normal}",
     ".chl .c{display:inline-block;width:1.15em;text-align:center;margin:0 0 0.6em 0;line-height:1.3}",
     ".chl .c i{display:block}.chl .c i:first-child{font-weight:600}"]
    + [f".chl .b{k}{{background:rgba(52,120,219,{k / 10:.1f})}}.chl .g{k}{{background:rgba(39,174,96,{k / 10:.1f})}}"
       f".chl .p{k}{{background:rgba(214,39,40,{k / 10:.1f})}}" for k in range(11)])


def firing_class(v: float) -> str:
    """The post's colouring of a cell's tanh(c) in [-1, 1], in 10 steps each way: green `g1`..`g10` for excited,
    blue `b1`..`b10` for inhibited, `g0` (white) near zero."""
    v = max(-1.0, min(1.0, float(v)))
    return f"{'g' if v >= 0 else 'b'}{round(abs(v) * 10)}"


def window(text: str, length: int, marker: str | None = None) -> int:
    """Where a view of `length` characters starts: a little before the first `marker` if there is one."""
    at = text.find(marker) if marker else -1
    start = max(0, at - length // 4) if at >= 0 else 0
    return min(start, max(0, len(text) - length))


def firing_html(text: str, values: np.ndarray, title: str = "") -> str:
    """`text` coloured character by character by `values` (a cell's tanh(c)); a newline breaks the line."""
    spans = []
    for ch, v in zip(text, values, strict=True):
        spans.append(f'<i class="{firing_class(v)}">{html.escape(_shown(ch))}</i>' + ("<br>" if ch == "\n" else ""))
    head = f'<div style="font-size:0.85em;margin-bottom:0.2em">{html.escape(title)}</div>' if title else ""
    return f'<style>{_STYLE}</style><div class="charlab-firing">{head}<div class="chl">{"".join(spans)}</div></div>'


def predictions_html(rec: Recording, start: int, length: int, cell: int | None = None) -> str:
    """The post's prediction figure: each character of rec.text[start:start + length] (coloured by `cell`'s
    firing if given, else light blue) with the model's recorded top guesses for the next character under it, red
    by probability in 10 steps."""
    guesses, probs = rec.top()
    firing = rec.flat()[:, cell] if cell is not None else None
    cols = []
    for t in range(start, min(len(rec.text), start + length)):
        top = firing_class(firing[t]) if firing is not None else "b1"
        col = [f'<i class="{top}">{html.escape(_shown(rec.text[t]))}</i>']
        col += [f'<i class="p{round(p * 10)}">{html.escape(_shown(g))}</i>' for g, p in zip(guesses[t], probs[t],
                                                                                          strict=True)]
        cols.append(f'<span class="c">{"".join(col)}</span>')
    return f'<style>{_STYLE}</style><div class="chl charlab-predictions">{"".join(cols)}</div>'


# ------------------------------------------------------------------------------------------------ widget data

def widget_data(s: Study, length: int, cells: int) -> dict:
    """The arguments of `charlab.widgets.NeuronWidget`: a window of the stretch, the `cells` top-ranked cells'
    firings on it (labelled with their best feature and score, with their index in the model for the in-page model)
    and the top guesses after each character."""
    start = window(s.text, length, s.subject.markers[0])
    end = min(len(s.text), start + length)
    firing = s.rec.flat()
    guesses, probs = s.rec.top()
    ranked = s.ranked()[:cells]
    return dict(
        text=s.text[start:end],
        cells=[{"label": f"{s.cell_name(c)}: {f}, {score_kind(f)} {score:.2f} "
                         f"(untrained best {s.bars[f]:.2f})",
                "firing": encode_firing(firing[start:end, c]), "cell": int(c)} for c, f, score in ranked],
        guesses=["".join(g) for g in guesses[start:end]],
        probs=[[int(round(100 * p)) for p in row] for row in probs[start:end]],
    )


def page_model(name: str, model: CharRNN, vocab: Vocab, max_bytes: int = MAX_BYTES) -> tuple[dict | None, str]:
    """The in-page model of the browser of `name` (`export_model`'s payload; None unless `name` is `PAGE_MODEL`)
    and one sentence for the page saying which model the page carries and what it weighs, or why none."""
    if name != PAGE_MODEL:
        return None, ""
    c = model.config
    shape = f"{c.cell.upper()} {c.num_layers}x{c.hidden_size}, {model.num_parameters():,} parameters"
    try:
        payload = export_model(model, vocab, max_bytes=max_bytes)
    except CharlabError as e:
        return None, f"The page carries no model, so it cannot read your text: the {SUBJECTS[name].label} model " \
                     f"({shape}) {e}."
    return payload, (f"The page carries one model, the {SUBJECTS[name].label} one ({shape}, {len(vocab.chars)} "
                     f"characters), as {payload_bytes(payload) / 2**20:.1f} MiB of page data (its weights rounded "
                     "to fp16, in base64), under the 5 MiB a page may carry.")


# ---------------------------------------------------------------------------------------------------- verdicts
# Each returns a `Verdict` (verdict, value, measured, gate) for charlab.claims.claim.

def above_chance(s: Study) -> bool:
    """Whether the model's share of interpretable cells is above twice its own chance level."""
    return bool(s.interpretable.mean() > 2 * s.chance_share())


def share_verdict(studies: Sequence[Study]) -> Verdict:
    """"About 5% of them turn out to have learned quite interesting and interpretible algorithms", judged per model:
    each model's share of cells that code one of its features better than any untrained cell, against that model's
    own chance level (`Study.chance_share`; a pooled share would let one model carry the others). *Holds* when
    every model is above twice its chance level and the pooled share is within a factor of 2 of 5%; *holds partly*
    when some models are above twice their chance level (or all are but the pooled share is outside that range);
    *not reached at this scale* when no model is."""
    n, cells, chance = interpretable_total(studies)
    share = n / cells
    per = "; ".join(f"{s.subject.label} {int(s.interpretable.sum())} of {s.num_cells} "
                    f"({s.interpretable.mean():.1%}, chance {s.chance_share():.1%}"
                    f"{', above' if above_chance(s) else ', not above twice that'})" for s in studies)
    above = [s.subject.label for s in studies if above_chance(s)]
    value = f"{share:.1%} of {cells} cells; {len(above)} of {len(studies)} models above chance"
    measured = (f"{n} of {cells} cells ({share:.1%}) code at least one of the chapter's features better than every "
                f"cell of an untrained model of the same shape ({per}); cells no better than untrained ones would "
                f"reach about {chance:.1%} by chance over all models")
    if not above:
        return Verdict("not reached at this scale", value, measured + " (no model is above twice its chance level)")
    if len(above) < len(studies):
        return Verdict("holds partly", value, measured + f" (only {', '.join(above)} above twice its chance level)")
    if POST_SHARE / 2 <= share <= POST_SHARE * 2:
        return Verdict("holds", value, measured)
    return Verdict("holds partly", value, measured + (" (more than twice the post's 5%)" if share > 2 * POST_SHARE
                                                      else " (less than half the post's 5%)"))


def confidence_verdict(rec: Recording, marker: str = "http://www.") -> Verdict:
    """"The model is very confident about characters during the http://www. sequence": the mean probability it
    gives the right next character inside that sequence. *Holds* at 0.8 or more (and above its mean on the whole
    text), *holds partly* when only above the whole text's mean; *not testable here* when the text has none."""
    inside, overall, n = confidence(rec, marker)
    value = f"p = {inside:.2f} inside {marker} (whole text {overall:.2f})"
    measured = (f"over the {n} predictions inside the held-out stretch's {marker} sequences the model gives the "
                f"right next character probability {inside:.2f} on average, against {overall:.2f} over the whole "
                "stretch")
    if n == 0:
        return Verdict("not testable here", "none in the stretch", f"the held-out stretch holds no {marker}")
    if inside >= 0.8 and inside > overall:
        return Verdict("holds", value, measured)
    return Verdict("holds partly" if inside > overall else "not reached at this scale", value, measured)


def ablation_gate(feature: str, effect: CellEffect) -> Gate:
    """The competence a feature cell needs before it is called one: clamping it must raise the loss where the
    feature changes by at least `ABLATION_GATE` bits/char more than elsewhere."""
    return Gate(f"clamping the cell raises the loss where '{feature}' changes by this much more than elsewhere "
                "(bits/char)", effect.at_events - effect.elsewhere, ABLATION_GATE)


def wiki_cells_verdict(s: Study, effects: dict[str, CellEffect]) -> Verdict:
    """The post's four Wikipedia neurons (inside a URL, inside [[ ]], a ramp across [[ ]], the www counter), each
    looked for as the best cell for its feature, and counted only when it beats every untrained cell *and* clamping
    it shows the function (`ablation_gate`; `effects` from `cell_effects`): *holds* when all four are, *holds
    partly* when some are, *not reached at this scale* when none is (the gate, at least one cell shown by
    ablation, says so), *not testable here* when the stretch holds none of the four features."""
    found = {f: s.found(f) for f in WIKI_CELLS}
    best = s.best()
    shown = {f: bool(ok) and f in effects and ablation_gate(f, effects[f]).passed for f, ok in found.items()}

    def part(f: str, ok: bool | None) -> str:
        if ok is None:
            return f"{f}: too rare in the stretch to score (< {MIN_EVENTS} events)"
        text = f"{f}: {s.cell_name(best[f][0])} {score_kind(f)} {best[f][1]:.2f} vs untrained {s.bars[f]:.2f}"
        if not ok:
            return text + " (not above)"
        if f not in effects:
            return text + " (not ablated)"
        e = effects[f]
        return text + (f", clamped {e.at_events:+.3f} bits/char where it changes vs {e.elsewhere:+.3f} elsewhere"
                       + ("" if shown[f] else " (no function shown)"))

    testable = [f for f, ok in found.items() if ok is not None]
    n, k = sum(bool(ok) for ok in found.values()), sum(shown.values())
    value = f"{k} of {len(testable)} shown by ablation ({n} above the untrained control)"
    measured = "best cell per feature on held-out Wikipedia: " + "; ".join(part(f, ok) for f, ok in found.items())
    gate = Gate(f"cells above the untrained control whose clamping shows their function (>= {ABLATION_GATE} "
                "bits/char more where the feature changes)", float(k), 1.0)
    if not testable:
        return Verdict("not testable here", value, measured)
    if k == len(WIKI_CELLS):
        return Verdict("holds", value, measured, gate)
    return Verdict("holds partly" if k else "not reached at this scale", value, measured, gate)


def cell_verdict(s: Study, feature: str, effect: CellEffect | None) -> Verdict:
    """A cell for `feature`: it must beat every untrained cell, and clamping it must show the function: the
    competence gate `ablation_gate` (below it the verdict is *not reached at this scale*, whatever the scores).
    *Holds* when, past both, clamping it also costs more where the feature changes than clamping any of the
    random cells does; *holds partly* when not; *not reached at this scale* when no cell beats the control;
    *not testable here* when the stretch cannot score the feature."""
    ok = s.found(feature)
    if ok is None:
        return Verdict("not testable here", "too rare in the stretch",
                       f"'{feature}' changes fewer than {MIN_EVENTS} times in the {s.subject.label} stretch")
    cell, score = s.best()[feature]
    kind = score_kind(feature)
    value = f"{kind} {score:.2f} (untrained best {s.bars[feature]:.2f})"
    measured = (f"on held-out {s.subject.label}, {s.cell_name(cell)} codes '{feature}' with {kind} {score:.2f}; the "
                f"best of the untrained model's {s.num_cells} cells reaches {s.bars[feature]:.2f}")
    if not ok:
        return Verdict("not reached at this scale", value, measured)
    if effect is None:
        return Verdict("not reached at this scale", value, measured + " (not ablated: no function shown)")
    rand = effect.random_at_events
    measured += (f"; clamping it raises the loss on the {effect.events} characters where the feature changes by "
                 f"{effect.at_events:+.3f} bits/char (elsewhere {effect.elsewhere:+.3f}), random cells by "
                 f"{np.mean(rand):+.3f} on average and at most {np.max(rand):+.3f}")
    value += f"; clamped {effect.at_events - effect.elsewhere:+.3f} bits/char where it matters"
    return Verdict("holds" if effect.beats_random else "holds partly", value, measured,
                   ablation_gate(feature, effect))


def drop_verdict(pairs: Sequence[tuple[Study, Ablation]]) -> Verdict:
    """A reader's question, "what if we drop those 95% uninterpretable cells?", read as the hypothesis that they do
    no work: clamp every cell that is not interpretable (all three models, loss as the mean of their bits/char).
    *Holds* when the loss rises by less than 2%, *holds partly* by less than 10%, otherwise *contradicted*;
    a random set of the same size, and the interpretable cells alone, are the comparison. *Not reached at this
    scale* when the share of interpretable cells is not above chance (`share_verdict`): no split to ask about."""
    d = drop_summary(pairs)
    base, drop = d["intact"], d["not interpretable"]
    rand = d["random, as many as not interpretable"]
    only, only_rand = d["interpretable"], d["random, as many as interpretable"]
    rise = drop / base - 1
    value = f"{base:.3f} -> {drop:.3f} bits/char ({rise:+.1%})"
    measured = (f"with the non-interpretable cells clamped to their means the loss goes from {base:.3f} to "
                f"{drop:.3f} bits/char ({rise:+.1%}); clamping a random set of the same size gives {rand:.3f}; "
                f"clamping only the interpretable cells gives {only:.3f}, a random set of that size {only_rand:.3f}")
    studies = [s for s, _ in pairs]
    if share_verdict(studies)[0] == "not reached at this scale":
        return Verdict("not reached at this scale", value, measured + (
            " (too few cells beat the untrained control for the question's split into interpretable and not)"))
    if rise < 0.02:
        return Verdict("holds", value, measured)
    return Verdict("holds partly" if rise < 0.10 else "contradicted", value, measured)
