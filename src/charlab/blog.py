"""The post's scale on one GPU: every chapter's `blog` preset in one prepared run, with results to commit.

Written for a lent GPU machine (~15 minutes, no internet, a 64 MiB working tree, at most 8 files of 16 MiB
back), so everything runs in one command under one wall-time budget. From the repository root:

    python -m charlab.blog pack-data build/blog-data.tar.xz       # here: the chapters' texts, xz (never commit)
    bash scripts/blog_runs.sh                                      # there, carrying build/blog-data.tar.xz:
        python -m charlab.blog time-batch --results R              #   R/batch_timing.json
        python -m charlab.blog run --data-dir build/blog-data.tar.xz --budget-s 420 --results R
        python -m charlab.blog pack-results "$OUT" --results R     #   results.tar.gz.part1ofN, <= 7 x 15 MiB
    python -m charlab.blog unpack-results DIR_WITH_THE_PARTS       # here: the parts back into results/

`run` starts one subprocess per experiment (`python -m charlab.blog one EXPERIMENT ...`), all at once on the same
device. Each trains its `<experiment>-<scale>` preset with `max_time_s` = budget - reserve, so it stops cleanly at
its own limit (a last evaluation and checkpoint), then samples its best checkpoint and writes
`results/<scale>/<experiment>/`:

    metrics.jsonl      one line per evaluation (the trainer's own file)
    config.json        preset, training config, parameters, sha256 of the text as trained on
    samples.json       the best checkpoint's samples at temperatures 0.5 and 1.0; for warpeace also the evolution:
                       a sample at iteration 1 and every 100 iterations to 2,000, and the loss of every iteration
    stamp.json         scale, device (the GPU's name), torch and CUDA versions, date, git commit, wall time,
                       iterations, why training stopped, the dataset's sha256, what became of the checkpoint
    model.safetensors  the best checkpoint in bf16, weights only; `charlab.checkpoint.load_checkpoint` loads it
                       (as float32). Only if it is at most 16 MiB (MODEL_LIMIT), the most one committed file, and
                       one file back from the device, may be. In bf16 Linux's 3x700 LSTM (10.2 M parameters) is
                       19.4 MiB and Wikipedia's 3x512 over enwik8's 1,522 characters (9.2 M) 17.5 MiB: their
                       stamp.json says the checkpoint was not stored and why, and samples.json holds 8 samples
                       per temperature instead of 2.

Raw runs (float32, optimizer state) stay in `runs/<experiment>-<scale>-<key>/`, the chapters' layout
(`charlab.runs.run_dir_for`), and a finished run of the same key is reused, not trained again (except chapter
5's, whose samples during training must be watched); child logs go to `results/logs/`. A child
still running near the budget's end gets SIGTERM (it saves, then writes its results) and is killed at the budget.
An existing `results/<scale>/<experiment>/` is refused unless --force. Mistakes are one line and exit status 1.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import io
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tarfile
import threading
import time
from pathlib import Path
from typing import Any

import torch

from . import __version__
from .callbacks import LossLog, SampleEvery
from .checkpoint import LAST, load_checkpoint, save_checkpoint
from .datasets import dataset_path, ensure, sha256_file
from .datasets.names import prepare_names
from .device import resolve_device
from .errors import CharlabError, TrainingInterrupted, did_you_mean
from .presets import normalize_scale, preset_for
from .provenance import device_description, format_duration, git_state, gpu_name
from .runs import load_metrics, result_dir, run_dir_for, run_key, train_or_reuse
from .sampling import sample
from .timing import time_per_batch

EXPERIMENTS = {  # experiment (its `<experiment>-blog` preset) -> dataset (data/<dataset>/input.txt)
    "pg": "pg", "shakespeare": "shakespeare", "warpeace": "warpeace", "names": "names",
    "wikipedia": "wikipedia", "latex": "latex", "linux": "linux", "tinyshakespeare": "tinyshakespeare",
}
# What `run` and `pack-data` take when no experiment is named: the post's own experiments, so that a lent GPU's
# minutes go to them (tiny Shakespeare, chapters 3 and 10's second text, is trained by `one` at scale long).
DEFAULT_EXPERIMENTS = ("pg", "shakespeare", "warpeace", "names", "wikipedia", "latex", "linux")
EVOLUTION = "warpeace"  # chapter 5: a sample every 100 of the post's 2,000 iterations
TEMPERATURES = (0.5, 1.0)
SAMPLE_LEN = {"smoke": 50, "cpu": 500, "long": 1000, "blog": 1000}
MIN_TRAIN_S = {"smoke": 2, "cpu": 30, "long": 60, "blog": 60}
MiB = 2**20
MODEL_LIMIT = 16 * MiB
PART_BYTES, MAX_PARTS = 15 * MiB, 7  # 8 files of <= 16 MiB, 64 MiB in all, come back: one is the log
DATA_LIMIT = 48 * MiB  # the packed texts travel inside the device's 64 MiB working tree
PART = re.compile(r"results\.tar\.gz\.part(\d+)of(\d+)")
SETTINGS = {"post": (100, 100), "torch-rnn": (50, 50)}  # batch x BPTT of a 2x512 LSTM
REFERENCES = [
    dict(setting="post", seconds=0.46, what='the post: "one batch on a TITAN Z GPU takes about 0.46 seconds"'),
    dict(setting="torch-rnn", seconds=0.078, what="torch-rnn's published ~78 ms for forward and backward of a 2x512 "
         "LSTM at batch 50 x 50 on a Titan X (no optimizer step)"),
    dict(setting="post", seconds=0.005, what="this project's target on an H100/H200"),
]
SRC = Path(__file__).resolve().parents[1]


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def _write_json(path: Path, obj: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def git_info(manifest: dict | None = None) -> dict[str, Any]:
    """The checkout's commit; where there is no git (a copied tree), the one pack-data recorded."""
    commit, dirty = git_state(SRC)
    if commit:
        return {"git_commit": commit, "git_dirty": dirty}
    if manifest:
        return {"git_commit": manifest.get("git_commit"), "git_dirty": manifest.get("git_dirty"),
                "git_from": "the data archive's MANIFEST.json (no git here)"}
    return {"git_commit": None, "git_dirty": None}


def check_experiments(names: list[str] | None) -> list[str]:
    names = [n for arg in (names or DEFAULT_EXPERIMENTS) for n in arg.split(",") if n]
    for n in names:
        if n not in EXPERIMENTS:
            raise CharlabError(f"unknown experiment {n!r}{did_you_mean(n, EXPERIMENTS)}; "
                               f"choose from {', '.join(EXPERIMENTS)}")
    return list(dict.fromkeys(names))


def refuse_existing(results: Path, scale: str, experiments: list[str], force: bool) -> None:
    present = [e for e in experiments if result_dir(results, scale, e).exists()]
    if present and not force:
        raise CharlabError(f"{Path(results) / scale} already holds results of {', '.join(present)}; pass --force to "
                           "replace them, or choose another --results")


def data_path(dataset: str, data_dir: Path | str | None) -> Path:
    return dataset_path(dataset, data_dir) if data_dir is not None else ensure(dataset)


# -- the texts, packed to travel ---------------------------------------------------------------------------------

def pack_data(out: Path | str, experiments: list[str] | None = None, data_dir: Path | str | None = None,
              limit: int = DATA_LIMIT) -> Path:
    """An .tar.xz of `<dataset>/input.txt` for the experiments, with a MANIFEST.json (sha256s, git commit)."""
    datasets = sorted({EXPERIMENTS[e] for e in check_experiments(experiments)})
    files = {d: data_path(d, data_dir) for d in datasets}
    manifest = {"format": "charlab-blog-data-1", "created_utc": _now(), **git_info(),
                "files": {f"{d}/input.txt": {"bytes": p.stat().st_size, "sha256": sha256_file(p)}
                          for d, p in files.items()}}
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    with tarfile.open(tmp, "w:xz") as tar:
        blob = json.dumps(manifest, indent=2).encode()
        info = tarfile.TarInfo("MANIFEST.json")
        info.size, info.mtime = len(blob), int(time.time())
        tar.addfile(info, io.BytesIO(blob))
        for d, p in files.items():
            tar.add(p, arcname=f"{d}/input.txt")
    size = tmp.stat().st_size
    if size > limit:
        tmp.unlink()
        raise CharlabError(f"the packed texts are {size / MiB:.1f} MiB, over the {limit / MiB:g} MiB that may "
                           "travel; pack fewer --experiments")
    os.replace(tmp, out)
    raw = sum(f["bytes"] for f in manifest["files"].values())
    print(f"{out}: {len(files)} texts, {raw / MiB:.1f} MiB -> {size / MiB:.1f} MiB")
    return out


def _member_bytes(tar: tarfile.TarFile, archive: Path | str, name: str) -> bytes:
    """The bytes of the file `name` in the archive; CharlabError when it is absent or not a file (a directory)."""
    try:
        member = tar.getmember(name)
    except KeyError:
        raise CharlabError(f"{archive}: no {name} in the archive; make one with `python -m charlab.blog pack-data`"
                           ) from None
    f = tar.extractfile(member)  # None for a directory, a device...; a link is followed inside the archive
    if f is None:
        raise CharlabError(f"{archive}: {name} is not a file in the archive")
    return f.read()


def _read_manifest(tar: tarfile.TarFile, archive: Path | str) -> dict:
    """MANIFEST.json, checked for the shape pack-data writes: {"files": {"<dataset>/input.txt": {"sha256": hex}}}."""
    try:
        manifest = json.loads(_member_bytes(tar, archive, "MANIFEST.json"))
    except (ValueError, RecursionError) as e:  # not UTF-8, not JSON, nested past reason
        raise CharlabError(f"{archive}: MANIFEST.json is not valid JSON ({e})") from None
    if not isinstance(manifest, dict):
        raise CharlabError(f"{archive}: MANIFEST.json holds a JSON {_json_type(manifest)}, not an object")
    files = manifest.get("files")
    if not isinstance(files, dict):
        what = (' has no "files" object naming each text' if files is None
                else f'\'s "files" is a JSON {_json_type(files)}, not an object naming each text')
        raise CharlabError(f"{archive}: MANIFEST.json{what}")
    if not files:
        raise CharlabError(f"{archive}: MANIFEST.json names no texts")
    for name, info in files.items():
        if not re.fullmatch(r"[a-z0-9-]+/input\.txt", name):
            raise CharlabError(f"{archive}: unexpected file {name!r} in the manifest")
        if not isinstance(info, dict):
            raise CharlabError(f"{archive}: MANIFEST.json's entry for {name} is a JSON {_json_type(info)}, "
                               "not an object with its sha256")
        if not (isinstance(info.get("sha256"), str) and re.fullmatch(r"[0-9a-f]{64}", info["sha256"])):
            raise CharlabError(f"{archive}: MANIFEST.json's entry for {name} has no sha256 (64 hex digits)")
    return manifest


def _json_type(value: Any) -> str:
    """What a parsed JSON value is, in JSON's words."""
    names = {dict: "object", list: "array", str: "string", bool: "boolean", int: "number", float: "number"}
    return "null" if value is None else names.get(type(value), type(value).__name__)


def unpack_data(archive: Path | str, dest: Path | str) -> tuple[Path, dict]:
    """Extract a pack-data archive into `dest`, checking every text against its MANIFEST.json."""
    dest = Path(dest)
    try:
        with tarfile.open(archive, "r:xz") as tar:
            manifest = _read_manifest(tar, archive)
            for name, info in manifest["files"].items():
                target = dest / name
                if target.is_file() and sha256_file(target) == info["sha256"]:
                    continue
                data = _member_bytes(tar, archive, name)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
                if sha256_file(target) != info["sha256"]:
                    raise CharlabError(f"{archive}: {name} does not match its sha256 in MANIFEST.json")
    except (OSError, tarfile.TarError, KeyError, ValueError) as e:
        raise CharlabError(f"{archive}: not a readable pack-data archive ({e})") from None
    return dest, manifest


# -- one experiment (a child process of `run`) -------------------------------------------------------------------

def store_model(run_dir: Path, dest: Path, limit: int = MODEL_LIMIT, dtype: torch.dtype = torch.bfloat16) -> dict:
    """The run's best checkpoint as weights only in `dtype`, at `dest` if it is at most `limit` bytes; else no file.
    Returns the stamp's "model" entry, which says which and why."""
    ckpt = load_checkpoint(run_dir)  # best, else last
    keep = ("train_config", "iter", "epoch", "elapsed_s", "best_val_loss", "data_sha256")
    meta = {k: ckpt.meta[k] for k in keep if k in ckpt.meta} | {"dtype": str(dtype).removeprefix("torch.")}
    tmp = dest.with_name(dest.name + ".export")
    save_checkpoint(tmp, ckpt.model.to(dtype), ckpt.vocab, meta, rng=False)
    size = tmp.stat().st_size
    entry = {"dtype": meta["dtype"], "bytes": size, "limit_bytes": limit, "checkpoint": "best",
             "iter": ckpt.meta.get("iter"), "parameters": ckpt.model.num_parameters()}
    if size > limit:
        tmp.unlink()
        return {"file": None, **entry, "note": f"not stored: {size / MiB:.1f} MiB in {meta['dtype']}, over the "
                f"{limit / MiB:g} MiB limit of a committed checkpoint; samples.json has more samples instead"}
    os.replace(tmp, dest)
    return {"file": dest.name, **entry}


def sample_best(run_dir: Path, device: torch.device, length: int, num: int) -> dict:
    ckpt = load_checkpoint(run_dir, device=device)
    rows = [{"temperature": t, "text": s} for t in TEMPERATURES
            for s in sample(ckpt.model, ckpt.vocab, length, t, num=num, seed=0)]
    return {"checkpoint": "best, in float32", "iter": ckpt.meta.get("iter"),
            "val_loss": ckpt.meta.get("best_val_loss"), "length": length, "seed": 0, "samples": rows}


def run_one(experiment: str, scale: str, data: Path | str, results: Path | str = "results",
            runs: Path | str = "runs", *, device: str = "auto", max_time_s: float = 0.0,
            overrides: dict | None = None, force: bool = False, model_limit: int = MODEL_LIMIT,
            provenance: dict | None = None) -> Path:
    """Train `experiment` at `scale` on `data` for at most `max_time_s` of training (0: the preset's own limit, as
    the `long` presets' 40 minutes); write results/<scale>/<experiment>/."""
    t0 = time.perf_counter()
    scale, (experiment,) = normalize_scale(scale), check_experiments([experiment])
    results, data = Path(results), Path(data)
    refuse_existing(results, scale, [experiment], force)
    overrides = overrides or {}
    limit = {"max_time_s": max_time_s} if max_time_s else {}
    config = preset_for(experiment, scale).with_overrides(device=device, **limit, **overrides)
    dev, train_on, transform = resolve_device(config.device), data, None
    if experiment == "names":
        split = prepare_names(data, seed=0, val_frac=0.1, out_dir=runs)
        train_on, config = split.path, config.with_overrides(val_frac=split.val_frac)
        transform = "lines shuffled with random.Random(0), the last 10% of the names held out (as chapter 4)"
    key = run_key(train_on, config)
    run_dir = run_dir_for(runs, experiment, scale, key)
    sampler, losses = None, LossLog()
    if experiment == EVOLUTION and scale != "long":  # chapter 5's samples over the post's first 2,000 iterations
        sampler = SampleEvery(every=max(1, round(100 * (config.max_iters or 2000) / 2000)),
                              length=SAMPLE_LEN[scale], temperature=1.0, seed=0)
    print(f"{experiment}: {config.cell.upper()} {config.num_layers}x{config.hidden_size}, batch {config.batch_size}"
          f" x {config.seq_len}, on {device_description(dev)}, training for at most {config.max_time_s:.0f} s",
          flush=True)
    try:  # a finished run of the same key (one without callbacks to watch it) is reused, as the chapters do
        result, manifest = train_or_reuse(train_on, config, run_dir, force=True, progress=False,
                                          callbacks=[sampler, losses] if sampler else [])
        stopped_by = manifest["stopped_by"] if manifest else result.stopped_by
    except TrainingInterrupted:
        stopped_by = "signal (saved first)"
    last = load_checkpoint(run_dir, prefer=LAST).meta
    final = result_dir(results, scale, experiment)
    stage = final.with_name(f".{experiment}.partial")
    shutil.rmtree(stage, ignore_errors=True)
    stage.mkdir(parents=True)
    shutil.copy(run_dir / "metrics.jsonl", stage / "metrics.jsonl")
    cfg = json.loads((run_dir / "config.json").read_text())
    cfg.update(experiment=experiment, preset=f"{experiment}-{scale}", overrides=overrides,
               data_path=f"data/{EXPERIMENTS[experiment]}/input.txt", data_transform=transform,
               run=run_dir.name, run_key=key)
    _write_json(stage / "config.json", cfg)
    model = store_model(run_dir, stage / "model.safetensors", model_limit)
    samples = sample_best(run_dir, dev, SAMPLE_LEN[scale], 2 if model["file"] else 8)
    if sampler:
        samples["evolution"] = {"every": sampler.every, "length": sampler.length, "temperature": 1.0, "seed": 0,
                                "samples": sampler.samples, "loss_per_iter": [round(x, 5) for _, x in losses.points]}
    _write_json(stage / "samples.json", samples)
    scored = [m for m in load_metrics(run_dir) if m["val_loss"] == m["val_loss"]]  # not NaN
    best = min(scored, key=lambda m: m["val_loss"]) if scored else {}
    stamp = {
        "experiment": experiment, "preset": f"{experiment}-{scale}", "scale": scale,
        "dataset": EXPERIMENTS[experiment], "dataset_sha256": sha256_file(data), "data_transform": transform,
        "device": device_description(dev), "gpu": gpu_name() if dev.type == "cuda" else None,
        "torch": torch.__version__, "cuda": torch.version.cuda, "python": platform.python_version(),
        "charlab": __version__, "date_utc": _now(), **git_info(), **(provenance or {}),
        "wall_s": round(time.perf_counter() - t0, 1), "train_s": round(last["elapsed_s"], 1),
        "max_time_s": config.max_time_s, "iterations": last["iter"], "epochs": round(last["epoch"], 3),
        "stopped_by": stopped_by, "parameters": model["parameters"], "best_val_loss": best.get("val_loss"),
        "best_val_bpc": best.get("val_bpc"), "best_iter": best.get("iter"), "model": model,
        "precision": cfg.get("precision"), "run": run_dir.name, "run_key": key,
    }
    _write_json(stage / "stamp.json", stamp)
    if final.exists():
        shutil.rmtree(final)
    os.replace(stage, final)
    stored = f"model {model['bytes'] / MiB:.1f} MiB" if model["file"] else model["note"]
    print(f"{experiment}: done, {last['iter']:,} iterations ({last['epoch']:.2f} epochs, stopped by {stopped_by}) "
          f"in {format_duration(stamp['wall_s'])}; best val loss {best.get('val_loss', float('nan')):.4f} "
          f"nats/char; {stored} -> {final}", flush=True)
    return final


# -- every experiment at once ------------------------------------------------------------------------------------

def _relay(name: str, stream, log: Path, lock: threading.Lock) -> None:
    """Copy a child's output to our stdout, each line prefixed with its experiment, and to its log."""
    with open(log, "w", encoding="utf-8") as f:
        for line in stream:
            f.write(line)
            f.flush()
            with lock:
                print(f"[{name:>11}] {line}", end="", flush=True)


def _stop(procs: dict[str, subprocess.Popen], how: str) -> None:
    for name, p in procs.items():
        if p.poll() is None:
            print(f"[{name:>11}] {how} (wall-time budget)", flush=True)
            if how == "SIGTERM":
                p.send_signal(signal.SIGTERM)
            else:
                p.kill()


def run(experiments: list[str] | None = None, scale: str = "blog", budget_s: float = 480.0,
        results: Path | str = "results", runs: Path | str = "runs", data_dir: Path | str | None = None,
        device: str = "auto", force: bool = False, reserve_s: float | None = None,
        overrides: dict | None = None, model_limit: int = MODEL_LIMIT, threads: int | None = None) -> dict[str, int]:
    """Train the experiments concurrently, one subprocess each, within `budget_s` seconds of wall time in all.

    Each child trains for at most budget - reserve seconds (reserve: default 15% of the budget, at least 10 s, for
    start-up, the last evaluation, sampling and export); a child still running at budget - reserve/3 gets SIGTERM,
    and is killed at the budget. Returns each experiment's exit status; a failure raises after all have ended."""
    t0 = time.monotonic()
    scale, experiments, overrides = normalize_scale(scale), check_experiments(experiments), overrides or {}
    if not 0 < budget_s < float("inf"):
        raise CharlabError(f"--budget-s must be a positive number of seconds, got {budget_s}")
    reserve = max(10.0, 0.15 * budget_s) if reserve_s is None else reserve_s
    train_s = budget_s - reserve
    if train_s < MIN_TRAIN_S[scale]:
        raise CharlabError(f"--budget-s {budget_s:g} is too small: {reserve:.0f} s of it go to start-up and "
                           f"results, so give at least {MIN_TRAIN_S[scale] + reserve:.0f} s (training at scale "
                           f"{scale} needs {MIN_TRAIN_S[scale]} s or more)")
    for e in experiments:  # an unknown option or an impossible device is one line now, not seven later
        resolve_device(preset_for(e, scale).with_overrides(device=device, **overrides).device)
    refuse_existing(Path(results), scale, experiments, force)
    manifest = None
    if data_dir is not None and str(data_dir).endswith(".tar.xz"):
        data_dir, manifest = unpack_data(data_dir, Path(runs) / "data")
    data = {e: data_path(EXPERIMENTS[e], data_dir) for e in experiments}
    provenance = {**git_info(manifest), "budget_s": budget_s, "concurrent": experiments}
    threads = threads or max(1, (os.cpu_count() or 1) // len(experiments))
    logs, lock, procs, relays = Path(results) / scale / "logs", threading.Lock(), {}, []
    logs.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONIOENCODING": "utf-8",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(SRC), os.environ.get("PYTHONPATH")]))}
    print(f"blog run: {', '.join(experiments)} at scale {scale}, concurrently, {train_s:.0f} s of training each "
          f"within a budget of {budget_s:.0f} s, {threads} CPU thread(s) each", flush=True)
    for e in experiments:
        cmd = [sys.executable, "-m", "charlab.blog", "one", e, "--scale", scale, "--data", str(data[e]),
               "--results", str(results), "--runs", str(runs), "--device", device, "--max-time-s", str(train_s),
               "--threads", str(threads), "--model-limit-mib", str(model_limit / MiB),
               "--overrides", json.dumps(overrides), "--provenance", json.dumps(provenance)]
        cmd += ["--force"] if force else []
        procs[e] = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
                                    text=True, encoding="utf-8", errors="replace")
        relays.append(threading.Thread(target=_relay, args=(e, procs[e].stdout, logs / f"{e}.log", lock)))
        relays[-1].start()
    term_at, deadline, termed = t0 + budget_s - reserve / 3, t0 + budget_s, False
    try:
        while any(p.poll() is None for p in procs.values()) and time.monotonic() < deadline:
            if time.monotonic() >= term_at and not termed:
                _stop(procs, "SIGTERM")  # each saves a checkpoint, then writes its results
                termed = True
            time.sleep(0.2)
        _stop(procs, "killed")  # any still running at the budget
    except KeyboardInterrupt:
        _stop(procs, "SIGTERM")
        with contextlib.suppress(subprocess.TimeoutExpired):
            for p in procs.values():
                p.wait(timeout=30)
        _stop(procs, "killed")
        raise
    for r in relays:
        r.join()
    codes = {e: p.wait() for e, p in procs.items()}
    failed = [f"{e} (exit {c})" for e, c in codes.items() if c != 0]
    print(f"blog run: {len(codes) - len(failed)} of {len(codes)} done in {format_duration(time.monotonic() - t0)}"
          f"; results in {results}", flush=True)
    if failed:
        raise CharlabError(f"{len(failed)} of {len(codes)} experiments failed: {', '.join(failed)}; "
                           f"their logs are in {logs}")
    return codes


# -- one training batch at the post's settings ------------------------------------------------------------------

def time_batch(results: Path | str = "results", device: str = "auto", iters: int | None = None,
               warmup: int | None = None, vocab_size: int = 100, settings: dict = SETTINGS, **model: Any) -> dict:
    """Time forward + backward + RMSProp step of the post's 2x512 LSTM (`charlab.timing.time_per_batch`) at each
    setting, in float32 and under bf16 autocast (CUDA: fp16 too); write results/batch_timing.json."""
    dev = resolve_device(device)
    cuda = dev.type == "cuda"
    iters = iters or (50 if cuda else 3)
    warmup = (10 if cuda else 1) if warmup is None else warmup
    base = preset_for("pg", "blog").with_overrides(**model)
    rows = []
    for setting, (batch, bptt) in settings.items():
        config = base.with_overrides(batch_size=batch, seq_len=bptt)
        for dtype in ("float32", "bfloat16", "float16") if cuda else ("float32", "bfloat16"):
            row = {"setting": setting, "batch_size": batch, "seq_len": bptt, "dtype": dtype}
            cast = contextlib.nullcontext() if dtype == "float32" else torch.autocast(
                dev.type, dtype=getattr(torch, dtype), cache_enabled=False)  # weights cast anew every batch
            try:
                with cast:
                    seconds = time_per_batch(config, vocab_size, iters=iters, device=dev, warmup=warmup)
                row.update(seconds=seconds, ms=round(seconds * 1e3, 3))
            except RuntimeError as e:  # a kernel this dtype lacks here: recorded, the other timings still run
                row["error"] = str(e).splitlines()[0]
            print(f"{setting:>9} batch {batch} x {bptt} {dtype:>8}: "
                  + (f"{row['ms']:.2f} ms" if "ms" in row else f"failed: {row['error']}"), flush=True)
            rows.append(row)
    post = [r["seconds"] for r in rows if r["setting"] == "post" and "seconds" in r]
    c = base
    report = {
        "what": f"median wall-clock time of one training batch (forward, backward, optimizer step) of {iters}, "
                f"after {warmup} warm-up; bf16/fp16 under torch.autocast, weights and optimizer in float32",
        "model": f"LSTM {c.num_layers}x{c.hidden_size}, one-hot input over {vocab_size} characters, dropout "
                 f"{c.dropout}, RMSProp, element-wise gradient clamp {c.grad_clamp}",
        "device": device_description(dev), "gpu": gpu_name() if cuda else None, "torch": torch.__version__,
        "cuda": torch.version.cuda, "date_utc": _now(), **git_info(), "timings": rows, "references": REFERENCES,
        "best_post_seconds": min(post) if post else None,
        "speedup_over_post": round(0.46 / min(post), 1) if post else None,
        "meets_target": (min(post) <= 0.005) if post and cuda else None,
    }
    _write_json(Path(results) / "batch_timing.json", report)
    return report


# -- results, packed to come back ------------------------------------------------------------------------------

def pack_results(out_dir: Path | str, results: Path | str = "results", part_bytes: int = PART_BYTES,
                 max_parts: int = MAX_PARTS) -> list[Path]:
    """results/ (without staging folders) as a .tar.gz cut into parts of at most `part_bytes`, in `out_dir`."""
    results, out_dir = Path(results), Path(out_dir)
    files = sorted(p for p in results.rglob("*") if p.is_file()
                   and not any(s.startswith(".") for s in p.relative_to(results).parts))
    if not files:
        raise CharlabError(f"{results}: no results to pack")
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for p in files:
            tar.add(p, arcname=p.relative_to(results).as_posix())
    blob = buf.getvalue()
    n = -(-len(blob) // part_bytes)
    if n > max_parts:
        big = ", ".join(f"{p.relative_to(results)} ({p.stat().st_size / MiB:.1f} MiB)"
                        for p in sorted(files, key=lambda p: -p.stat().st_size)[:3])
        raise CharlabError(f"{results} packs to {len(blob) / MiB:.1f} MiB, {n} parts of {part_bytes / MiB:g} MiB, "
                           f"more than {max_parts}; largest: {big}")
    out_dir.mkdir(parents=True, exist_ok=True)
    for old in out_dir.iterdir():
        if PART.fullmatch(old.name):
            old.unlink()
    parts = [out_dir / f"results.tar.gz.part{i + 1}of{n}" for i in range(n)]
    for i, part in enumerate(parts):
        part.write_bytes(blob[i * part_bytes:(i + 1) * part_bytes])
    print(f"{len(files)} files of {results}: {len(blob) / MiB:.1f} MiB in {n} part(s) in {out_dir}")
    return parts


def unpack_results(parts_dir: Path | str, results: Path | str = "results", force: bool = False) -> list[Path]:
    """Join the parts of pack-results found in `parts_dir` and extract them into `results`."""
    found = {}
    for p in Path(parts_dir).iterdir():
        if m := PART.fullmatch(p.name):
            found[(int(m[1]), int(m[2]))] = p
    totals = {n for _, n in found}
    if len(totals) != 1:
        raise CharlabError(f"{parts_dir}: " + ("no results.tar.gz.part*of* files" if not totals
                                               else "parts of more than one pack; keep one"))
    (n,) = totals
    missing = [str(i) for i in range(1, n + 1) if (i, n) not in found]
    if missing:
        raise CharlabError(f"{parts_dir}: part(s) {', '.join(missing)} of {n} are missing")
    blob = b"".join(found[(i, n)].read_bytes() for i in range(1, n + 1))
    results = Path(results)
    try:
        with tarfile.open(fileobj=io.BytesIO(blob), mode="r:gz") as tar:
            members = tar.getmembers()
            for m in members:  # only plain files and folders inside `results` (tarfile's "data" filter, by hand)
                if not (m.isfile() or m.isdir()) or m.name.startswith("/") or ".." in Path(m.name).parts:
                    raise CharlabError(f"{parts_dir}: the archive holds {m.name!r}, which may not be extracted")
            clash = [m.name for m in members if (results / m.name).is_file()]
            if clash and not force:
                raise CharlabError(f"{results} already holds {', '.join(clash[:3])}{' ...' * (len(clash) > 3)}; "
                                   "pass --force to replace")
            tar.extractall(results, **({"filter": "data"} if hasattr(tarfile, "data_filter") else {}))
    except (tarfile.TarError, EOFError, OSError) as e:
        raise CharlabError(f"{parts_dir}: the parts do not make a readable archive ({e})") from None
    print(f"{len(members)} files from {n} part(s) -> {results}")
    return [results / m.name for m in members]


# -- the command line --------------------------------------------------------------------------------------------

def _key_value(text: str) -> tuple[str, Any]:
    key, sep, value = text.partition("=")
    if not sep:
        raise CharlabError(f"--set needs KEY=VALUE, got {text!r}")
    with contextlib.suppress(ValueError):
        return key, json.loads(value)
    return key, value


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m charlab.blog", description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run", help="train the experiments concurrently within a wall-time budget")
    r.add_argument("--experiments", nargs="+", help=f"default: all of {', '.join(EXPERIMENTS)}")
    r.add_argument("--budget-s", type=float, default=480.0, help="wall time for everything (default 480)")
    r.add_argument("--reserve-s", type=float, help="of it, not for training (default 15%%, at least 10 s)")
    r.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a preset option")
    r.add_argument("--threads", type=int, help="CPU threads per experiment (default: cores / experiments)")
    o = sub.add_parser("one", help="train one experiment and write its results (what `run` starts for each)")
    o.add_argument("experiment")
    o.add_argument("--data", required=True)
    o.add_argument("--max-time-s", type=float, default=0.0)
    o.add_argument("--threads", type=int)
    o.add_argument("--overrides", default="{}", help="JSON")
    o.add_argument("--provenance", default="{}", help="JSON")
    for q in (r, o):
        q.add_argument("--scale", default="blog")
        q.add_argument("--results", default="results")
        q.add_argument("--runs", default="runs", help="raw runs (float32, optimizer state)")
        q.add_argument("--device", default="auto")
        q.add_argument("--force", action="store_true", help="replace existing results of these experiments")
        q.add_argument("--model-limit-mib", type=float, default=MODEL_LIMIT / MiB)
    r.add_argument("--data-dir", help="folder with <dataset>/input.txt, or a pack-data .tar.xz")
    t = sub.add_parser("time-batch", help="time one training batch at the post's settings")
    t.add_argument("--results", default="results")
    t.add_argument("--device", default="auto")
    t.add_argument("--iters", type=int)
    t.add_argument("--warmup", type=int)
    t.add_argument("--vocab-size", type=int, default=100)
    d = sub.add_parser("pack-data", help="the experiments' texts as one .tar.xz to carry to the GPU machine")
    d.add_argument("out")
    d.add_argument("--experiments", nargs="+")
    d.add_argument("--data-dir")
    k = sub.add_parser("pack-results", help="results/ as .tar.gz parts of at most --part-mib")
    k.add_argument("out_dir")
    k.add_argument("--results", default="results")
    k.add_argument("--part-mib", type=float, default=PART_BYTES / MiB)
    k.add_argument("--max-parts", type=int, default=MAX_PARTS)
    u = sub.add_parser("unpack-results", help="the parts of pack-results back into results/")
    u.add_argument("parts_dir")
    u.add_argument("--results", default="results")
    u.add_argument("--force", action="store_true")
    return p


def main(argv: list[str] | None = None) -> int:
    a = build_parser().parse_args(argv)
    try:
        if a.command == "run":
            run(a.experiments, a.scale, a.budget_s, a.results, a.runs, a.data_dir, a.device, a.force, a.reserve_s,
                dict(_key_value(s) for s in a.set), int(a.model_limit_mib * MiB), a.threads)
        elif a.command == "one":
            if a.threads:
                torch.set_num_threads(a.threads)
            run_one(a.experiment, a.scale, a.data, a.results, a.runs, device=a.device, max_time_s=a.max_time_s,
                    overrides=json.loads(a.overrides), force=a.force, model_limit=int(a.model_limit_mib * MiB),
                    provenance=json.loads(a.provenance))
        elif a.command == "time-batch":
            time_batch(a.results, a.device, a.iters, a.warmup, a.vocab_size)
        elif a.command == "pack-data":
            pack_data(a.out, a.experiments, a.data_dir)
        elif a.command == "pack-results":
            pack_results(a.out_dir, a.results, int(a.part_mib * MiB), a.max_parts)
        else:
            unpack_results(a.parts_dir, a.results, a.force)
    except CharlabError as e:
        print(f"charlab: error: {e}", file=sys.stderr)
        return 1
    except OSError as e:  # a missing data file, a full or read-only disk: what and where, in one line
        print(f"charlab: error: {e.filename + ': ' if e.filename else ''}{e.strerror or e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("charlab: interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
