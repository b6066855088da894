"""What a chapter needs to run "its" experiment: one call that trains at a scale and reports how.

Chapters call `run_experiment("pg", SCALE)`: the dataset is fetched if missing, the `<experiment>-<scale>` preset is
used, and the returned `Run` knows its own provenance (model size, iterations, wall time, device, when it was
trained), so every number a chapter prints says how it was produced.

Runs live in `runs/<experiment>-<scale>-<key>/`, where `<key>` is a short hash of everything that decides the result
(`charlab.runs.run_key`: the full config, the data file's sha256, the training code's sha256). A finished run with
the same key is reused instead of trained again, so re-executing a chapter whose training did not change costs only
its analysis, and the neurons chapter reads the models chapters 5, 6 and 8 trained. Any change to the config, the
data or the training code gives another key and so a fresh run. A run whose callbacks must watch it train is always
trained. Each call is logged to `$CHARLAB_RUN_LOG` when set (the book's executor sets it) so a page's stamp says
which runs were reused and when they were trained.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .batching import num_chunks, split_sizes
from .callbacks import Callback
from .checkpoint import Checkpoint, load_checkpoint
from .config import TrainConfig
from .datasets import default_data_dir, ensure
from .datasets.paths import FETCH_SCRIPT, read_source
from .errors import CharlabError
from .evaluate import score_split
from .presets import normalize_scale, preset_for
from .provenance import format_duration
from .runs import finished_run, load_metrics, result_dir, run_dir_for, run_key, train_or_reuse
from .text import Vocab, read_text
from .train import TrainResult, build_model
from .units import bits

RESULTS_ENV = "CHARLAB_RESULTS"


def runs_dir() -> Path:
    """`runs/` beside the data directory's parent (the project root in a checkout)."""
    return default_data_dir().parent / "runs"


def checkout_root() -> Path | None:
    """The checkout this charlab is imported from (`src/charlab/../..`, holding `pyproject.toml` and
    `data_scripts/fetch.py`), or None for an installed package (site-packages, or Colab's `pip install`)."""
    root = Path(__file__).resolve().parents[2]
    return root if (root / "pyproject.toml").is_file() and (root / FETCH_SCRIPT).is_file() else None


def results_dir() -> Path:
    """The committed `results/` folder the chapters read (`committed_results`, `committed_run`), the first of:

    1. `$CHARLAB_RESULTS`, when set;
    2. `results/` beside the data directory's parent, when that folder exists: the project the data and runs
       belong to (in a checkout run from inside it, the checkout's own `results/`);
    3. the `results/` of the checkout charlab is imported from (`checkout_root`), when it is one: so a temporary
       data directory (the tests, CI's smoke execution) still sees the committed long runs;
    4. otherwise `results/` beside the data directory's parent, as 2 (it may not exist: no committed results).

    On Colab the first cell installs charlab with pip from the repository (no checkout), so 1, 2 or 4 apply: a
    clone's results are found by working inside the clone or by setting `$CHARLAB_RESULTS` to its `results/`."""
    env = os.environ.get(RESULTS_ENV)
    if env:
        return Path(env).expanduser()
    beside_data = runs_dir().parent / "results"
    root = checkout_root()
    if beside_data.is_dir() or root is None:
        return beside_data
    return root / "results"


def committed_results(experiment: str, scale: str = "blog") -> Path:
    """The folder of `experiment`'s committed results at `scale`: `results/<scale>/<experiment>/` of `results_dir()`
    (it may not exist)."""
    return result_dir(results_dir(), scale, experiment)


@dataclass(frozen=True)
class Result:
    """A committed results folder (`results/<scale>/<experiment>/`, written by `python -m charlab.blog one`): the
    model it stored, its samples, metrics and stamp, read back so a chapter can show it beside its own run."""

    experiment: str
    scale: str
    path: Path
    stamp: dict[str, Any]  # machine, minutes, iterations, precision, data sha256, commit, why training stopped
    config: TrainConfig
    metrics: list[dict[str, Any]]
    samples: list[dict[str, Any]]  # {"temperature", "text"} of the best checkpoint

    @property
    def chars_seen(self) -> int:
        """Training characters read up to the stored (best) checkpoint."""
        return chars_seen(self.config, self.stamp["model"]["iter"] if self.stamp.get("model") else
                          self.stamp["iterations"])

    @property
    def best_val_loss(self) -> float:
        return float(self.stamp["best_val_loss"])

    def load(self) -> Checkpoint:
        """The stored model (bf16 on disk, float32 here); CharlabError when the run's model was not stored."""
        if not (self.stamp.get("model") or {}).get("file"):
            raise CharlabError(f"{self.path} stores no model: {self.stamp.get('model')}")
        return load_checkpoint(self.path / self.stamp["model"]["file"])

    def summary(self) -> str:
        c, s = self.config, self.stamp
        return (f"{c.cell.upper()} {c.num_layers}x{c.hidden_size} ({s['parameters'] / 1e6:.2f} M parameters), "
                f"{s['iterations']:,} iterations ({s['epochs']:.1f} epochs) in {format_duration(s['train_s'])} on "
                f"{s['device']} in {s['precision']}, {s['date_utc'][:10]}; best val loss {self.best_val_loss:.4f} "
                f"nats/char ({bits(self.best_val_loss):.3f} bits/char) at iteration {s['best_iter']:,}. "
                f"Committed in results/{self.scale}/{self.experiment}/.")


def chars_seen(config: TrainConfig, iters: int, world_size: int = 1) -> int:
    """Training characters read in `iters` iterations: batch x sequence length x processes per iteration."""
    return int(iters) * config.batch_size * config.seq_len * world_size


def best_iter(metrics: Sequence[dict[str, Any]]) -> int:
    """The iteration of the lowest validation loss in a run's metrics (`metrics.jsonl` rows), where its best
    checkpoint was saved; rows without a `val_loss` (or with None) are skipped, the first of equal losses wins, and
    0 when no row has one."""
    rows = [m for m in metrics if m.get("val_loss") is not None]
    return int(min(rows, key=lambda m: m["val_loss"])["iter"]) if rows else 0


def chars_to_best(config: TrainConfig, metrics: Sequence[dict[str, Any]], world_size: int = 1) -> int:
    """Training characters a run read up to its best checkpoint: `chars_seen` at `best_iter(metrics)`."""
    return chars_seen(config, best_iter(metrics), world_size)


def committed_run(experiment: str, scale: str = "long") -> Result | None:
    """The committed results of `experiment` at `scale`, or None where there are none yet."""
    path = committed_results(experiment, scale)
    if not (path / "stamp.json").is_file():
        return None
    stamp = json.loads((path / "stamp.json").read_text())
    cfg = json.loads((path / "config.json").read_text())
    samples = json.loads((path / "samples.json").read_text())
    return Result(experiment, normalize_scale(scale), path, stamp, TrainConfig.from_dict(cfg["train_config"]),
                  load_metrics(path), samples["samples"])


@dataclass
class Run:
    experiment: str
    scale: str
    run_dir: Path
    data_path: Path
    config: TrainConfig
    result: TrainResult
    wall_s: float  # training time, when it was trained
    device: str  # where it was trained
    parameters: int
    trained_utc: str = ""
    precision: str = "fp32"  # what the forward pass ran in (`auto` resolved)
    world_size: int = 1  # processes that trained it (torchrun)
    reused: bool = False  # True: a finished run with the same key was found, nothing was trained by this call

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
        where = f"on {self.device}" + (f" in {self.precision}" if self.precision != "fp32" else "")
        reused = f"; a finished run reused, trained {self.trained_utc}" if self.reused else ""
        return (f"{c.cell.upper()} {c.num_layers}x{c.hidden_size} ({self.parameters / 1e6:.2f} M parameters), "
                f"batch {c.batch_size} x {c.seq_len} characters, {r.iters:,} iterations ({r.epoch:.2f} epochs) "
                f"in {format_duration(self.wall_s)} {where}; best val loss {best:.4f} nats/char "
                f"({bits(best):.3f} bits/char). Preset {self.experiment}-{self.scale}{reused}.")


@dataclass(frozen=True)
class Corpus:
    """A chapter's text as its experiment trains on it: the file, its provenance, and the split training makes
    (`charlab.batching.split_sizes` of the preset's val_frac and test_frac)."""

    name: str
    path: Path
    text: str
    source: dict[str, Any]  # the dataset's SOURCE.json (url, sha256, ...), {} when there is none
    config: TrainConfig

    @property
    def n_train(self) -> int:
        return split_sizes(len(self.text), self.config.val_frac, self.config.test_frac)[0]

    @property
    def n_val(self) -> int:
        return split_sizes(len(self.text), self.config.val_frac, self.config.test_frac)[1]

    @property
    def train(self) -> str:
        """The training split: the first n_train characters."""
        return self.text[: self.n_train]

    @property
    def held_out(self) -> str:
        """The validation split: the n_val characters after the training split."""
        return self.text[self.n_train : self.n_train + self.n_val]


def load_corpus(experiment: str, scale: str, dataset: str | None = None) -> Corpus:
    """The text of `dataset` (default: the experiment's own), fetched if missing, split as `experiment` at `scale`
    trains on it."""
    name = dataset or experiment
    path = ensure(name)
    return Corpus(name, path, read_text(path), read_source(path.parent) or {}, preset_for(experiment, scale))


@dataclass(frozen=True)
class PostModel:
    """The post's model for a text: an experiment's `blog` preset built (untrained) for the text's characters."""

    config: TrainConfig
    vocab_size: int
    parameters: int  # counted by the code that trains it
    iters_per_epoch: int  # batches in one epoch over the training split


def post_model(experiment: str, text: str) -> PostModel:
    """The post's model of `experiment` (its `blog` preset) for `text`: its parameters and its batches per epoch."""
    config = preset_for(experiment, "blog")
    vocab_size = len(Vocab.from_text(text))
    n_train = split_sizes(len(text), config.val_frac, config.test_frac)[0]
    return PostModel(config, vocab_size, build_model(config, vocab_size).num_parameters(),
                     num_chunks(n_train, config.batch_size, config.seq_len))


def run_experiment(experiment: str, scale: str, *, dataset: str | None = None, data_path: str | Path | None = None,
                   callbacks: list[Callback] = (), progress: bool = True, reuse: bool = True,
                   **overrides: Any) -> Run:
    """Train `experiment` at `scale` on its dataset (fetched if needed) or on `data_path`, or with `reuse` (the
    default, ignored when there are `callbacks`) reuse the finished run of exactly the same key."""
    scale = normalize_scale(scale)
    config = preset_for(experiment, scale).with_overrides(**overrides)
    data_path = Path(data_path) if data_path else ensure(dataset or experiment)
    key = run_key(data_path, config)
    run_dir = run_dir_for(runs_dir(), experiment, scale, key)
    _, manifest = train_or_reuse(data_path, config, run_dir, reuse=reuse, force=True, callbacks=callbacks,
                                 progress=progress)  # force: an unfinished run of this key, or one to watch again
    reused = manifest is not None
    manifest = manifest or finished_run(run_dir, key)
    assert manifest is not None, "a finished training writes its manifest"
    best = manifest["best_val_loss"]  # null in JSON when the run had no validation split
    result = TrainResult(run_dir, manifest["iters"], manifest["epoch"], math.inf if best is None else best,
                         load_metrics(run_dir), manifest["stopped_by"])
    run = Run(experiment, scale, run_dir, data_path, config, result, manifest["train_s"], manifest["device"],
              load_checkpoint(run_dir).model.num_parameters(), trained_utc=manifest["finished_utc"],
              precision=manifest["precision"], world_size=manifest["world_size"], reused=reused)
    _log(run)
    return run


def _log(run: Run) -> None:
    """One JSON line per run to $CHARLAB_RUN_LOG (set by `python -m charlab.book execute` for the page's stamp)."""
    path = os.environ.get("CHARLAB_RUN_LOG")
    if path:
        with open(path, "a") as f:
            f.write(json.dumps({"run": run.run_dir.name, "reused": run.reused, "trained_utc": run.trained_utc,
                                "train_s": run.wall_s, "device": run.device, "precision": run.precision,
                                "world_size": run.world_size}) + "\n")
