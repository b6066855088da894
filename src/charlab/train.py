"""The training loop: truncated BPTT over contiguous streams, periodic validation, safe checkpoints.

What a run directory holds, and when a finished run is reused instead of trained, is `charlab.runs`; where the
model runs and in what precision, `charlab.device`; signals and torchrun's ranks, `charlab.process`. Everything
needed to continue is in the checkpoint (weights, optimizer moments, the carried hidden state, RNG state,
position), so on CPU with a seed an interrupted-and-resumed run reproduces the losses of an uninterrupted one.
Ctrl-C is deferred to the end of the current iteration, a checkpoint is written, then training stops; a
non-finite loss stops training before anything is saved, so the last good checkpoint survives.

Under `torchrun --nproc_per_node N -m charlab train ...` the same loop runs data-parallel
(`DistributedDataParallel`, gloo on CPU, NCCL on GPU): `batch_size` stays the global batch, each rank reads its
own batch_size / N of the contiguous streams, gradients are averaged, and the ranks agree every iteration on the
loss, the clock and whether to stop. Rank 0 alone evaluates, writes metrics, checkpoints (with every rank's part
of the carried state gathered, so the checkpoint is the one a single process would write) and the progress bar.
"""

from __future__ import annotations

import hashlib
import math
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel
from tqdm.auto import tqdm

from .batching import StreamBatcher, reset_rows, split_ids
from .callbacks import Callback
from .checkpoint import (
    BEST,
    LAST,
    Checkpoint,
    check_resumable,
    load_checkpoint,
    restore_hidden,
    restore_optimizer,
    restore_rng,
    save_checkpoint,
)
from .config import TrainConfig
from .device import PRECISION_NAMES, check_training_fits, resolve_device, resolve_precision
from .errors import CharlabError, TrainingInterrupted
from .evaluate import score_ids
from .model import CharRNN, CharTransformer, ModelConfig, State, build, detach_state, zero_rows
from .process import Ranks, deferred_stop
from .provenance import device_description
from .runs import append_metrics, prepare, run_key, start_run_files, write_manifest
from .text import Vocab, read_text
from .threads import thread_policy
from .units import bits

DIVERGED_FACTOR = 3.0  # losses above 3 x ln V: an untrained model scores ln V, and training only goes down from there


@dataclass
class TrainResult:
    run_dir: Path
    iters: int
    epoch: float
    best_val_loss: float
    metrics: list[dict[str, Any]] = field(default_factory=list)
    stopped_by: str = "max_iters"


def model_config(config: TrainConfig, vocab_size: int) -> ModelConfig:
    """The model part of a training config, for a vocabulary of `vocab_size` characters."""
    return ModelConfig(vocab_size=vocab_size, cell=config.cell, hidden_size=config.hidden_size,
                       num_layers=config.num_layers, dropout=config.dropout, embedding_dim=config.embedding_dim,
                       heads=config.heads, window=config.window)


def build_model(config: TrainConfig, vocab_size: int) -> CharRNN | CharTransformer:
    """The model `config` describes (a CharRNN, or a CharTransformer for cell "transformer")."""
    return build(model_config(config, vocab_size))


def build_optimizer(model: CharRNN, config: TrainConfig) -> torch.optim.Optimizer:
    """Adam (decoupled weight decay), or char-rnn's RMSProp (decay 0.95, epsilon 1e-8)."""
    params = model.parameters()
    if config.optimizer == "adam":
        return torch.optim.AdamW(params, lr=config.lr, weight_decay=config.weight_decay)
    return torch.optim.RMSprop(params, lr=config.lr, alpha=0.95, eps=1e-8, weight_decay=config.weight_decay)


def forward_loss(model: CharRNN, x: torch.Tensor, y: torch.Tensor, state: State | None,
                 dtype: torch.dtype = torch.float32) -> tuple[torch.Tensor, State]:
    """Mean cross-entropy of predicting `y` from `x` (both batch x time), and the state after the chunk. With
    `dtype` bf16 the forward pass runs under autocast (weights stay fp32; matrix products in bf16) and the loss is
    computed in fp32."""
    with torch.autocast(x.device.type, dtype=dtype, enabled=dtype != torch.float32):
        logits, state = model(x, state)
    return F.cross_entropy(logits.float().reshape(-1, logits.shape[-1]), y.reshape(-1)), state


def update(model: CharRNN, optimizer: torch.optim.Optimizer, loss: torch.Tensor, config: TrainConfig) -> None:
    """One optimizer step on `loss`: backward, char-rnn's element-wise clamp and/or a global-norm clip, step."""
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    if config.grad_clamp > 0:
        for p in model.parameters():
            p.grad.clamp_(-config.grad_clamp, config.grad_clamp)
    if config.grad_clip > 0:
        torch.nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
    optimizer.step()


class Trainer:
    def __init__(
        self,
        data_path: str | Path,
        config: TrainConfig | None,
        run_dir: str | Path,
        resume: bool = False,
        callbacks: tuple[Callback, ...] | list[Callback] = (),
        progress: bool = True,
        overrides: dict[str, Any] | None = None,
        force: bool = False,
        why_not_reused: str = "",
    ):
        """Start a run with `config`, or with `resume` continue the run in `run_dir` with its saved config plus
        `overrides` (e.g. a larger max_iters). A directory that already holds a run is refused unless `resume`,
        or `force` (which deletes its files and starts over): `charlab.runs.prepare`."""
        self.run_dir, self.data_path = Path(run_dir), Path(data_path)
        self.callbacks, self.progress = list(callbacks), progress
        ckpt = load_checkpoint(self.run_dir, prefer=LAST) if resume else None
        if ckpt is not None:
            _say_where_it_resumes(ckpt)
        self.config = self._config(config, ckpt, overrides or {}, force, why_not_reused)
        self._load_data(ckpt)
        self.ranks = Ranks(resolve_device(self.config.device))
        self.device, self.rank, self.world = self.ranks.device, self.ranks.rank, self.ranks.world
        if self.config.batch_size % self.world:
            raise CharlabError(f"--batch-size {self.config.batch_size} cannot be shared by {self.world} processes: "
                               f"use a multiple of {self.world}")
        self.local_batch, self.streams = self.config.batch_size // self.world, self.ranks.rows(self.config.batch_size)
        self.dtype = resolve_precision(self.config.precision, self.device)
        torch.manual_seed(self.config.seed)
        if not ckpt:
            c = self.config
            check_training_fits(model_config(c, len(self.vocab)), c.optimizer, c.batch_size, c.seq_len, self.device)
        model = ckpt.model if ckpt else build(model_config(self.config, len(self.vocab)))
        self.model = model.to(self.device)
        # the module the training step runs: DDP averages the gradients across ranks during backward
        self.net = self.model if self.world == 1 else DistributedDataParallel(
            self.model, device_ids=[self.device.index] if self.device.type == "cuda" else None)
        self.optimizer = build_optimizer(self.model, self.config)
        self.iter, self.elapsed_before, self.best_val = 0, 0.0, math.inf
        self.metrics: list[dict[str, Any]] = []
        self.hidden: State | None = None
        if ckpt:
            self._restore(ckpt)
        self.train_losses: list[float] = []
        self._t0 = time.perf_counter()
        self._clock = self.elapsed_before  # with several ranks, the time they agreed on at the last iteration

    def _config(self, config: TrainConfig | None, ckpt: Checkpoint | None, overrides: dict[str, Any],
                force: bool, why_not_reused: str) -> TrainConfig:
        if ckpt:
            check_resumable(ckpt, self.run_dir)
            config = TrainConfig.from_dict(ckpt.meta["train_config"]).resumed_with(**overrides)
            it, epoch = ckpt.meta["iter"], ckpt.meta["epoch"]
            finished = config.max_iters <= it if config.max_iters else config.max_epochs <= epoch
            if finished:
                limit = f"--max-iters {config.max_iters}" if config.max_iters else f"--max-epochs {config.max_epochs:g}"
                raise CharlabError(f"the run in {self.run_dir} is at iteration {it} (epoch {epoch:.2f}) and {limit} "
                                   "is not beyond it: nothing to train; ask for more to continue it")
            return config
        if config is None:
            raise CharlabError("a training config (preset) is needed to start a new run")
        prepare(self.run_dir, force, why_not_reused)
        return config.with_overrides(**overrides)

    def _load_data(self, ckpt: Checkpoint | None) -> None:
        """Read the text, check it is the run's own on resume, and lay out the training and validation splits."""
        c = self.config
        text = read_text(self.data_path, encoding_errors=c.encoding_errors, byte_level=c.byte_level)
        self.data_sha256 = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
        if ckpt and ckpt.meta.get("data_sha256") != self.data_sha256:
            raise CharlabError(
                f"{self.data_path} is not the text this run was trained on; resume with the same file"
            )
        self.vocab = ckpt.vocab if ckpt else Vocab.from_text(text, c.byte_level)
        splits = split_ids(self.vocab.encode(text), c.val_frac, c.test_frac)
        self.train_data = StreamBatcher(splits["train"], c.batch_size, c.seq_len, name="training split")
        self.val_ids, self.val_context = splits["val"], splits["train"]
        self.total_iters = c.max_iters or math.ceil(c.max_epochs * len(self.train_data))

    def _restore(self, ckpt: Checkpoint) -> None:
        """Continue exactly where the checkpoint stopped: optimizer moments, RNG, carried state, position."""
        restore_optimizer(ckpt, self.optimizer)
        for group in self.optimizer.param_groups:  # the saved groups hold the old value; --resume may change it
            group["weight_decay"] = self.config.weight_decay
        restore_rng(ckpt)
        self.hidden = self.ranks.my_rows(restore_hidden(ckpt, self.device), self.config.batch_size)
        m = ckpt.meta
        self.iter, self.elapsed_before = m["iter"], m["elapsed_s"]
        self.best_val, self.metrics = m.get("best_val_loss", math.inf), m.get("metrics", [])

    # -- pieces of the loop ------------------------------------------------------------------------------------

    def lr_at(self, it: int) -> float:
        return self.config.lr_at(it, len(self.train_data), self.total_iters, self.elapsed())

    @property
    def epoch(self) -> float:
        return self.iter / len(self.train_data)

    def elapsed(self) -> float:
        if self.world > 1:  # every rank must see the same time, or their learning rates and stops would differ
            return self._clock
        return self.elapsed_before + time.perf_counter() - self._t0

    def _agree(self, stop: bool) -> tuple[bool, bool]:
        """Whether any rank was asked to stop, and whether time has run out (by the latest clock of all ranks)."""
        stop, self._clock = self.ranks.agree(stop, self.elapsed_before + time.perf_counter() - self._t0)
        return stop, bool(self.config.max_time_s and self.elapsed() >= self.config.max_time_s)

    def train_step(self) -> float:
        c = self.config
        chunk = self.iter % len(self.train_data)
        if chunk == 0 or self.hidden is None:
            self.hidden = self.model.init_state(self.local_batch, self.device)  # a new epoch starts a new stream
        else:
            self.hidden = zero_rows(self.hidden, reset_rows(chunk, c.state_reset_every, c.batch_size)[self.streams])
        x, y = (t[self.streams].to(self.device, non_blocking=True) for t in self.train_data.chunk(chunk))
        for group in self.optimizer.param_groups:
            group["lr"] = self.lr_at(self.iter)
        loss, hidden = forward_loss(self.net, x, y, self.hidden, self.dtype)
        value = self.ranks.mean(loss.item())
        self._check_diverged(value, f"iteration {self.iter + 1}")
        update(self.model, self.optimizer, loss, c)
        self.hidden = detach_state(hidden, torch.float32)  # carried (and checkpointed) in fp32 at any precision
        self.iter += 1
        return value

    def divergence_limit(self) -> float:
        """A loss this far above ln V (a uniform guess, where training starts) means training diverged."""
        return DIVERGED_FACTOR * math.log(len(self.vocab))

    def _check_diverged(self, value: float, where: str) -> None:
        """Stop before anything is saved when a loss is not finite or far above ln V: the last checkpoint on disk
        is then the last good one."""
        if math.isfinite(value) and value <= self.divergence_limit():
            return
        what = f"became {value}" if not math.isfinite(value) else (
            f"diverged to {value:.4g} nats/char (above {self.divergence_limit():.2f}, {DIVERGED_FACTOR:g} x ln V)")
        raise CharlabError(
            f"loss {what} at {where}; training stopped. The last good checkpoint is {self.run_dir / LAST}; "
            "try a lower --lr or --grad-clip"
        )

    def evaluate(self) -> float:
        """Validation loss (`charlab.evaluate.score_ids`, read after the training split), over the whole split or,
        with `eval_max_chunks`, over about eval_max_chunks x batch_size x seq_len of its characters spread evenly
        across it; NaN without a validation split."""
        c = self.config
        if len(self.val_ids) < 1:
            return math.nan
        if self.rank != 0:  # the ranks hold the same weights: rank 0 scores, the others wait for its number
            return self.ranks.from_lead(0.0)
        return self.ranks.from_lead(score_ids(self.model, self.val_ids, self.val_context,
                                          max_chars=c.eval_max_chunks * c.batch_size * c.seq_len))

    def _meta(self) -> dict[str, Any]:
        return {
            "train_config": self.config.to_dict(),
            "iter": self.iter,
            "epoch": self.epoch,
            "elapsed_s": self.elapsed(),
            "best_val_loss": self.best_val,
            "metrics": self.metrics,
            "data_path": str(self.data_path),
            "data_sha256": self.data_sha256,
            "world_size": self.world,
        }

    def save(self, name: str = LAST) -> Path:
        """Write a checkpoint (rank 0; every rank calls this, to gather the carried state)."""
        hidden = self.ranks.gather(self.hidden)
        if self.rank != 0:
            return self.run_dir / name
        return save_checkpoint(self.run_dir / name, self.model, self.vocab, self._meta(), self.optimizer, hidden)

    def _record_eval(self, recent_losses: list[float], chars: int, train_seconds: float) -> dict[str, Any]:
        val = self.evaluate()
        if len(self.val_ids) >= 1:
            self._check_diverged(val, f"the evaluation after iteration {self.iter}")
        record = {
            "iter": self.iter,
            "epoch": round(self.epoch, 4),
            "elapsed_s": round(self.elapsed(), 3),
            "train_loss": sum(recent_losses) / len(recent_losses) if recent_losses else None,
            "val_loss": val,
            "val_bpc": bits(val),
            "chars_per_s": chars / train_seconds if train_seconds else None,
            "lr": self.lr_at(max(0, self.iter - 1)),
            "threads": torch.get_num_threads(),
        }
        self.metrics.append(record)
        if self.rank == 0:
            append_metrics(self.run_dir, record)
        if val < self.best_val:
            self.best_val = val
            self.save(BEST)
        self.save(LAST)
        for cb in self.callbacks if self.rank == 0 else ():
            cb.on_eval(self, record)
        return record

    # -- the loop -----------------------------------------------------------------------------------------------

    def train(self) -> TrainResult:
        c = self.config
        lead = self.rank == 0  # the one process that writes files, prints and runs callbacks
        if lead:
            self._write_run_files()
        self._t0 = time.perf_counter()
        self.model.train()
        callbacks = self.callbacks if lead else []
        if lead and self.no_validation_note():
            print(f"charlab: note: {self.no_validation_note()}", file=sys.stderr)
        for cb in callbacks:
            cb.on_train_start(self)
        if self.iter == 0:
            self._record_eval([], 0, 0.0)  # the untrained model: val loss near ln(vocab size)
        stop = {"stop": False}
        chars_per_iter = c.batch_size * c.seq_len
        recent, t_train, n_since = [], 0.0, 0
        stopped_by = "max_iters"
        bar = tqdm(
            total=self.total_iters,
            initial=self.iter,
            disable=not self.progress or not lead,
            unit="it",
            desc=f"train {self.run_dir.name}",
            dynamic_ncols=True,
        )
        with deferred_stop(stop), bar, thread_policy(c.threads, self.device) as tuner:
            while self.iter < self.total_iters:
                t = time.perf_counter()
                loss = self.train_step()
                t_train += time.perf_counter() - t
                if tuner:
                    tuner.observe(time.perf_counter() - t)
                n_since += 1
                recent.append(loss)
                self.train_losses.append(loss)
                bar.update(1)
                bar.set_postfix(
                    loss=f"{loss:.3f}", chars_s=f"{chars_per_iter * n_since / t_train:,.0f}", refresh=False
                )
                for cb in callbacks:
                    cb.on_iter_end(self, loss)
                stopping, out_of_time = self._agree(stop["stop"])
                if stopping:
                    path = self.save(LAST)
                    raise TrainingInterrupted(
                        f"interrupted at iteration {self.iter}; checkpoint saved to {path}; "
                        "continue with --resume"
                    )
                if self.iter % c.eval_interval == 0 or self.iter == self.total_iters or out_of_time:
                    rec = self._record_eval(recent, chars_per_iter * n_since, t_train)
                    if lead:
                        bar.write(
                            f"iter {rec['iter']:>6}  epoch {rec['epoch']:.2f}  train {rec['train_loss']:.4f}  "
                            f"{self._val_text(rec)}  {rec['elapsed_s']:.0f}s"
                        )
                    recent, t_train, n_since = [], 0.0, 0
                if out_of_time:
                    stopped_by = "max_time_s"
                    break
        for cb in callbacks:
            cb.on_train_end(self)
        if lead:
            self._write_manifest(stopped_by)
        return TrainResult(self.run_dir, self.iter, self.epoch, self.best_val, self.metrics, stopped_by)

    def _val_text(self, rec: dict[str, Any]) -> str:
        if math.isnan(rec["val_loss"]):
            return "val – (no validation split)"
        return f"val {rec['val_loss']:.4f} ({rec['val_bpc']:.3f} bpc)"

    def no_validation_note(self) -> str:
        """Why there is no validation split, or "" when there is one."""
        if len(self.val_ids) >= 1:
            return ""
        c, n = self.config, len(self.val_ids) + len(self.val_context)
        return (f"no validation split: {n:,} character(s) x val_frac {c.val_frac:g} rounds to none, so the loss is "
                f"not validated and no best.safetensors is written; give a longer text (or a larger --val-frac)")

    def _write_run_files(self) -> None:
        start_run_files(self.run_dir, self.metrics, train_config=self.config.to_dict(),
                        data_path=str(self.data_path), data_sha256=self.data_sha256,
                        parameters=self.model.num_parameters(), device=str(self.device),
                        precision=PRECISION_NAMES[self.dtype], world_size=self.world)

    def _write_manifest(self, stopped_by: str) -> None:
        write_manifest(self.run_dir, run_key(self.data_path, self.config), train_s=round(self.elapsed(), 1),
                       device=device_description(self.device), precision=PRECISION_NAMES[self.dtype],
                       world_size=self.world, torch=torch.__version__, iters=self.iter, epoch=self.epoch,
                       best_val_loss=self.best_val, stopped_by=stopped_by)


def train(
    data_path: str | Path,
    config: TrainConfig | None,
    run_dir: str | Path,
    resume: bool = False,
    callbacks: tuple[Callback, ...] | list[Callback] = (),
    progress: bool = True,
    overrides: dict[str, Any] | None = None,
    force: bool = False,
    why_not_reused: str = "",
) -> TrainResult:
    """Train (or continue) a model on a text file; see `Trainer`. Under torchrun, every rank calls this. (To reuse
    a finished run of the same key instead, call `charlab.runs.train_or_reuse`.)"""
    trainer = Trainer(data_path, config, run_dir, resume, callbacks, progress, overrides, force, why_not_reused)
    try:
        return trainer.train()
    finally:
        trainer.ranks.close()


def _say_where_it_resumes(ckpt: Checkpoint) -> None:
    """When `last.safetensors` could not be loaded and a resumed run goes back to `best.safetensors`, one line on
    stderr says so and from which iteration it continues (the progress bar starts there too)."""
    if ckpt.note and int(os.environ.get("RANK", "0")) == 0:
        print(f"charlab: note: {ckpt.note}: resuming from iteration {ckpt.meta.get('iter')}", file=sys.stderr)
