"""The training loop: truncated BPTT over contiguous streams, periodic validation, safe checkpoints.

A run directory holds `config.json`, `metrics.jsonl` (one line per evaluation), `last.safetensors` and
`best.safetensors`, and once training has finished `run.json`: what was trained (the config, the data's sha256, the
training code's sha256) and when, where and how long, so a later identical request can reuse the run.
Everything needed to continue is in the checkpoint (weights, optimizer moments, the carried hidden state, RNG
state, position), so on CPU with a seed an interrupted-and-resumed run reproduces the losses of an
uninterrupted one. Ctrl-C is deferred to the end of the current iteration, a checkpoint is written, then training
stops; a non-finite loss stops training before anything is saved, so the last good checkpoint survives.

Under `torchrun --nproc_per_node N -m charlab train ...` the same loop runs data-parallel
(`DistributedDataParallel`, gloo on CPU, NCCL on GPU): `batch_size` stays the global batch, each rank reads its
own batch_size / N of the contiguous streams, gradients are averaged, and the ranks agree every iteration on the
loss, the clock and whether to stop. Rank 0 alone evaluates, writes metrics, checkpoints (with every rank's part
of the carried state gathered, so the checkpoint is the one a single process would write) and the progress bar.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import signal
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel
from tqdm.auto import tqdm

from .batching import StreamBatcher, split_ids
from .callbacks import Callback
from .checkpoint import (
    BEST,
    LAST,
    Checkpoint,
    load_checkpoint,
    restore_hidden,
    restore_optimizer,
    restore_rng,
    save_checkpoint,
)
from .config import TrainConfig, check_device, to_json
from .errors import CharlabError
from .evaluate import score_ids
from .model import CharRNN, ModelConfig, State, detach_state
from .provenance import cpu_has_fast_bf16, device_description
from .text import Vocab, read_text
from .threads import thread_policy

LN2 = math.log(2)
MANIFEST = "run.json"  # written when training finishes: what was trained, and when, where and how long
RUN_FILES = ("config.json", "metrics.jsonl", "samples.jsonl", LAST, BEST, MANIFEST)  # what a run directory holds
# The modules whose code decides what a run learns: a finished run is reused only while none of them has changed.
TRAINING_CODE = ("batching.py", "checkpoint.py", "config.py", "evaluate.py", "model.py", "text.py", "train.py")
DIVERGED_FACTOR = 3.0  # losses above 3 x ln V: an untrained model scores ln V, and training only goes down from there


class TrainingInterrupted(CharlabError):
    """Ctrl-C arrived; a checkpoint was written first."""


@dataclass
class TrainResult:
    run_dir: Path
    iters: int
    epoch: float
    best_val_loss: float
    metrics: list[dict[str, Any]] = field(default_factory=list)
    stopped_by: str = "max_iters"


def resolve_device(name: str) -> torch.device:
    check_device(name)
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise CharlabError("--device cuda was asked for, but PyTorch sees no CUDA GPU here; use --device cpu")
    return torch.device(name)


def training_code_sha256() -> str:
    """One hash over the source of every module in TRAINING_CODE."""
    h = hashlib.sha256()
    for name in TRAINING_CODE:
        h.update((Path(__file__).parent / name).read_bytes())
    return h.hexdigest()


def run_key(data_path: str | Path, config: TrainConfig) -> dict[str, Any]:
    """What decides a run's result: the full config (preset plus overrides), the data file's bytes and the
    training code. Two requests with the same key would train the same model."""
    with open(data_path, "rb") as f:
        data_sha256 = hashlib.file_digest(f, "sha256").hexdigest()
    return {"train_config": config.to_dict(), "data_sha256": data_sha256, "code_sha256": training_code_sha256()}


def finished_run(run_dir: str | Path, key: dict[str, Any]) -> dict[str, Any] | None:
    """The manifest of the finished run in `run_dir` if it was trained with exactly `key`, else None (no run, an
    unfinished or interrupted one, another config, other data, changed training code, a missing checkpoint)."""
    run_dir = Path(run_dir)
    try:
        manifest = json.loads((run_dir / MANIFEST).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(manifest, dict) or manifest.get("key") != json.loads(to_json(key)):
        return None
    return manifest if (run_dir / LAST).is_file() and (run_dir / BEST).is_file() else None


def resolve_precision(name: str, device: torch.device) -> torch.dtype:
    """The dtype of the autocast region (the forward pass): bf16 for `bf16`, and for `auto` where the hardware
    runs bf16 matrix products fast (a GPU that supports it, a CPU with AVX512-BF16 or AMX); fp32 otherwise."""
    if name == "auto":
        fast = torch.cuda.is_bf16_supported() if device.type == "cuda" else cpu_has_fast_bf16()
        return torch.bfloat16 if fast else torch.float32
    return torch.bfloat16 if name == "bf16" else torch.float32


PRECISION_NAMES = {torch.float32: "fp32", torch.bfloat16: "bf16"}


# What a user, a scheduler, `docker stop` or a closed terminal sends: each stops training like Ctrl-C.
STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))


@contextlib.contextmanager
def deferred_stop(flag: dict[str, bool]):
    """Turn the first SIGINT, SIGTERM or SIGHUP into a flag checked between iterations, so a checkpoint is written
    before the process ends; a second one interrupts at once."""
    try:
        previous = {sig: signal.getsignal(sig) for sig in STOP_SIGNALS}

        def handler(signum, frame):
            if flag["stop"]:
                for sig, old in previous.items():
                    signal.signal(sig, old)
                raise KeyboardInterrupt
            flag["stop"] = True

        for sig in STOP_SIGNALS:
            signal.signal(sig, handler)
    except ValueError:  # not in the main thread: no signal can reach us anyway
        yield
        return
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def build_model(config: TrainConfig, vocab_size: int) -> CharRNN:
    """The CharRNN that `config` describes, for a vocabulary of `vocab_size` characters."""
    return CharRNN(ModelConfig(vocab_size=vocab_size, cell=config.cell, hidden_size=config.hidden_size,
                               num_layers=config.num_layers, dropout=config.dropout,
                               embedding_dim=config.embedding_dim))


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
    ):
        """Start a run with `config`, or with `resume` continue the run in `run_dir` with its saved config plus
        `overrides` (e.g. a larger max_iters). A directory that already holds run files is refused unless
        `resume`, or `force` (which deletes them and starts over)."""
        self.run_dir, self.data_path = Path(run_dir), Path(data_path)
        self.callbacks, self.progress = list(callbacks), progress
        ckpt = load_checkpoint(self.run_dir, prefer=LAST) if resume else None
        self.config = self._config(config, ckpt, overrides or {}, force)
        self._load_data(ckpt)
        self.device = resolve_device(self.config.device)
        self.rank, self.world, self._own_group = _join_process_group(self.device)
        if self.world > 1 and self.device.type == "cuda":
            self.device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
            torch.cuda.set_device(self.device)
        self.local_batch = self._local_batch()
        self.dtype = resolve_precision(self.config.precision, self.device)
        torch.manual_seed(self.config.seed)
        model = ckpt.model if ckpt else build_model(self.config, len(self.vocab))
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

    def _local_batch(self) -> int:
        """This rank's share of the batch's streams (all of them in one process)."""
        c = self.config
        if c.batch_size % self.world:
            raise CharlabError(f"--batch-size {c.batch_size} cannot be shared by {self.world} processes: "
                               f"use a multiple of {self.world}")
        return c.batch_size // self.world

    @property
    def streams(self) -> slice:
        """The rows of the batch (the contiguous streams) this rank reads."""
        return slice(self.rank * self.local_batch, (self.rank + 1) * self.local_batch)

    def _config(self, config: TrainConfig | None, ckpt: Checkpoint | None, overrides: dict[str, Any],
                force: bool) -> TrainConfig:
        if ckpt:
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
        if self.run_dir.exists() and not self.run_dir.is_dir():
            raise CharlabError(f"{self.run_dir} is a file; --out needs a directory for the run")
        if self.run_dir.is_symlink() and not self.run_dir.exists():
            raise CharlabError(f"{self.run_dir} is a symbolic link that leads nowhere (broken, or a loop); --out needs "
                               "a directory for the run")
        present = [name for name in RUN_FILES if (self.run_dir / name).exists()]
        if present and not force:
            raise CharlabError(
                f"{self.run_dir} already holds a run ({', '.join(present)}); pass --resume to continue it, "
                "--force to start over and replace it, or choose another --out"
            )
        for name in present:  # --force: start over, so old metrics and samples do not mix with the new run's
            (self.run_dir / name).unlink(missing_ok=True)  # (under torchrun every rank does this)
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
        self.hidden = self._my_rows(restore_hidden(ckpt, self.device))
        m = ckpt.meta
        self.iter, self.elapsed_before = m["iter"], m["elapsed_s"]
        self.best_val, self.metrics = m.get("best_val_loss", math.inf), m.get("metrics", [])

    # -- pieces of the loop ------------------------------------------------------------------------------------

    def lr_at(self, it: int) -> float:
        c = self.config
        if it < c.warmup_iters:
            return c.lr * (it + 1) / c.warmup_iters
        if c.lr_schedule == "charrnn":
            epochs_done = it // len(self.train_data)
            return c.lr * c.lr_decay ** max(0, epochs_done - c.lr_decay_after + 1)
        if c.lr_schedule == "cosine":
            progress = (it - c.warmup_iters) / max(1, self.total_iters - c.warmup_iters)
            if c.max_time_s:  # under a wall-time budget, anneal over whichever budget runs out first
                progress = max(progress, self.elapsed() / c.max_time_s)
            progress = min(1.0, progress)
            return c.lr * (c.min_lr_frac + (1 - c.min_lr_frac) * 0.5 * (1 + math.cos(math.pi * progress)))
        return c.lr

    @property
    def epoch(self) -> float:
        return self.iter / len(self.train_data)

    def elapsed(self) -> float:
        if self.world > 1:  # every rank must see the same time, or their learning rates and stops would differ
            return self._clock
        return self.elapsed_before + time.perf_counter() - self._t0

    # -- agreeing across ranks (each is a no-op in one process) -------------------------------------------------

    def _my_rows(self, state: State | None) -> State | None:
        """This rank's streams of a state for the whole batch (layers x batch x hidden)."""
        if state is None or self.world == 1:
            return state
        return tuple(s[:, self.streams] for s in state) if isinstance(state, tuple) else state[:, self.streams]

    def _full_state(self) -> State | None:
        """The carried state of the whole batch, every rank's streams gathered in order (all ranks call this)."""
        if self.world == 1 or self.hidden is None:
            return self.hidden

        def gather(t: torch.Tensor) -> torch.Tensor:
            parts = [torch.empty_like(t) for _ in range(self.world)]
            dist.all_gather(parts, t.contiguous())
            return torch.cat(parts, dim=1)

        return tuple(gather(s) for s in self.hidden) if isinstance(self.hidden, tuple) else gather(self.hidden)

    def _mean(self, value: float) -> float:
        """The mean of `value` over the ranks: the loss of the whole batch."""
        if self.world == 1:
            return value
        t = torch.tensor([value], dtype=torch.float64, device=self.device)
        dist.all_reduce(t)
        return t.item() / self.world

    def _from_rank0(self, value: float) -> float:
        if self.world == 1:
            return value
        t = torch.tensor([value], dtype=torch.float64, device=self.device)
        dist.broadcast(t, 0)
        return t.item()

    def _agree(self, stop: bool, out_of_time: bool) -> tuple[bool, bool]:
        """Whether any rank was asked to stop or ran out of time, and (with several ranks) the latest clock."""
        if self.world == 1:
            return stop, out_of_time
        now = self.elapsed_before + time.perf_counter() - self._t0
        t = torch.tensor([float(stop), now], dtype=torch.float64, device=self.device)
        dist.all_reduce(t, op=dist.ReduceOp.MAX)
        self._clock = t[1].item()
        c = self.config
        return t[0].item() > 0, bool(c.max_time_s and self._clock >= c.max_time_s)

    def train_step(self) -> float:
        c = self.config
        chunk = self.iter % len(self.train_data)
        if chunk == 0 or self.hidden is None:
            self.hidden = self.model.init_state(self.local_batch, self.device)  # a new epoch starts a new stream
        x, y = (t[self.streams].to(self.device, non_blocking=True) for t in self.train_data.chunk(chunk))
        for group in self.optimizer.param_groups:
            group["lr"] = self.lr_at(self.iter)
        loss, hidden = forward_loss(self.net, x, y, self.hidden, self.dtype)
        value = self._mean(loss.item())
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
            return self._from_rank0(0.0)
        return self._from_rank0(score_ids(self.model, self.val_ids, self.val_context,
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
        hidden = self._full_state()
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
            "val_bpc": val / LN2,
            "chars_per_s": chars / train_seconds if train_seconds else None,
            "lr": self.lr_at(max(0, self.iter - 1)),
            "threads": torch.get_num_threads(),
        }
        self.metrics.append(record)
        if self.rank == 0:
            with open(self.run_dir / "metrics.jsonl", "a") as f:
                f.write(to_json(record) + "\n")
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
                stopping, out_of_time = self._agree(
                    stop["stop"], bool(c.max_time_s and self.elapsed() >= c.max_time_s))
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
                            f"val {rec['val_loss']:.4f} ({rec['val_bpc']:.3f} bpc)  {rec['elapsed_s']:.0f}s"
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

    def _write_run_files(self) -> None:
        """config.json, and metrics.jsonl as the checkpoint knows it (a resumed run never shows stale lines);
        the manifest goes until this training finishes, so the run is not taken for a finished one meanwhile."""
        self.run_dir.mkdir(parents=True, exist_ok=True)
        run = {"train_config": self.config.to_dict(), "data_path": str(self.data_path),
               "data_sha256": self.data_sha256, "parameters": self.model.num_parameters(),
               "device": str(self.device), "precision": PRECISION_NAMES[self.dtype], "world_size": self.world}
        (self.run_dir / "config.json").write_text(to_json(run, indent=2))
        (self.run_dir / MANIFEST).unlink(missing_ok=True)
        (self.run_dir / "metrics.jsonl").write_text("".join(to_json(r) + "\n" for r in self.metrics))

    def _write_manifest(self, stopped_by: str) -> None:
        manifest = {
            "key": run_key(self.data_path, self.config),
            "finished_utc": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "train_s": round(self.elapsed(), 1),
            "device": device_description(self.device),
            "precision": PRECISION_NAMES[self.dtype],
            "world_size": self.world,
            "torch": torch.__version__,
            "iters": self.iter,
            "epoch": self.epoch,
            "best_val_loss": self.best_val,
            "stopped_by": stopped_by,
        }
        tmp = self.run_dir / (MANIFEST + ".tmp")
        tmp.write_text(to_json(manifest, indent=2))
        tmp.replace(self.run_dir / MANIFEST)


def train(
    data_path: str | Path,
    config: TrainConfig | None,
    run_dir: str | Path,
    resume: bool = False,
    callbacks: tuple[Callback, ...] | list[Callback] = (),
    progress: bool = True,
    overrides: dict[str, Any] | None = None,
    force: bool = False,
) -> TrainResult:
    """Train (or continue) a model on a text file; see `Trainer`. Under torchrun, every rank calls this."""
    trainer = Trainer(data_path, config, run_dir, resume, callbacks, progress, overrides, force)
    try:
        return trainer.train()
    finally:
        if trainer._own_group:
            dist.destroy_process_group()


def _join_process_group(device: torch.device) -> tuple[int, int, bool]:
    """(rank, world size, whether this call created the process group): under torchrun (WORLD_SIZE > 1) join
    the group, gloo on CPU and NCCL on GPU; in one process (0, 1, False)."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world == 1:
        return 0, 1, False
    created = not dist.is_initialized()
    if created:
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return dist.get_rank(), dist.get_world_size(), created


def load_metrics(run_dir: str | Path) -> list[dict[str, Any]]:
    path = Path(run_dir) / "metrics.jsonl"
    return (
        [json.loads(line) for line in path.read_text().splitlines() if line.strip()] if path.exists() else []
    )
