"""What a chapter needs to run "its" experiment: one call that trains at a scale and reports how.

Chapters call `run_experiment("pg", SCALE)`: the dataset is fetched if missing, the `<experiment>-<scale>` preset is
used, the run starts from scratch in `runs/<experiment>-<scale>/` and the returned `Run` knows its own provenance
(model size, iterations, wall time, device), so every number a chapter prints says how it was produced.
"""

from __future__ import annotations

import math
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .callbacks import Callback
from .checkpoint import Checkpoint, load_checkpoint
from .config import TrainConfig
from .datasets import default_data_dir, ensure
from .evaluate import score_split
from .presets import normalize_scale, preset_for
from .provenance import device_description, format_duration
from .text import read_text
from .train import TrainResult, resolve_device, train


def runs_dir() -> Path:
    """`runs/` beside the data directory's parent (the project root in a checkout)."""
    return default_data_dir().parent / "runs"


@dataclass
class Run:
    experiment: str
    scale: str
    run_dir: Path
    data_path: Path
    config: TrainConfig
    result: TrainResult
    wall_s: float
    device: str
    parameters: int

    @property
    def metrics(self) -> list[dict[str, Any]]:
        return self.result.metrics

    def load(self, which: str = "best.safetensors") -> Checkpoint:
        return load_checkpoint(self.run_dir, prefer=which)

    def heldout_loss(self, which: str = "best.safetensors", split: str = "val") -> float:
        """Loss (nats/char) of checkpoint `which` on the whole `split` of the run's text, the way training scores
        it (`charlab.evaluate.score_split`): for the best checkpoint of a run that validated on its whole split,
        the best val_loss of its metrics."""
        ckpt, c = self.load(which), self.config
        text = read_text(self.data_path, encoding_errors=c.encoding_errors, byte_level=c.byte_level)
        return score_split(ckpt.model, ckpt.vocab, text, c.val_frac, c.test_frac, split)

    def summary(self) -> str:
        c, r = self.config, self.result
        best = r.best_val_loss
        return (f"{c.cell.upper()} {c.num_layers}x{c.hidden_size} ({self.parameters / 1e6:.2f} M parameters), "
                f"batch {c.batch_size} x {c.seq_len} characters, {r.iters:,} iterations ({r.epoch:.2f} epochs) "
                f"in {format_duration(self.wall_s)} on {self.device}; best val loss {best:.4f} nats/char "
                f"({best / math.log(2):.3f} bits/char). Preset {self.experiment}-{self.scale}.")


def run_experiment(experiment: str, scale: str, *, dataset: str | None = None, data_path: str | Path | None = None,
                   callbacks: list[Callback] = (), progress: bool = True, **overrides: Any) -> Run:
    """Train `experiment` at `scale` from scratch on its dataset (fetched if needed) or on `data_path`."""
    scale = normalize_scale(scale)
    config = preset_for(experiment, scale).with_overrides(**overrides)
    data_path = Path(data_path) if data_path else ensure(dataset or experiment)
    run_dir = runs_dir() / f"{experiment}-{scale}"
    if run_dir.exists():
        shutil.rmtree(run_dir)  # a chapter's run is always a fresh one: its outputs must match this code
    t0 = time.perf_counter()
    result = train(data_path, config, run_dir, callbacks=list(callbacks), progress=progress)
    wall = time.perf_counter() - t0
    ckpt = load_checkpoint(run_dir)
    return Run(experiment, scale, run_dir, data_path, config, result, wall,
               device_description(resolve_device(config.device)), ckpt.model.num_parameters())
