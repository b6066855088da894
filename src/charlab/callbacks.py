"""Hooks into training: `Callback` and the two callbacks the chapters use.

`SampleEvery` samples the model every N iterations (the post's evolution experiment); `LossLog` keeps the loss
of every iteration (the trainer's metrics average it over each evaluation interval). Later chapters add their
recorders here (e.g. of hidden states), so the trainer stays one loop.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from .config import to_json
from .sampling import sample

if TYPE_CHECKING:
    from .train import Trainer


class Callback:
    """Hooks into training; override what you need."""

    def on_train_start(self, trainer: Trainer) -> None: ...
    def on_iter_end(self, trainer: Trainer, loss: float) -> None: ...
    def on_eval(self, trainer: Trainer, record: dict[str, Any]) -> None: ...
    def on_train_end(self, trainer: Trainer) -> None: ...


class SampleEvery(Callback):
    """Sample a fixed-length text at iteration 1 and every `every` iterations (the post's evolution experiment).

    Uses its own seeded generator and eval mode, so sampling does not change the training trajectory."""

    def __init__(
        self,
        every: int = 100,
        length: int = 200,
        temperature: float = 1.0,
        seed: int = 0,
        prime: str = "",
        first: bool = True,
    ):
        self.every, self.length, self.temperature, self.seed, self.prime = (
            every,
            length,
            temperature,
            seed,
            prime,
        )
        self.first = first
        self.samples: list[dict[str, Any]] = []

    def on_train_start(self, trainer: Trainer) -> None:
        path = trainer.run_dir / "samples.jsonl"
        if path.exists():  # on resume keep what was sampled up to the checkpoint
            rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
            self.samples = [r for r in rows if r["iter"] <= trainer.iter]
            path.write_text("".join(to_json(r) + "\n" for r in self.samples))

    def on_iter_end(self, trainer: Trainer, loss: float) -> None:
        it = trainer.iter
        if it % self.every == 0 or (self.first and it == 1):
            text = sample(
                trainer.model, trainer.vocab, self.length, self.temperature, self.prime, seed=self.seed
            )[0]
            row = {"iter": it, "train_loss": loss, "temperature": self.temperature, "sample": text}
            self.samples.append(row)
            with open(trainer.run_dir / "samples.jsonl", "a") as f:
                f.write(to_json(row) + "\n")


class LossLog(Callback):
    """Keeps the training loss of every iteration, so a sample can be placed exactly on the loss curve.

    The trainer's metrics average the loss over each evaluation interval; the post's checkpoints are single
    iterations, and iteration 1 (loss near ln(vocabulary size)) would otherwise be missing."""

    def __init__(self) -> None:
        self.points: list[tuple[int, float]] = []

    def on_train_start(self, trainer: Trainer) -> None:
        self.points = [p for p in self.points if p[0] <= trainer.iter]

    def on_iter_end(self, trainer: Trainer, loss: float) -> None:
        self.points.append((trainer.iter, float(loss)))
