"""A run folder: what it holds, the key that says what was trained, and the one train-or-reuse path.

A run directory holds `config.json` (the training config, the data's sha256, the model's size, device and
precision), `metrics.jsonl` (one line per evaluation), `last.safetensors` and `best.safetensors`, and, once
training has finished, `run.json`: the run's key (the full config, the data file's sha256 and the sha256 of the
training code), the sha256 of each checkpoint, and when, where and how long it trained. A later request with the
same key reuses the run instead of training again, but only while its checkpoints are the files `run.json`
describes: a truncated or replaced checkpoint makes the run one to train again, never one to trust.

`train_or_reuse` is the one way a run is made: `charlab train` (with or without `--reuse`), the chapters'
`charlab.experiments.run_experiment` and the results runner (`charlab.blog`) all call it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .checkpoint import BEST, LAST
from .config import TrainConfig, to_json
from .errors import CharlabError

if TYPE_CHECKING:
    from .callbacks import Callback
    from .train import TrainResult

MANIFEST = "run.json"  # written when training finishes: what was trained, and when, where and how long
RUN_FILES = ("config.json", "metrics.jsonl", "samples.jsonl", LAST, BEST, MANIFEST)  # what a run directory holds
# The modules whose code decides what a run learns: a finished run is reused only while none of them has changed.
TRAINING_CODE = ("batching.py", "checkpoint.py", "config.py", "device.py", "evaluate.py", "model.py", "text.py",
                 "train.py")


def training_code_sha256() -> str:
    """One hash over the source of every module in TRAINING_CODE."""
    h = hashlib.sha256()
    for name in TRAINING_CODE:
        h.update((Path(__file__).parent / name).read_bytes())
    return h.hexdigest()


def _file_sha256(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def run_key(data_path: str | Path, config: TrainConfig) -> dict[str, Any]:
    """What decides a run's result: the full config (preset plus overrides), the data file's bytes and the
    training code. Two requests with the same key would train the same model."""
    return {"train_config": config.to_dict(), "data_sha256": _file_sha256(Path(data_path)),
            "code_sha256": training_code_sha256()}


def key_digest(key: dict[str, Any]) -> str:
    """A short hash of a run key, for folder names."""
    return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:10]


def run_dir_for(root: str | Path, experiment: str, scale: str, key: dict[str, Any]) -> Path:
    """`root/<experiment>-<scale>-<key digest>`: the one layout of the runs the chapters and the results runner
    train, so that a run of the same key is found again, whoever asks for it."""
    return Path(root) / f"{experiment}-{scale}-{key_digest(key)}"


def result_dir(results: str | Path, scale: str, experiment: str) -> Path:
    """`results/<scale>/<experiment>/`: where the results runner writes a finished run's results to be committed
    (metrics, samples, config, stamp, a bf16 model), one scale per producer (`long` on the CPU, `blog` on a GPU)."""
    return Path(results) / scale / experiment


def load_metrics(run_dir: str | Path) -> list[dict[str, Any]]:
    """The run's `metrics.jsonl`, one dict per evaluation (empty when there is none yet)."""
    path = Path(run_dir) / "metrics.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()] if path.exists() else []


def _differences(have: dict[str, Any], want: dict[str, Any]) -> str:
    """'lr 0.002 there, 0.001 here; ...' for the fields of two training configs that differ."""
    names = [k for k in {**have, **want} if have.get(k) != want.get(k)]
    return "; ".join(f"{k} {have.get(k)!r} there, {want.get(k)!r} here" for k in names[:4]) + (
        f"; and {len(names) - 4} more" if len(names) > 4 else "")


def reuse_check(run_dir: str | Path, key: dict[str, Any]) -> tuple[dict[str, Any] | None, str]:
    """(the manifest of the finished run in `run_dir`, "") when it was trained with exactly `key` and its
    checkpoints are the files the manifest describes; else (None, why not)."""
    run_dir = Path(run_dir)
    try:
        manifest = json.loads((run_dir / MANIFEST).read_text())
    except FileNotFoundError:
        return None, f"no finished run there (no {MANIFEST})"
    except (OSError, ValueError) as e:
        return None, f"its {MANIFEST} cannot be read ({e})"
    have = manifest.get("key") if isinstance(manifest, dict) else None
    want = json.loads(to_json(key))
    if not isinstance(have, dict):
        return None, f"its {MANIFEST} holds no run key"
    if have.get("train_config") != want["train_config"]:
        theirs = have.get("train_config") if isinstance(have.get("train_config"), dict) else {}
        return None, f"it was trained with another config ({_differences(theirs, want['train_config'])})"
    if have.get("data_sha256") != want["data_sha256"]:
        return None, "it was trained on other data (the data file's sha256 differs)"
    if have.get("code_sha256") != want["code_sha256"]:
        return None, "the training code has changed since it was trained"
    sums = manifest.get("checkpoints")
    if not isinstance(sums, dict) or LAST not in sums:
        return None, f"its {MANIFEST} records no checkpoint sha256 (written by an older charlab)"
    for name, digest in sums.items():
        path = run_dir / str(name)
        if not path.is_file():
            return None, f"its checkpoint {name} is missing"
        if _file_sha256(path) != digest:
            return None, f"its checkpoint {name} is not the file {MANIFEST} describes (changed or truncated)"
    return manifest, ""


def finished_run(run_dir: str | Path, key: dict[str, Any]) -> dict[str, Any] | None:
    """The manifest of the finished run of exactly `key` in `run_dir`, else None (see `reuse_check`)."""
    return reuse_check(run_dir, key)[0]


def _written_by_charlab(run_dir: Path) -> bool:
    """Whether `run_dir` holds a run: a checkpoint, a manifest, or a config.json in the form training writes."""
    if any((run_dir / name).exists() for name in (LAST, BEST, MANIFEST)):
        return True
    try:
        config = json.loads((run_dir / "config.json").read_text())
    except (OSError, ValueError):
        return False
    return isinstance(config, dict) and "train_config" in config and "data_sha256" in config


def prepare(run_dir: Path, force: bool, why_not_reused: str = "") -> None:
    """Make `run_dir` ready for a new run. A directory that holds a run is refused unless `force`, which deletes
    the run's files (and only those); a directory holding files of a run's names that charlab did not write (a
    user's own config.json) is always refused, since following the advice to pass --force would delete them."""
    if run_dir.exists() and not run_dir.is_dir():
        raise CharlabError(f"{run_dir} is a file; --out needs a directory for the run")
    if run_dir.is_symlink() and not run_dir.exists():
        raise CharlabError(f"{run_dir} is a symbolic link that leads nowhere (broken, or a loop); --out needs "
                           "a directory for the run")
    present = [name for name in RUN_FILES if (run_dir / name).exists()]
    if not present:
        return
    if not _written_by_charlab(run_dir):
        raise CharlabError(f"{run_dir} holds {', '.join(present)} but no run (no checkpoint, no {MANIFEST}); charlab "
                           "does not replace files it did not write: choose another --out")
    if not force:
        why = f" that cannot be reused: {why_not_reused}" if why_not_reused else ""
        raise CharlabError(
            f"{run_dir} already holds a run ({', '.join(present)}){why}; pass --resume to continue it, "
            "--force to start over and replace it, or choose another --out")
    for name in present:  # start over, so old metrics and samples do not mix with the new run's
        (run_dir / name).unlink(missing_ok=True)  # (under torchrun every rank does this)


def start_run_files(run_dir: Path, metrics: list[dict[str, Any]], **config: Any) -> None:
    """config.json (`config`: what is trained, on what, where), and metrics.jsonl as the checkpoint knows it (a
    resumed run never shows stale lines); the manifest goes until this training finishes, so the run is not taken
    for a finished one meanwhile."""
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "config.json").write_text(to_json(config, indent=2))
    (run_dir / MANIFEST).unlink(missing_ok=True)
    (run_dir / "metrics.jsonl").write_text("".join(to_json(r) + "\n" for r in metrics))


def append_metrics(run_dir: Path, record: dict[str, Any]) -> None:
    with open(run_dir / "metrics.jsonl", "a") as f:
        f.write(to_json(record) + "\n")


def write_manifest(run_dir: Path, key: dict[str, Any], **facts: Any) -> None:
    """`run.json`: the key, the checkpoints' sha256 and `facts` (when, where, how long), written atomically."""
    sums = {name: _file_sha256(run_dir / name) for name in (LAST, BEST) if (run_dir / name).is_file()}
    manifest = {"key": key, "checkpoints": sums,
                "finished_utc": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), **facts}
    tmp = run_dir / (MANIFEST + ".tmp")
    tmp.write_text(to_json(manifest, indent=2))
    tmp.replace(run_dir / MANIFEST)


def train_or_reuse(data_path: str | Path, config: TrainConfig | None, run_dir: str | Path, *, reuse: bool = True,
                   force: bool = False, resume: bool = False, overrides: dict[str, Any] | None = None,
                   callbacks: Sequence[Callback] = (), progress: bool = True
                   ) -> tuple[TrainResult | None, dict[str, Any] | None]:
    """Reuse the finished run of exactly this key in `run_dir` (with `reuse`, and no `callbacks` that must watch
    training), else train it: a new run (`force` replaces a run already there), or with `resume` the run there
    continued with `overrides`. Returns (None, the reused run's manifest) or (the training's result, None)."""
    from .train import train  # train.py writes its folder through this module, so it is imported when needed

    run_dir, overrides = Path(run_dir), overrides or {}
    why_not = ""
    if reuse and not callbacks and not resume and config is not None:
        manifest, why_not = reuse_check(run_dir, run_key(data_path, config.with_overrides(**overrides)))
        if manifest is not None:
            return None, manifest
    result = train(data_path, config, run_dir, resume=resume, callbacks=list(callbacks), progress=progress,
                   overrides=overrides, force=force, why_not_reused=why_not if reuse else "")
    return result, None
