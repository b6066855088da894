"""Every training hyperparameter in one flat dataclass, so a preset is a dict and any field is a CLI flag."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from .errors import CharlabError, did_you_mean


def _check_range(name: str, value: Any, low: float, high: float, low_open: bool) -> None:
    """One line for an option that is not a finite number in its range (checked when the config is made, so at
    the command line before anything runs)."""
    flag = "--" + name.replace("_", "-")
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise CharlabError(f"{flag} must be a finite number, got {value!r}")
    if value < low or value > high or (low_open and value == low):
        bound = f"{'above' if low_open else 'at least'} {low:g}" + (f" and at most {high:g}" if high < math.inf else "")
        raise CharlabError(f"{flag} must be {bound}, got {value:g}")


# (field, lowest, highest, lowest excluded): every numeric option and the range it must lie in
_RANGES = (
    ("hidden_size", 1, math.inf, False), ("num_layers", 1, math.inf, False), ("dropout", 0, 0.999, False),
    ("embedding_dim", 0, math.inf, False), ("batch_size", 1, math.inf, False), ("seq_len", 1, math.inf, False),
    ("val_frac", 0, 0.99, False), ("test_frac", 0, 0.99, False), ("lr", 0, math.inf, True),
    ("lr_decay", 0, 1, True), ("lr_decay_after", 0, math.inf, False), ("warmup_iters", 0, math.inf, False),
    ("min_lr_frac", 0, 1, False), ("weight_decay", 0, math.inf, False), ("grad_clip", 0, math.inf, False),
    ("grad_clamp", 0, math.inf, False), ("max_iters", 0, math.inf, False), ("max_epochs", 0, math.inf, True),
    ("max_time_s", 0, math.inf, False), ("eval_interval", 1, math.inf, False),
    ("eval_max_chunks", 0, math.inf, False), ("seed", 0, 2**63 - 1, False), ("threads", 0, 4096, False),
    ("state_reset_every", 0, math.inf, False), ("heads", 1, 1024, False), ("window", 1, 1 << 20, False),
)

# What `--resume` may change: how long and how fast the run goes on (applied, and recorded in config.json). Every
# other field would make it another run: the model's shape, the data and its splits, the optimizer whose moments and
# the seed whose RNG state the checkpoint carries. Each field is in one of the two (a test checks it).
RESUMABLE = frozenset({
    "lr", "lr_schedule", "lr_decay", "lr_decay_after", "warmup_iters", "min_lr_frac", "weight_decay", "grad_clip",
    "grad_clamp", "max_iters", "max_epochs", "max_time_s", "eval_interval", "eval_max_chunks", "device",
    "precision", "threads",
})
FIXED_ON_RESUME = frozenset({
    "cell", "hidden_size", "num_layers", "dropout", "embedding_dim", "batch_size", "seq_len", "val_frac",
    "test_frac", "encoding_errors", "byte_level", "optimizer", "seed", "state_reset_every", "heads", "window",
})


SAVED_BEFORE = {"state_reset_every": 0}  # a saved config without these fields was trained with these values


def check_device(name: str) -> None:
    """One line for a device charlab cannot use (`--device` of train, sample and eval)."""
    if name not in ("auto", "cpu", "cuda") and not name.startswith("cuda:"):
        raise CharlabError(f"unknown device {name!r}; use auto, cpu or cuda")


@dataclass(frozen=True)
class TrainConfig:
    # model
    cell: str = "lstm"
    hidden_size: int = 128
    num_layers: int = 2
    dropout: float = 0.0
    embedding_dim: int = 0  # 0 = one-hot input (char-rnn)
    heads: int = 4  # cell "transformer": attention heads (hidden_size a multiple of 2 x heads)
    window: int = 128  # cell "transformer": how many earlier characters each one attends to
    # data
    batch_size: int = 50
    seq_len: int = 50
    val_frac: float = 0.1
    test_frac: float = 0.0
    encoding_errors: str = "strict"
    byte_level: bool = False
    # optimisation
    optimizer: str = "adam"  # adam | rmsprop
    lr: float = 2e-3
    lr_schedule: str = "charrnn"  # charrnn (x lr_decay per epoch after lr_decay_after) | cosine | constant
    lr_decay: float = 0.97
    lr_decay_after: int = 10  # epochs
    warmup_iters: int = 0
    min_lr_frac: float = 0.1  # cosine decays to lr * min_lr_frac
    weight_decay: float = 0.0
    grad_clip: float = 0.0  # max global gradient norm; 0 = off
    grad_clamp: float = 5.0  # char-rnn's element-wise clamp to [-c, c]; 0 = off
    # Each stream's carried state is zeroed every this many chunks, staggered across the streams, so that every run,
    # however short, practises reading from the all-zero state that sampling and scoring start from. 0: only at an
    # epoch's start, as char-rnn (a run shorter than an epoch then met the zero state once, at its first update).
    state_reset_every: int = 16
    # duration and bookkeeping
    max_iters: int = 0  # 0 = run max_epochs
    max_epochs: float = 50.0
    max_time_s: float = 0.0  # stop after this much wall time; 0 = no limit
    eval_interval: int = 500
    eval_max_chunks: int = 0  # 0 = the whole validation split
    seed: int = 1337
    device: str = "auto"  # auto | cpu | cuda
    threads: int = 0  # CPU threads: 0 = adapt to other processes on the machine (charlab.threads), n = fixed
    precision: str = "fp32"  # fp32 | bf16 (mixed: bf16 matmuls, fp32 weights, optimizer and loss) | auto (bf16 if fast)

    def __post_init__(self) -> None:
        for name, low, high, low_open in _RANGES:
            _check_range(name, getattr(self, name), low, high, low_open)
        if self.val_frac + self.test_frac >= 1:
            raise CharlabError(f"val_frac + test_frac must be below 1, got {self.val_frac} + {self.test_frac}")
        if self.optimizer not in ("adam", "rmsprop"):
            raise CharlabError(f"unknown optimizer {self.optimizer!r}; use adam or rmsprop")
        if self.lr_schedule not in ("charrnn", "cosine", "constant"):
            raise CharlabError(f"unknown lr_schedule {self.lr_schedule!r}; use charrnn, cosine or constant")
        if self.precision not in ("auto", "fp32", "bf16"):
            raise CharlabError(f"unknown precision {self.precision!r}; use auto, fp32 or bf16")
        check_device(self.device)

    def with_overrides(self, **overrides: Any) -> TrainConfig:
        known = {f.name for f in fields(self)}
        for key in overrides:
            if key not in known:
                raise CharlabError(f"unknown training option {key!r}{did_you_mean(key, known)}")
        return replace(self, **overrides)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TrainConfig:
        """A saved config. One saved before a field existed gets the value that means what it was trained with:
        `state_reset_every` 0 (char-rnn's reset at an epoch's start only)."""
        return cls().with_overrides(**{**SAVED_BEFORE, **d})

    def lr_at(self, it: int, iters_per_epoch: int, total_iters: int, elapsed_s: float) -> float:
        """The learning rate of iteration `it`: linear warm-up, then char-rnn's x lr_decay per epoch after
        lr_decay_after, a cosine to lr * min_lr_frac (under a wall-time budget, over whichever budget runs out
        first), or constant."""
        if it < self.warmup_iters:
            return self.lr * (it + 1) / self.warmup_iters
        if self.lr_schedule == "charrnn":
            return self.lr * self.lr_decay ** max(0, it // iters_per_epoch - self.lr_decay_after + 1)
        if self.lr_schedule == "cosine":
            progress = (it - self.warmup_iters) / max(1, total_iters - self.warmup_iters)
            if self.max_time_s:
                progress = max(progress, elapsed_s / self.max_time_s)
            progress = min(1.0, progress)
            return self.lr * (self.min_lr_frac + (1 - self.min_lr_frac) * 0.5 * (1 + math.cos(math.pi * progress)))
        return self.lr

    def resumed_with(self, **overrides: Any) -> TrainConfig:
        """This (saved) config with the overrides `--resume` may apply; a change to any field outside RESUMABLE
        is refused, naming the field."""
        new = self.with_overrides(**overrides)
        for f in fields(self):
            old, value = getattr(self, f.name), getattr(new, f.name)
            if f.name not in RESUMABLE and value != old:
                raise CharlabError(f"--{f.name.replace('_', '-')} cannot change when a run is resumed (it is "
                                   f"{old!r}, asked {value!r}): that would be another run; start one with a new --out")
        return new


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def to_json(obj: Any, **kwargs: Any) -> str:
    """JSON text for run files (metrics.jsonl, config.json, samples.jsonl): NaN and infinities become null.
    Python's json module would write NaN and Infinity, which most JSON parsers reject."""
    return json.dumps(_finite(obj), allow_nan=False, **kwargs)
