"""The post's temperature claims, measured: sample one model across temperatures and score every sample.

Karpathy (2015): lowering the temperature "makes the RNN more confident, but also more conservative in its
samples", higher temperatures "give more diversity but at cost of more mistakes", and near zero the model says
"the most likely thing", which turned out to be "an infinite loop about startups". `sweep` samples the same model at
every temperature in one batch, each temperature reading the same random numbers (so two samples differ only by
their temperature), and scores each sample with `charlab.analysis`:

* diversity: distinct word unigrams and bigrams (distinct-1/2) and the character entropy (plain, and of the next
  character given the one before it, which is low in a loop: there the past decides the next character; one
  character of context, not more, because a 2,000-character sample is too short to estimate longer contexts);
* mistakes: the share of sampled words that never occur in the training text;
* loops: the share of the sample covered by one repeating cycle (`find_cycle`).

`reference_measures` scores real held-out text cut to the same length, the yardstick for "T=1 writes like the
author". All results are plain dicts and lists, so the notebook can plot them and hand them to
`charlab.widgets.TemperatureWidget` as they are. Every diversity measure depends on the sample length, so only
samples of equal length are compared (the sweep guarantees it).

Before the temperature claims, the chapter checks the post's model: `compare_with_charlab` shows that the page's
short hand-written LSTM and training step compute what charlab trains, `charlab.experiments.post_model` counts the
parameters of the post's 2x512 LSTM and `time_post_batch` times one of its training batches on this machine. From
that time `cpu_slowdown_claim` judges the post's "training on CPU will be about a factor of 10x slower", and
`bptt_overrides`, `compare_bptt` and `bptt_verdict` its "cut in half with 50 character BPTT at negligible cost in
performance" (two short runs of the chapter's model reading the same characters at BPTT 100 and 50).
"""

from __future__ import annotations

import copy
import dataclasses
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch
import torch.nn as nn

from charlab.analysis.cycles import Cycle, find_cycle
from charlab.analysis.textstats import (
    char_entropy_bits,
    distinct_ngram_ratio,
    nan_mean,
    random_windows,
    unknown_word_share,
    word_set,  # noqa: F401 (the words of the training text, for `sweep`)
)
from charlab.batching import StreamBatcher
from charlab.claims import Judgement, judge
from charlab.config import TrainConfig
from charlab.datasets import DATASETS
from charlab.device import resolve_device
from charlab.errors import CharlabError
from charlab.experiments import PostModel, Result, Run, committed_results
from charlab.model import CharRNN, inference
from charlab.presets import for_scale
from charlab.provenance import device_description, format_duration
from charlab.runs import load_metrics
from charlab.sampling import beam_search, sample, sample_across
from charlab.tables import table
from charlab.text import Vocab
from charlab.timing import time_per_batch
from charlab.train import build_optimizer, forward_loss, update
from charlab.widgets.model_data import MAX_BYTES, export_model, payload_bytes

# How much the chapter samples and times at each scale (the models and training are in the presets).
# bptt_chars: the characters each of the two BPTT runs (50 and 100) reads, a multiple of batch x 100 that
# `bptt_evals` divides; bptt_eval_chars: the held-out characters each evaluation scores (the same ones in both runs).
# At cpu scale each run is ~1 minute on 2 idle cores (864k characters at ~15k chars/s), so the chapter stays under
# ~9 minutes: 270 batches of 32x100, 540 of 32x50, about 0.4 of an epoch.
SIZES = {
    "smoke": dict(sample_len=300, samples_per_t=1, loop_len=300, timing_warmup=0, timing_iters=1,
                  bptt_chars=8_000, bptt_evals=2, bptt_eval_chars=1_600),
    "cpu": dict(sample_len=2000, samples_per_t=3, loop_len=1000, timing_warmup=1, timing_iters=7,
                bptt_chars=864_000, bptt_evals=6, bptt_eval_chars=51_200),
    "blog": dict(sample_len=2000, samples_per_t=3, loop_len=1000, timing_warmup=3, timing_iters=20,
                 bptt_chars=20_000_000, bptt_evals=10, bptt_eval_chars=500_000),
}
POST_SECONDS_PER_BATCH = 0.46  # "one batch ... on a TITAN Z GPU" (2x512 LSTM, batch 100, BPTT 100)
POST_GPU = "the post's TITAN Z GPU (2015)"
POST_PARAMETERS = 3_500_000  # "about 3.5 million parameters"
DATASET = DATASETS["pg"]  # the registry's entry for the chapter's text: what it is, how it differs from the post's


def sizes(scale: str) -> dict[str, int]:
    return for_scale(SIZES, scale)


# -- the post's model: the same computation, its size and its speed ----------------------------------------------


@dataclass(frozen=True)
class Gaps:
    """The largest absolute differences between a hand-written model and charlab's, from the same weights."""

    scores: float  # in the scores (logits) of one chunk of text, in evaluation mode
    loss: float  # in the loss of one training step (the same random numbers for dropout)
    weights: float  # in the weights after that step


def compare_with_charlab(ours: nn.Module, training_step: Callable, model: CharRNN, ids: Sequence[int],
                         config: TrainConfig, batch_size: int = 4, seq_len: int = 64, seed: int = 0) -> Gaps:
    """Do `ours` and `training_step(model, optimizer, x, y, state, config) -> (loss, state)` compute what charlab
    trains? `model`'s weights are loaded into `ours` (same parameter names), both score the first chunk of
    `ids` (`batch_size` streams of `seq_len` characters), then each takes one training step with charlab's
    optimizer for `config` from the same random numbers. `model` itself is not changed (a copy steps)."""
    ours.load_state_dict(model.state_dict())
    theirs = copy.deepcopy(model)
    x, y = StreamBatcher(ids, batch_size, seq_len).chunk(0)
    with inference(ours), inference(theirs):
        gap_scores = (ours(x)[0] - theirs(x)[0]).abs().max().item()
    ours.train()
    theirs.train()
    opt_ours, opt_theirs = build_optimizer(ours, config), build_optimizer(theirs, config)
    torch.manual_seed(seed)
    loss_ours, _ = training_step(ours, opt_ours, x, y, None, config)
    torch.manual_seed(seed)
    loss_theirs, _ = forward_loss(theirs, x, y, None)
    update(theirs, opt_theirs, loss_theirs, config)
    gap_weights = max((a - b).abs().max().item() for a, b in zip(ours.parameters(), theirs.parameters(), strict=True))
    return Gaps(gap_scores, abs(float(loss_ours) - loss_theirs.item()), gap_weights)


@dataclass(frozen=True)
class BatchTiming:
    """One training batch of the post's model, timed on this machine (`charlab.timing.time_per_batch`)."""

    post: PostModel
    seconds: float  # median of `iters` timed batches
    device: str  # `charlab.provenance.device_description`
    iters: int
    warmup: int

    @property
    def full_run_s(self) -> float:
        """Seconds the `blog` preset's epochs over the text would take at this speed."""
        return self.seconds * self.post.iters_per_epoch * self.post.config.max_epochs

    def describe(self) -> str:
        """The timing for readers, against the post's 0.46 s, and what a whole run at the post's settings costs."""
        c = self.post.config
        return (
            f"One batch (LSTM {c.num_layers}×{c.hidden_size}, batch {c.batch_size}, BPTT {c.seq_len}) takes "
            f"**{self.seconds:.2f} s** on {self.device} (median of {self.iters} timed iteration(s) after "
            f"{self.warmup} warm-up), against the post's {POST_SECONDS_PER_BATCH} s on a TITAN Z: "
            f"**{self.seconds / POST_SECONDS_PER_BATCH:.1f}×** the post's time. "
            f"At this speed, the `blog` preset's {c.max_epochs:g} epochs over this text (char-rnn's default; "
            f"{self.post.iters_per_epoch:,} batches each) would take about **{format_duration(self.full_run_s)}**; "
            "that is why the `cpu` preset trains a smaller model for fewer steps."
        )


def time_post_batch(post: PostModel, iters: int, warmup: int, device: str = "auto") -> BatchTiming:
    """Time `iters` training batches of `post` (after `warmup` uncounted ones) on `device` (`auto`: the GPU if
    there is one, else the CPU)."""
    where = resolve_device(device)
    seconds = time_per_batch(post.config, post.vocab_size, iters=iters, device=where, warmup=warmup)
    return BatchTiming(post, seconds, device_description(where), iters, warmup)


def committed_metrics(experiment: str = "pg") -> list[dict[str, Any]]:
    """The metrics of the `blog`-scale run committed under `results/blog/<experiment>/` ([] when there is none)."""
    return load_metrics(committed_results(experiment, "blog"))


def committed_metrics_path(experiment: str = "pg") -> str:
    """Where `committed_metrics` looks, as the page names it: `results/blog/<experiment>/metrics.jsonl`."""
    folder = committed_results(experiment, "blog")  # <checkout>/results/blog/<experiment>
    return "/".join((*folder.parts[-3:], "metrics.jsonl"))


def page_model(model: CharRNN, vocab: Vocab, max_bytes: int = MAX_BYTES) -> tuple[dict | None, str]:
    """The temperature widget's in-page model (`export_model`'s payload) and one sentence for the page saying
    which model the page carries and how much it weighs; (None, why not) when this run's model cannot be carried
    (over `max_bytes` of page data, e.g. the post's 2x512 model at `blog` scale, or not an LSTM)."""
    c = model.config
    shape = f"{c.cell.upper()} {c.num_layers}x{c.hidden_size}, {model.num_parameters():,} parameters"
    try:
        payload = export_model(model, vocab, max_bytes=max_bytes)
    except CharlabError as e:
        return None, f"This page carries no model, so it cannot sample by itself: this run's model ({shape}) {e}."
    return payload, (f"The page carries this chapter's model, the one trained above ({shape}, "
                     f"{len(vocab.chars)} characters), as {payload_bytes(payload) / 2**20:.1f} MiB of page data "
                     "(its weights rounded to fp16, in base64): one model per page, under the 5 MiB a page may carry.")


def differences_from_post(run: Run, timing: BatchTiming) -> str:
    """What differs from the post: the data, the model and the training of `run`, for readers."""
    c = run.config
    return (
        f"**What differs from the post.** Data: {DATASET.differs_from_post}. Model: {c.cell.upper()} "
        f"{c.num_layers}×{c.hidden_size} with {run.parameters:,} parameters, dropout {c.dropout:g}, batch "
        f"{c.batch_size}×{c.seq_len} characters (the post: LSTM 2×512, about 3.5 M parameters, dropout 0.5, batch "
        f"100×100). Training: {run.result.iters:,} iterations ({run.result.epoch:.2f} epochs) in "
        f"{format_duration(run.wall_s)} on {run.device}; the post does not say how long it trained; at "
        f"{timing.seconds:.2f} s per batch, {timing.post.config.max_epochs:g} epochs at its settings would take "
        f"about {format_duration(timing.full_run_s)} here."
    )


# From "conservative" to "mistakes everywhere"; 1.0 is the model's own distribution.
# 0.02 and 0.05 are "very near zero", where the post found its loop: they keep the loop measure from being flat.
TEMPERATURES = (0.02, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0, 1.2, 1.4, 1.7, 2.0)

# A loop must cover this many characters to count: real prose repeats short phrases ("no, no, no") but never a
# 100-character stretch three times over.
LOOP_MIN_LENGTH = 100

# name -> what it measures, in the order tables and plots show them (the shape of analysis.evolution.MEASURES).
MEASURES = {
    "distinct words": "distinct words / words (distinct-1)",
    "distinct word pairs": "distinct word bigrams / word bigrams (distinct-2)",
    "char entropy (bits)": "entropy of the character frequencies",
    "next-char entropy (bits)": "entropy of the next character given the one before it",
    "unknown words": "share of words that never occur in the training text",
    "share in a loop": f"share of the sample inside one repeating cycle of {LOOP_MIN_LENGTH}+ characters",
}
DIVERSITY = ("distinct words", "distinct word pairs", "char entropy (bits)", "next-char entropy (bits)")
MISTAKES = ("unknown words",)
LOOPS = ("share in a loop",)


def detect_loop(text: str, min_length: int = LOOP_MIN_LENGTH) -> Cycle | None:
    """The longest stretch of `text` that repeats one unit (period >= 4 characters, >= 3 times, >= `min_length`
    characters), or None: the automatic version of "looks like we've reached an infinite loop"."""
    return find_cycle(text, min_period=4, min_repeats=3.0, min_length=min_length)


def describe_loop(cycle: Cycle | None, text_length: int | None = None) -> str:
    """One sentence for readers: period, where the loop starts, how often it repeats and the repeated unit."""
    if cycle is None:
        return f"no loop (no stretch of {LOOP_MIN_LENGTH}+ characters repeats one unit three times or more)"
    until = "to the end of the sample" if cycle.reaches_end else f"until character {cycle.end:,}"
    of = f" of {text_length:,}" if text_length else ""
    return (f"loop of period {cycle.period} characters starting at character {cycle.start:,}{of}, "
            f"repeated {cycle.repeats:.1f} times {until}: {cycle.unit!r}")


def measure(text: str, reference_words: set[str]) -> dict[str, float]:
    """Every measure of MEASURES for one sample; NaN where a measure is undefined (e.g. a sample with no word)."""
    cycle = detect_loop(text)
    return {
        "distinct words": distinct_ngram_ratio(text, 1),
        "distinct word pairs": distinct_ngram_ratio(text, 2),
        "char entropy (bits)": char_entropy_bits(text, 0),
        "next-char entropy (bits)": char_entropy_bits(text, 1),
        "unknown words": unknown_word_share(text, reference_words),
        "share in a loop": cycle.length / len(text) if cycle and text else 0.0,
    }


@dataclass
class Sweep:
    """Samples and their measures at each temperature.

    samples:    {T: [text, ...]}, `num` samples of `length` characters per temperature
    per_sample: {measure: {T: [value per sample]}}
    measures:   {measure: {T: mean over the samples}}, the shape TemperatureWidget takes
    """

    temperatures: list[float]
    samples: dict[float, list[str]]
    per_sample: dict[str, dict[float, list[float]]]
    length: int
    prime: str = ""

    @property
    def measures(self) -> dict[str, dict[float, float]]:
        return {name: {t: nan_mean(v) for t, v in by_t.items()} for name, by_t in self.per_sample.items()}

    def first_samples(self) -> dict[float, str]:
        """One sample per temperature (the first seed), what the widget shows."""
        return {t: texts[0] for t, texts in self.samples.items()}

    def table(self, reference: dict[str, float] | None = None) -> pd.DataFrame:
        """The mean of every measure at each temperature (one row per T), and the real text's row if given."""
        means = self.measures
        rows = [{"T": f"{t:g}", **{n: means[n][t] for n in MEASURES}} for t in self.temperatures]
        if reference is not None:
            rows.append({"T": "real held-out text", **reference})
        return table(rows, dict.fromkeys(MEASURES, "{:.3f}"))


def sweep(
    model: CharRNN,
    vocab: Vocab,
    reference_words: set[str],
    temperatures: Sequence[float] = TEMPERATURES,
    length: int = 2000,
    num: int = 3,
    prime: str = "",
    seed: int = 0,
) -> Sweep:
    """Sample `num` texts of `length` characters at each temperature (`sample_across`) and measure each one.

    `reference_words` is the training text's word set (`charlab.analysis.word_set`), against which "unknown
    words" are counted."""
    temps = sorted({float(t) for t in temperatures})
    samples = sample_across(model, vocab, length, temps, num=num, prime=prime, seed=seed)
    per_sample: dict[str, dict[float, list[float]]] = {name: {} for name in MEASURES}
    for t, texts in samples.items():
        scores = [measure(text, reference_words) for text in texts]
        for name in MEASURES:
            per_sample[name][t] = [s[name] for s in scores]
    return Sweep(temps, samples, per_sample, length, prime)


def reference_measures(text: str, reference_words: set[str], length: int, num: int = 10,
                       seed: int = 0) -> dict[str, float]:
    """The measures of `num` random stretches of real `text` (use the held-out split), each `length` characters,
    averaged: where a sample that writes like the author should land."""
    scores = [measure(piece, reference_words) for piece in random_windows(text, num, length, seed)]
    return {name: nan_mean([s[name] for s in scores]) for name in MEASURES}


@dataclass
class NearZero:
    """A low-temperature (or greedy) continuation and the loop found in it."""

    method: str  # "argmax (T=0)", "sampling at T=0.1", "beam search (width 5)"
    temperature: float
    text: str
    loop: Cycle | None

    def describe(self) -> str:
        return f"{self.method}: {describe_loop(self.loop, len(self.text))}"

    @property
    def distinct_pairs(self) -> float:
        """Distinct word bigrams / word bigrams of the text (distinct-2): how much variety it has."""
        return distinct_ngram_ratio(self.text, 2)


def near_zero(
    model: CharRNN,
    vocab: Vocab,
    length: int = 1000,
    temperatures: Sequence[float] = (0.0, 0.1),
    prime: str = "",
    beam_width: int = 0,
    seed: int = 0,
) -> list[NearZero]:
    """Continuations at (near) zero temperature, each with the loop `detect_loop` finds in it.

    T=0 is argmax, "the most likely thing Paul Graham might say" one character at a time. With `beam_width` > 0,
    beam search is added: it looks for the most likely whole continuation, which (this is the point) loops too."""
    out = []
    for t in temperatures:
        text = sample(model, vocab, length, temperature=t, prime=prime, seed=seed)[0]
        method = "argmax (T=0)" if t == 0 else f"sampling at T={t:g}"
        out.append(NearZero(method, float(t), text, detect_loop(text)))
    if beam_width > 0:
        text = beam_search(model, vocab, length, beam_width=beam_width, prime=prime)
        out.append(NearZero(f"beam search (width {beam_width})", 0.0, text, detect_loop(text)))
    return out


def make_sampler(model: CharRNN, vocab: Vocab, length: int = 600) -> Callable[[float, str], str]:
    """`(temperature, prime) -> prime + a fresh sample`, for TemperatureWidget in a live kernel."""

    def sampler(temperature: float, prime: str) -> str:
        return prime + sample(model, vocab, length, temperature=temperature, prime=prime)[0]

    return sampler


def plot_sweep(sw: Sweep, reference: dict[str, float] | None = None,
               groups: Sequence[tuple[str, Sequence[str]]] = (("diversity", DIVERSITY[:2]),
                                                              ("entropy", DIVERSITY[2:]),
                                                              ("mistakes and loops", MISTAKES + LOOPS))):
    """One panel per group of measures against temperature: the mean over the samples as a line, each sample as a
    dot, and the real text's value (`reference`) as a dashed line of the same colour."""
    fig, axes = plt.subplots(1, len(groups), figsize=(5 * len(groups), 4), squeeze=False)
    for ax, (title, names) in zip(axes[0], groups, strict=True):
        for name in names:
            means = sw.measures[name]
            (line,) = ax.plot(sw.temperatures, [means[t] for t in sw.temperatures], marker="o", label=name)
            xs = [t for t in sw.temperatures for _ in sw.per_sample[name][t]]
            ys = [v for t in sw.temperatures for v in sw.per_sample[name][t]]
            ax.scatter(xs, ys, s=8, alpha=0.35, color=line.get_color())
            if reference is not None and not math.isnan(reference[name]):
                ax.axhline(reference[name], ls="--", lw=1, color=line.get_color())
        ax.axvline(1.0, color="gray", lw=0.8, alpha=0.5)
        ax.set_title(title)
        ax.set_xlabel("temperature T")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    if reference is not None:
        fig.suptitle("dashed: the same measure on real held-out text of the same length", fontsize=9)
    fig.tight_layout()
    return fig


# -- verdicts on the post's claims ------------------------------------------------------------------------------
# Each returns (verdict, value, measured) for charlab.claims.claim; the rules are stated in the chapter.


def parameters_verdict(parameters: int) -> tuple[str, str, str]:
    """"approx. 3.5 million parameters" for the 2x512 LSTM: holds within 10%."""
    ratio = parameters / POST_PARAMETERS
    verdict = "holds" if abs(ratio - 1) <= 0.10 else "contradicted"
    return (verdict, f"{parameters / 1e6:.2f} M",
            f"the post's model (LSTM 2x512, one-hot input over this text's characters) has {parameters:,} "
            f"parameters, {ratio:.2f} times the post's 3.5 million")


def batch_time_verdict(seconds: float, device: str) -> tuple[str, str, str]:
    """"one batch on a TITAN Z GPU takes about 0.46 seconds": only a GPU can test it; on a CPU it is reported."""
    measured = (f"one training batch at the post's settings took {seconds:.2f} s on {device}, "
                f"{seconds / POST_SECONDS_PER_BATCH:.1f} times the post's {POST_SECONDS_PER_BATCH} s")
    if not device.startswith("GPU"):
        return "not testable here", f"{seconds:.2f} s (CPU)", measured + " (a CPU cannot test a claim about a GPU)"
    return ("holds" if seconds <= POST_SECONDS_PER_BATCH else "contradicted"), f"{seconds:.3f} s", measured


def steps_up(values: Sequence[float]) -> tuple[int, int]:
    """(how many consecutive steps go up, how many steps there are) along a measure's values."""
    steps = list(zip(values, values[1:], strict=False))
    return sum(b > a for a, b in steps), len(steps)


def _rises(values: Sequence[float]) -> float:
    ups, steps = steps_up(values)
    return ups / steps if steps else math.nan


def conservative_verdict(sw: Sweep) -> tuple[str, str, str]:
    """"Decreasing the temperature from 1 ... makes the RNN more confident, but also more conservative": from the
    lowest T up to 1, diversity (distinct word pairs) and next-character entropy must both grow. Holds when both
    are lower at the lowest T than at T = 1 and rise in at least 80% of the steps; partly when only lower."""
    names = ("distinct word pairs", "next-char entropy (bits)")
    m = sw.measures  # a sample with no word pair has no diversity to measure: start at the lowest T that has one
    temps = [t for t in sw.temperatures if t <= 1.0 and not any(math.isnan(m[n][t]) for n in names)]
    lower = all(m[n][temps[0]] < m[n][1.0] for n in names)
    rises = [_rises([m[n][t] for t in temps]) for n in names]
    value = ", ".join(f"{n} {m[n][temps[0]]:.2f} → {m[n][1.0]:.2f}" for n in names)
    measured = (f"from T = {temps[0]:g} to T = 1, " + "; ".join(
        f"{n} goes from {m[n][temps[0]]:.3f} to {m[n][1.0]:.3f}, rising in {r:.0%} of the steps"
        for n, r in zip(names, rises, strict=True)))
    verdict = "holds" if lower and min(rises) >= 0.8 else "holds partly" if lower else "contradicted"
    return verdict, value, measured


def mistakes_verdict(sw: Sweep, reference: dict[str, float]) -> tuple[str, str, str]:
    """"higher temperatures will give more diversity but at cost of more mistakes": above T = 1, distinct word
    pairs and the share of unknown words must both grow, and the unknown words exceed real text's share. Holds
    when both are higher at the highest T than at T = 1 and unknown words rise in at least 80% of the steps."""
    m, temps = sw.measures, [t for t in sw.temperatures if t >= 1.0]
    hi = temps[-1]
    more_diverse = m["distinct word pairs"][hi] > m["distinct word pairs"][1.0]
    more_mistakes = m["unknown words"][hi] > m["unknown words"][1.0] > reference["unknown words"]
    rises = _rises([m["unknown words"][t] for t in temps])
    value = (f"unknown words {m['unknown words'][1.0]:.1%} → {m['unknown words'][hi]:.1%} "
             f"(real text {reference['unknown words']:.1%})")
    measured = (f"from T = 1 to T = {hi:g}, distinct word pairs go from {m['distinct word pairs'][1.0]:.3f} to "
                f"{m['distinct word pairs'][hi]:.3f} and unknown words from {m['unknown words'][1.0]:.1%} to "
                f"{m['unknown words'][hi]:.1%} (rising in {rises:.0%} of the steps); real held-out text has "
                f"{reference['unknown words']:.1%} unknown words")
    if more_diverse and more_mistakes and rises >= 0.8:
        return "holds", value, measured
    return ("holds partly" if more_diverse or more_mistakes else "contradicted"), value, measured


def loop_verdict(results: Sequence[NearZero], topic: str = "startup") -> tuple[str, str, str]:
    """"setting temperature very near zero will give the most likely thing ... an infinite loop about startups":
    holds when the argmax continuation ends in a loop that runs to the end and mentions `topic`; partly when it
    loops about something else (or a near-zero sample loops but argmax does not)."""
    greedy = next(r for r in results if r.temperature == 0.0 and r.method.startswith("argmax"))
    any_loop = [r.method for r in results if r.loop]
    if greedy.loop and greedy.loop.reaches_end:
        about = topic in greedy.loop.unit.lower()
        value = f"loop of {greedy.loop.period} characters" + (f" about {topic}s" if about else "")
        measured = f"{greedy.describe()}"
        return ("holds" if about else "holds partly"), value, measured
    measured = "argmax does not end in a loop; loops found in: " + (", ".join(any_loop) or "none")
    return ("holds partly" if any_loop else "contradicted"), ("loop" if any_loop else "no loop"), measured


# -- "training on CPU will be about a factor of 10x slower" -----------------------------------------------------

CPU_FACTOR = 10.0  # the post's conclusion: "training on CPU will be about a factor of 10x slower"
# "About 10x" holds within a factor of 2 either way: an order-of-magnitude remark, and a factor of 2 is about what
# separates two CPUs (or two GPUs) of one generation; outside the band the direction (a CPU is slower) may still hold.
CPU_FACTOR_BAND = (5.0, 20.0)


def cpu_slowdown_verdict(cpu_seconds: float, cpu_device: str, gpu_seconds: float,
                         gpu_device: str) -> tuple[str, str, str]:
    """"training on CPU will be about a factor of 10x slower": the time of one batch of the post's model on a CPU
    over its time on a GPU. Holds within CPU_FACTOR_BAND (5x to 20x); holds partly when the CPU is slower but
    outside the band; contradicted when it is not slower. Returns (verdict, value, measured)."""
    if cpu_seconds <= 0 or gpu_seconds <= 0:
        raise CharlabError(f"batch times must be positive (got {cpu_seconds}, {gpu_seconds})")
    ratio = cpu_seconds / gpu_seconds
    lo, hi = CPU_FACTOR_BAND
    how = (f"{ratio:.1f} times slower" if ratio > 1 else f"{1 / ratio:.1f} times faster" if ratio < 1
           else "as fast")
    where = ("inside" if lo <= ratio <= hi else "below" if ratio < lo else "above")
    measured = (f"one training batch of the post's model (2x512 LSTM, batch 100x100) took {cpu_seconds:.2f} s on "
                f"{cpu_device} and {gpu_seconds:.3g} s on {gpu_device}: the CPU is {how}, {where} the "
                f"{lo:g}x-{hi:g}x band around the post's {CPU_FACTOR:g}x")
    if lo <= ratio <= hi:
        return "holds", f"{ratio:.1f}x", measured
    return ("holds partly" if ratio > 1 else "contradicted"), f"{ratio:.1f}x", measured


def train_seconds(metrics: Sequence[dict[str, Any]], config: TrainConfig) -> list[float]:
    """Seconds of training (not evaluating) up to each evaluation of a run: each interval's characters over its
    `chars_per_s` (0 at the evaluation before training)."""
    per_iter, out, total, last = config.batch_size * config.seq_len, [], 0.0, 0
    for r in metrics:
        if r.get("chars_per_s"):
            total += (r["iter"] - last) * per_iter / r["chars_per_s"]
        last = r["iter"]
        out.append(total)
    return out


def seconds_per_batch(metrics: Sequence[dict[str, Any]], config: TrainConfig) -> float:
    """Training seconds per iteration of a run (evaluations not counted): the median over its evaluation
    intervals, so the first interval's one-off costs (threads, allocation) do not count; NaN when no interval was
    timed."""
    per_iter = config.batch_size * config.seq_len
    rates = [per_iter / r["chars_per_s"] for r in metrics if r.get("chars_per_s")]
    return float(np.median(rates)) if rates else math.nan


def is_post_batch(config: TrainConfig, post: PostModel) -> bool:
    """Does `config` train the post's model on the post's batch (cell, layers, width, batch, BPTT)?"""
    keys = ("cell", "num_layers", "hidden_size", "batch_size", "seq_len")
    return all(getattr(config, k) == getattr(post.config, k) for k in keys)


def cpu_and_gpu(timing: BatchTiming, iters: int, warmup: int) -> tuple[BatchTiming, BatchTiming | None]:
    """(the CPU's timing, the GPU's or None) of the post's batch: `timing` is the page's (the GPU where there is
    one); on a GPU machine the CPU is timed too, so the two are compared on one machine."""
    if not timing.device.startswith("GPU"):
        return timing, None
    return time_post_batch(timing.post, iters, warmup, device="cpu"), timing


def cpu_slowdown_claim(cpu: BatchTiming, gpu: BatchTiming | None = None, committed: Result | None = None,
                       scale: str = "cpu") -> tuple[str, str, str, list[Judgement]]:
    """The 10x claim judged with what there is: at the page's `scale`, this machine's CPU time against `gpu`
    (timed here, when there is one) or else the post's TITAN Z 0.46 s; and, where a `blog` run of the post's model
    is committed (`charlab.experiments.committed_run`) and the page is not at `blog` scale, this CPU against that
    GPU's measured time per batch (`also`). Returns (verdict, value, measured, also) for `claim`."""
    if gpu is not None:
        verdict, value, measured = cpu_slowdown_verdict(cpu.seconds, cpu.device, gpu.seconds, gpu.device)
    else:
        verdict, value, measured = cpu_slowdown_verdict(cpu.seconds, cpu.device, POST_SECONDS_PER_BATCH, POST_GPU)
        measured += (" (a CPU of today against a GPU of 2015: both have changed since, so the ratio is not the one "
                     "the post saw)")
    also = []
    if committed is not None and committed.scale != scale and is_post_batch(committed.config, cpu.post):
        gpu_s = seconds_per_batch(committed.metrics, committed.config)
        if math.isfinite(gpu_s):
            v, val, m = cpu_slowdown_verdict(cpu.seconds, cpu.device, gpu_s,
                                             f"{committed.stamp.get('device', 'a GPU')} (the committed "
                                             f"{committed.scale} run, {committed.stamp.get('precision', 'fp32')})")
            also.append(judge(committed.scale, v, m, val))
    return verdict, value, measured, also


# -- "this can be cut in half with 50 character BPTT at negligible cost in performance" --------------------------

BPTT = (100, 50)  # the post's BPTT and the one it says costs half the time per batch
NEGLIGIBLE = 0.05  # nats/char: a held-out loss this much higher, or less, at equal characters is "negligible"
HALF = 0.6  # time per batch at BPTT 50 over BPTT 100: at most this is "cut in half" (costs per batch that do not
#             shrink with the sequence, the optimizer step above all, keep it above 0.5)


def bptt_overrides(scale: str, seq_len: int, experiment: str = "pg") -> dict[str, Any]:
    """The overrides of `run_experiment(experiment, scale, **...)` for one run of the BPTT comparison: the same
    model and the same characters (`bptt_chars`) at BPTT `seq_len`, evaluated `bptt_evals` times on the same
    `bptt_eval_chars` held-out characters, with warm-up and state resets at the same characters as the preset's."""
    from charlab.presets import preset_for

    size, base = sizes(scale), preset_for(experiment, scale)
    per_iter = base.batch_size * seq_len
    iters = size["bptt_chars"] // per_iter
    if iters * per_iter != size["bptt_chars"] or iters % size["bptt_evals"]:
        raise CharlabError(f"bptt_chars {size['bptt_chars']:,} is not {size['bptt_evals']} evaluations of whole "
                           f"batches of {base.batch_size}x{seq_len}")
    base_chars = base.seq_len  # characters per stream per chunk in the preset
    return dict(
        seq_len=seq_len, max_iters=iters, eval_interval=iters // size["bptt_evals"],
        eval_max_chunks=max(1, size["bptt_eval_chars"] // per_iter),
        warmup_iters=round(base.warmup_iters * base_chars / seq_len),
        state_reset_every=max(1, round(base.state_reset_every * base_chars / seq_len))
        if base.state_reset_every else 0,
    )


@dataclass(frozen=True)
class BPTTComparison:
    """Two runs of one model at BPTT `long` and `short` (same characters), and what they cost and reached."""

    long: int
    short: int
    chars: int  # characters each run read
    epochs: float  # of the training split
    seconds_per_batch: dict[int, float]  # training only
    loss_at_chars: dict[int, float]  # held-out loss (nats/char) after `chars` characters
    seconds: float  # the equal wall time: the shorter of the two runs' training times
    loss_at_seconds: dict[int, float]  # held-out loss at `seconds` of training (interpolated)

    @property
    def time_ratio(self) -> float:
        """Time per batch at the short BPTT over the long one."""
        return self.seconds_per_batch[self.short] / self.seconds_per_batch[self.long]

    @property
    def cost(self) -> float:
        """Held-out loss at the short BPTT minus the long one at equal characters (negative: the short is better)."""
        return self.loss_at_chars[self.short] - self.loss_at_chars[self.long]

    @property
    def cost_at_seconds(self) -> float:
        return self.loss_at_seconds[self.short] - self.loss_at_seconds[self.long]


def _curve(metrics: Sequence[dict[str, Any]], config: TrainConfig) -> tuple[list[int], list[float], list[float]]:
    rows = [r for r in metrics if r.get("val_loss") is not None and math.isfinite(r["val_loss"])]
    per_iter = config.batch_size * config.seq_len
    secs = dict(zip([r["iter"] for r in metrics], train_seconds(metrics, config), strict=True))
    return [r["iter"] * per_iter for r in rows], [secs[r["iter"]] for r in rows], [r["val_loss"] for r in rows]


def compare_bptt(runs: dict[int, tuple[Sequence[dict[str, Any]], TrainConfig]], train_chars: int) -> BPTTComparison:
    """Compare two runs {seq_len: (metrics, config)} that read the same characters: time per batch, held-out loss
    at the end (equal characters) and at the shorter run's training time (equal wall time, the other run's curve
    interpolated). `train_chars`: the training split's length, for the epochs."""
    if len(runs) != 2:
        raise CharlabError(f"compare_bptt needs two runs, got {len(runs)}")
    long, short = sorted(runs, reverse=True)
    curves = {k: _curve(*runs[k]) for k in runs}
    if curves[long][0][-1] != curves[short][0][-1]:
        raise CharlabError(f"the runs read different characters ({curves[long][0][-1]:,} and "
                           f"{curves[short][0][-1]:,}); compare runs of equal characters")
    spb = {k: seconds_per_batch(*runs[k]) for k in runs}
    seconds = min(curves[k][1][-1] for k in runs)
    at_s = {k: float(np.interp(seconds, curves[k][1], curves[k][2])) for k in runs}
    chars = curves[long][0][-1]
    return BPTTComparison(long, short, chars, chars / train_chars, spb, {k: curves[k][2][-1] for k in runs},
                          seconds, at_s)


def _lower(a: float, b: float, name_a: str, name_b: str) -> str:
    """"BPTT 50's held-out loss is lower than BPTT 100's by 0.012 nats/char (...)", or higher, or level to 3
    decimals: the direction computed from the numbers."""
    d = a - b
    if round(d, 3) == 0:
        return f"{name_a}'s and {name_b}'s held-out losses are level ({a:.3f} and {b:.3f} nats/char)"
    return (f"{name_a}'s held-out loss is {'lower' if d < 0 else 'higher'} than {name_b}'s by {abs(d):.3f} "
            f"nats/char ({a:.3f} against {b:.3f})")


def bptt_verdict(c: BPTTComparison, post_ratio: float | None = None) -> tuple[str, str, str]:
    """"this can be cut in half with 50 character BPTT at negligible cost in performance": the time per batch at
    BPTT 50 over 100 (the post's model timed here when `post_ratio` is given, else the chapter's runs) at most
    HALF, and the held-out loss at equal characters at most NEGLIGIBLE nats/char higher. Holds when both, partly
    when one, contradicted when neither."""
    ratio = c.time_ratio if post_ratio is None else post_ratio
    halved, negligible = ratio <= HALF, c.cost <= NEGLIGIBLE
    s, lng = f"BPTT {c.short}", f"BPTT {c.long}"
    value = f"time per batch x{ratio:.2f}, loss {c.cost:+.3f} nats/char"
    post = (f"one batch of the post's model (2x512, batch 100) takes {post_ratio:.2f} times as long at {s} as at "
            f"{lng}; " if post_ratio is not None else "")
    measured = (
        f"{post}in the chapter's model, one batch takes {c.seconds_per_batch[c.short] * 1000:.0f} ms at {s} and "
        f"{c.seconds_per_batch[c.long] * 1000:.0f} ms at {lng} (x{c.time_ratio:.2f}); after the same "
        f"{c.chars:,} characters ({c.epochs:.2g} of an epoch), "
        f"{_lower(c.loss_at_chars[c.short], c.loss_at_chars[c.long], s, lng)}; after the same "
        f"{c.seconds:.0f} s of training, {_lower(c.loss_at_seconds[c.short], c.loss_at_seconds[c.long], s, lng)}. "
        f"Rule: halved when the ratio is at most {HALF:g}, negligible when {s} is at most {NEGLIGIBLE:g} nats/char "
        f"higher at equal characters. Two short runs: what BPTT {c.long}'s longer gradient earns later in training "
        "is not seen here"
    )
    if halved and negligible:
        return "holds", value, measured
    return ("holds partly" if halved or negligible else "contradicted"), value, measured


def post_bptt_ratio(post: PostModel, iters: int, warmup: int, short: int = BPTT[1],
                    long: BatchTiming | None = None, device: str = "auto") -> tuple[BatchTiming, float]:
    """Time one batch of the post's model at BPTT `short` (the rest as the post) and its ratio to `long` (the
    timing at the post's BPTT, timed here if not given)."""
    long = long or time_post_batch(post, iters, warmup, device)
    shorter = dataclasses.replace(post, config=post.config.with_overrides(seq_len=short))
    timing = time_post_batch(shorter, iters, warmup, device)
    return timing, timing.seconds / long.seconds


def plot_bptt(runs: dict[int, tuple[Sequence[dict[str, Any]], TrainConfig]]):
    """Held-out loss of each BPTT run against training characters (left) and training seconds (right)."""
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for k in sorted(runs, reverse=True):
        chars, secs, val = _curve(*runs[k])
        axes[0].plot(chars, val, marker="o", label=f"BPTT {k}")
        axes[1].plot(secs, val, marker="o", label=f"BPTT {k}")
    for ax, x in zip(axes, ("training characters read", "training seconds (evaluations not counted)"),
                     strict=True):
        ax.set_xlabel(x)
        ax.set_ylabel("held-out loss (nats/char)")
        ax.grid(alpha=0.3)
        ax.legend()
    axes[0].set_title("at equal characters")
    axes[1].set_title("at equal wall time")
    fig.tight_layout()
    return fig
