"""Every training hyperparameter in one flat dataclass, so a preset is a dict and any field is a CLI flag."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from .errors import CharlabError, did_you_mean


@dataclass(frozen=True)
class TrainConfig:
    # model
    cell: str = "lstm"
    hidden_size: int = 128
    num_layers: int = 2
    dropout: float = 0.0
    embedding_dim: int = 0  # 0 = one-hot input (char-rnn)
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
    # duration and bookkeeping
    max_iters: int = 0  # 0 = run max_epochs
    max_epochs: float = 50.0
    max_time_s: float = 0.0  # stop after this much wall time; 0 = no limit
    eval_interval: int = 500
    eval_max_chunks: int = 0  # 0 = the whole validation split
    seed: int = 1337
    device: str = "auto"  # auto | cpu | cuda

    def __post_init__(self) -> None:
        if self.optimizer not in ("adam", "rmsprop"):
            raise CharlabError(f"unknown optimizer {self.optimizer!r}; use adam or rmsprop")
        if self.lr_schedule not in ("charrnn", "cosine", "constant"):
            raise CharlabError(f"unknown lr_schedule {self.lr_schedule!r}; use charrnn, cosine or constant")
        if self.device not in ("auto", "cpu", "cuda") and not self.device.startswith("cuda:"):
            raise CharlabError(f"unknown device {self.device!r}; use auto, cpu or cuda")
        if self.eval_interval < 1:
            raise CharlabError("eval_interval must be >= 1")
        if self.max_iters < 0 or self.max_epochs <= 0:
            raise CharlabError("max_iters must be >= 0 and max_epochs > 0")

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
        return cls().with_overrides(**d)
