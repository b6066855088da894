"""Named training configurations at three scales.

`smoke` runs in seconds (CI), `cpu` in minutes on a 2-core laptop, `blog` uses the post's settings and wants a GPU.
The generic presets work on any text file; `<experiment>-<scale>` presets refine them for one chapter. A chapter
asks for `preset_for("pg", SCALE)`, so the same notebook code runs at every scale.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from .config import TrainConfig
from .errors import CharlabError, did_you_mean

T = TypeVar("T")

SCALES = ("smoke", "cpu", "long", "blog")  # every scale a preset, a result or a claim can have
# `long` is a results scale: 30-60 minutes on the 2-core CPU by the results runner (`python -m charlab.blog one
# EXPERIMENT --scale long`), committed under results/long/; chapters are executed at the other three.
CHAPTER_SCALES = ("smoke", "cpu", "blog")
SCALE_ALIASES = {"gpu": "blog"}
SCALE_NAMES = (*SCALES, *SCALE_ALIASES)  # what a user may type
CHAPTER_SCALE_NAMES = (*CHAPTER_SCALES, *SCALE_ALIASES)

_GENERIC: dict[str, dict[str, Any]] = {
    "smoke": dict(
        cell="lstm",
        hidden_size=32,
        num_layers=1,
        batch_size=8,
        seq_len=32,
        lr=3e-3,
        lr_schedule="constant",
        max_iters=40,
        eval_interval=20,
        eval_max_chunks=4,
    ),
    # Tuned for quality per CPU-minute on tiny Shakespeare, 2 cores (README, "Quality per CPU-minute"): small
    # batches (2,048 characters per update) learn far more per character than 64x128, and one 512-wide layer beat
    # 2x256 per iteration and per second. Loss-vs-iteration curves of the candidates are in benchmarks/README.md.
    "cpu": dict(
        cell="lstm",
        hidden_size=512,
        num_layers=1,
        embedding_dim=64,
        dropout=0.0,
        batch_size=32,
        seq_len=64,
        lr=4e-3,
        lr_schedule="cosine",
        warmup_iters=50,
        grad_clamp=0.0,
        grad_clip=1.0,
        max_iters=2500,
        eval_interval=100,
        # bf16 mixed precision where the CPU multiplies bf16 in hardware (AVX512-BF16/AMX), fp32 elsewhere: on this
        # project's 2-core Xeon, 1.67x the chars/s of fp32 and 0.05 nats/char lower at 5 minutes, with the same
        # loss per iteration (benchmarks/README.md, "bf16").
        precision="auto",
    ),
    # The cpu model for as long as the run's time limit allows (max_time_s; the cosine schedule anneals over it),
    # evaluated on 24 chunks every 500 iterations. Each experiment's model is chosen in its _EXPERIMENTS entry.
    "long": dict(
        cell="lstm", hidden_size=512, num_layers=1, embedding_dim=64, dropout=0.0, batch_size=32, seq_len=64, lr=4e-3,
        lr_schedule="cosine", warmup_iters=50, grad_clamp=0.0, grad_clip=1.0, max_iters=1_000_000, max_time_s=2400.0,
        eval_interval=500, eval_max_chunks=24, precision="auto",
    ),
    # The post / char-rnn: 2x512 LSTM, dropout 0.5, batch 100, BPTT 100, RMSProp 2e-3, x0.97 per epoch after 10.
    "blog": dict(
        cell="lstm",
        hidden_size=512,
        num_layers=2,
        dropout=0.5,
        batch_size=100,
        seq_len=100,
        optimizer="rmsprop",
        lr=2e-3,
        lr_schedule="charrnn",
        grad_clamp=5.0,
        max_epochs=50,
        eval_interval=500,
    ),
}

_EXPERIMENTS: dict[str, dict[str, dict[str, Any]]] = {
    "pg": {
        # The notebook (training + temperature sweep + timing the blog batch) must run in ~8 min on 2 idle cores:
        # the tuned cpu model (1x512, batches of 2,048 characters) for 1,800 iterations, ~4 min at ~15k chars/s.
        # (The 2x256 model in 64x128 batches it replaced reached only 1.85 nats/char in the same time.)
        "cpu": dict(max_iters=1800, eval_interval=200),
        "blog": {},
    },
    # The Shakespeare chapter trains on both files and must fit ~8 min on 2 idle cores, so both runs are short:
    # the generic cpu model (1x512: it beat 2x256 per second, and learned far more per iteration than the 2x192
    # tried here first) for ~2,400 iterations in all (~190 ms each on one core). Validation during training
    # uses 24 chunks (49k characters); the chapter scores the whole validation split at the end. Only what
    # differs from `cpu` is written here, so that retuning `cpu` retunes these too.
    "shakespeare": {
        "cpu": dict(max_iters=1300, eval_interval=200, eval_max_chunks=24),
        "blog": dict(num_layers=3),  # "a 3-layer RNN with 512 hidden nodes on each layer"
    },
    "tinyshakespeare": {
        "cpu": dict(max_iters=1100, eval_interval=200, eval_max_chunks=24),
        # Not compared on proxies: War and Peace's 2x512 with dropout 0.25, for 20 minutes (the time one sitting had
        # left). In 20 minutes it reads tiny Shakespeare's 1.0 M training characters about 19 times, where the 2x512
        # without dropout over-fitted War and Peace after about 9 readings (results/long/warpeace/); the best
        # checkpoint is the one kept.
        "long": dict(num_layers=2, dropout=0.25, max_time_s=1200.0),
    },
    "names": {
        # 56 KB of names: a small model, ~60 epochs. lr 0.012 (4x the generic) reaches about 0.15 nats/char lower
        # validation loss than 3e-3 in the same 1500 iterations; the best checkpoint comes before the last.
        "cpu": dict(
            hidden_size=128,
            num_layers=2,
            embedding_dim=32,
            batch_size=32,
            seq_len=64,
            lr=0.012,
            max_iters=1500,
            eval_interval=100,
        ),
        "blog": dict(hidden_size=256, batch_size=50, seq_len=50, max_epochs=30, eval_interval=100),
    },
    # The three structured-text chapters train the tuned cpu model for ~3.5 minutes (~1,400 iterations at ~150 ms
    # on 2 idle cores), leaving the rest of their ~8-10 minute budget to sampling and measuring.
    "wikipedia": {  # held out: the last 4%, the post's (and Graves's) 96/4 split of enwik8
        "smoke": dict(val_frac=0.04),
        "cpu": dict(max_iters=1400, eval_interval=200, eval_max_chunks=24, val_frac=0.04),
        # The post does not give its Wikipedia model; its Linux models had 3 layers.
        "blog": dict(num_layers=3, val_frac=0.04),
        # Not compared on proxies: War and Peace's 2x512 for 30 minutes (about 6 readings of the 3.8 M training
        # characters), on the same 96/4 split as the chapter.
        "long": dict(num_layers=2, max_time_s=1800.0, val_frac=0.04),
    },
    "latex": {
        "cpu": dict(max_iters=1400, eval_interval=200, eval_max_chunks=24),
        "blog": dict(num_layers=3),  # "a multilayer LSTM"
        # Not compared on proxies: War and Peace's 2x512 for 30 minutes (about 2 readings of 14 M training characters).
        "long": dict(num_layers=2, max_time_s=1800.0),
    },
    "linux": {
        "cpu": dict(max_iters=1400, eval_interval=200, eval_max_chunks=24),
        # "3-layer LSTMs ... about 10 million parameters": 3x700 on ~100 input symbols is 10.1 M.
        "blog": dict(num_layers=3, hidden_size=700),
        # Not compared on Linux proxies yet: War and Peace's choice (benchmarks/README.md), the 2x512, for 30 minutes.
        # Linux's 11.7 MB give it about 2.5 epochs in that time, where the 2x512 over-fitted War and Peace only after
        # 9 (results/long/warpeace/).
        "long": dict(num_layers=2, max_time_s=1800.0),
    },
    "warpeace": {
        # Samples every 100 iterations from iteration 1: small batches so the early iterations tell the story.
        # Evaluate on 25 validation chunks (51k characters): all 156 would add half the training time.
        "cpu": dict(hidden_size=256, num_layers=2, batch_size=32, seq_len=64, lr=3e-3, max_iters=2000,
                    eval_interval=100, eval_max_chunks=25),
        "blog": dict(batch_size=50, seq_len=50, max_iters=2000, eval_interval=100),
        # benchmarks/long_candidates.py, 5 minutes each on this 2-core Xeon (idle, bf16): 1x512 1.235, 2x512 batch
        # 64 1.252, 2x512 1.256, 1x1024 1.344 nats/char. The 1x512 leads at 5 minutes, but it has then read the
        # novel 3 times (24 times in 40 minutes) and the 2x512's loss fell 1.8x faster between minutes 3 and 4
        # (0.056 against 0.032): for 35 minutes the 2x512 (3.3 M parameters) is chosen. Its run reached 1.179 and
        # then over-fitted (results/long/warpeace/stamp.json).
        "long": dict(num_layers=2, max_time_s=2100.0),
    },
    # Chapter 11's Transformer (`--preset transformer-cpu`, or `--cell transformer` on any preset), in the cpu
    # preset's batches of 32 x 64 characters with a context of 64 (nanoGPT's CPU block size), Adam without weight
    # decay, the same cosine schedule and clipping as the LSTM. Chosen on tiny Shakespeare, 90 s each, one after
    # another on the idle 2-core Xeon (benchmarks/long_candidates.py --tag transformer, 2026-12-06): 2 layers x 256
    # (4 heads, lr 2e-3) 1.817 nats/char at 12,000 characters/s; nanoGPT's own CPU configuration, 4 layers x 128
    # (4 heads), 1.977 at lr 2e-3 and 2.058 at lr 1e-3, at ~9,000 characters/s; the cpu LSTM beside them 1.519 at
    # 41,000. Only these three were tried.
    "transformer": {
        "smoke": dict(cell="transformer", hidden_size=32, num_layers=2, heads=2, window=32, lr=3e-3),
        "cpu": dict(cell="transformer", hidden_size=256, num_layers=2, heads=4, window=64, embedding_dim=0, lr=2e-3,
                    warmup_iters=100),
        "long": dict(cell="transformer", hidden_size=256, num_layers=2, heads=4, window=64, embedding_dim=0, lr=2e-3,
                     warmup_iters=100),
        # nanoGPT's shakespeare-char model (6 layers, 6 heads, width 384, context 256, dropout 0.2, batch 64 x 256,
        # AdamW 1e-3 with cosine decay to 1e-4 over 5,000 iterations), the one that reached 1.4697 on a GPU.
        "blog": dict(cell="transformer", hidden_size=384, num_layers=6, heads=6, window=256, dropout=0.2,
                     batch_size=64, seq_len=256, optimizer="adam", lr=1e-3, lr_schedule="cosine", warmup_iters=100,
                     min_lr_frac=0.1, grad_clamp=0.0, grad_clip=1.0, max_iters=5000, max_epochs=50,
                     eval_interval=250),
    },
    # Chapter 10 (baselines). The chapter must fit ~9 minutes on 2 idle cores. Its parts, ESTIMATED (not timed:
    # iteration counts x the per-iteration times the committed cpu run printed on an idle 2-core Xeon, ~165 ms per
    # iteration of this 1x512 model; scoring is ~4x cheaper per character than training): the three LSTMs below
    # ~4.4 min, the Kneser-Ney n-grams ~1.4 min (the committed run: 1 min 44 s for orders 1-12, 1 min 18 s of it
    # on Linux; the chapter now leaves out orders 9 and 11), the cell grid ~2.2 min, meta ~0.6 min, loading,
    # Goldberg's n-grams, samples and plots ~0.4 min: ~9 min in all.
    # The LSTM each n-gram curve is held against: the tuned cpu model, 450 iterations on each dataset (~75 s each),
    # then its best checkpoint scored on the half of the held-out text that Kneser-Ney is reported on (ESTIMATED
    # ~10 s for the three, ~416K characters: the held-out text is capped at 400K characters, which cuts only
    # Linux's), and the committed long runs' 2x512 models on the same characters (ESTIMATED ~20-30 s).
    # 450 iterations rather than 370: between iterations 250 and 500 this model's loss still falls fast (2.09 -> 1.70
    # on tiny Shakespeare, benchmarks/README.md), so these iterations buy the most of anything in the chapter. An
    # iteration budget, not a time limit, so the cosine schedule decays to its end and the run is the same on any
    # machine; validation on 16 chunks (33K characters) five times only picks the best checkpoint.
    "baselines": {
        "cpu": dict(max_iters=450, eval_interval=90, eval_max_chunks=16),
        "blog": dict(max_time_s=1200),  # the post's 2x512 model, 20 minutes per dataset on a GPU
    },
    # The paper's comparison in miniature: the chapter gives each (cell, depth) the parameter count of this
    # one-layer LSTM (115K parameters; it solves for each one's hidden size: vanilla RNN 1x266 and 2x168, GRU 1x150
    # and 2x96, LSTM 1x128 and 2x82) and the same ITERATION budget: 400 updates on the same batches of 16 x 64
    # characters. With equal parameters, equal updates of equal batches are about equal arithmetic (the FLOPs per
    # character scale with the parameters) and the same 410K characters seen, on any machine. A wall-time budget
    # (35 s each, before) made the iteration counts depend on the machine's load, so the grid did not reproduce
    # (the spread that remains between seeds is the models' own: a short-run vanilla RNN or GRU can lose its way
    # when it reads the held-out split as long streams, `ch10_baselines.lost_on_long_streams`). lr 3e-3 for all:
    # at 6e-3 the one-layer LSTM gained but the vanilla RNN diverged.
    # Wall time still differs per cell (PyTorch's CPU GRU is the slowest per parameter). Two seeds per model
    # (the chapter's SIZES). 1x128 in batches of 16 rather than 1x256 in batches of 32: twice the runs in less
    # time. ESTIMATED ~135 ms for one iteration of all six on 2 idle cores (the committed 1x256 grid's
    # 55-137 ms per cell, ~480 ms for all six, scaled by the ratio measured between the two sizes side by side),
    # so 2 x 400 iterations ~110 s, plus ~20 s to score twelve held-out splits (320K characters each). What short
    # equal runs limit: a seventh of an epoch, one learning rate for all; the paper trained each to convergence.
    "cells": {
        "cpu": dict(hidden_size=128, batch_size=16, lr=3e-3, max_iters=400, eval_interval=100, eval_max_chunks=8),
        # The paper trained every cell to convergence: 50 epochs of the post's batches each, the same for all.
        "blog": dict(num_layers=1, max_epochs=50),
    },
    # The post trained "an RNN" on its own 46K-character source without saying which. char-rnn's defaults (2x128
    # LSTM, one-hot, batch 50 x 50, RMSProp 2e-3, 50 epochs) were tried first: on 2 cores they took 37 s and ended
    # underfit (train 2.00, val 2.21 nats/char, both still falling). The tuned cpu model (1x512, batches of 32)
    # for 300 iterations (~60 s) also ended with validation at its best (2.09). A 1x256 LSTM in batches of 16 x 64
    # costs about a fifth of its time per update: 1,200 iterations (30 epochs) reached 1.86, still at its best at
    # the end (train 1.53), so no cheap run shows over-fitting turn the validation loss up; 1,000 iterations (25 epochs,
    # ESTIMATED ~30 s on 2 idle cores) reach a better model than before in half the time, and the chapter says
    # what the losses show. Every 40 iterations scores all 4.6K held-out characters.
    "meta": {
        "smoke": dict(max_iters=60, eval_interval=10, val_frac=0.1),
        "cpu": dict(hidden_size=256, batch_size=16, max_iters=1000, warmup_iters=20, eval_interval=40,
                    eval_max_chunks=0),
        "blog": dict(max_epochs=50, eval_interval=10),  # the post's 2x512 LSTM: 200 updates of 100 x 100
    },
}


def preset_names() -> list[str]:
    names = list(_GENERIC)
    for exp in _EXPERIMENTS:
        names += [f"{exp}-{s}" for s in SCALES]
    return names


def normalize_scale(scale: str) -> str:
    """`scale` as one of SCALES (gpu -> blog); an unknown scale is an error with a "did you mean"."""
    canonical = SCALE_ALIASES.get(scale, scale)
    if canonical not in SCALES:
        raise CharlabError(
            f"unknown scale {scale!r}{did_you_mean(scale, SCALE_NAMES)}; use one of {', '.join(SCALE_NAMES)}"
        )
    return canonical


def for_scale(sizes: Mapping[str, T], scale: str) -> T:
    """What a chapter does at `scale`, from its table of sizes per scale (one entry for each of SCALES).

    The one way every chapter picks its amounts of sampling, timing and measuring, so an unknown scale is the
    same clear error everywhere and no chapter silently falls back to another scale's sizes."""
    canonical = normalize_scale(scale)
    if canonical not in sizes:
        raise CharlabError(f"this chapter defines no sizes for scale {canonical!r} (it has {', '.join(sizes)})")
    return sizes[canonical]


def get_preset(name: str) -> TrainConfig:
    """The TrainConfig of a preset such as `cpu` or `pg-blog`."""
    name = SCALE_ALIASES.get(name, name)  # `gpu` is `blog`, as a scale and as a preset
    if name in _GENERIC:
        return TrainConfig(**_GENERIC[name])
    exp, _, scale = name.rpartition("-")
    if exp in _EXPERIMENTS and SCALE_ALIASES.get(scale, scale) in SCALES:
        scale = normalize_scale(scale)
        return TrainConfig(**{**_GENERIC[scale], **_EXPERIMENTS[exp].get(scale, {})})
    raise CharlabError(
        f"unknown preset {name!r}{did_you_mean(name, preset_names())}; "
        f"choose from {', '.join(preset_names())}"
    )


def preset_for(experiment: str, scale: str) -> TrainConfig:
    return get_preset(f"{experiment}-{normalize_scale(scale)}")
