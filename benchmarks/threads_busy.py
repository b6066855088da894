"""Training speed on a busy machine: PyTorch's default thread count, one thread, and charlab's adaptive policy,
each alone and beside a CPU-bound process, measured in the same run.

On a 2-core machine two PyTorch threads beside another busy process ran 3 to 10 times slower than one thread
(`charlab.threads` explains why). Target: with one core taken by another process, the default policy keeps at
least half of its speed on the idle machine. Each configuration trains `--preset cpu` on tiny Shakespeare for
`--seconds` of wall time through the real CLI and reports the median chars/s of its evaluation windows (the
first window, with the tuner's first probes, included). Run it on an otherwise idle machine.

    python benchmarks/threads_busy.py [--seconds 60]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from charlab.datasets import ensure
from charlab.provenance import cpu_name
from charlab.runs import load_metrics

HERE = Path(__file__).resolve().parent
POLICIES = {"adaptive (charlab's default, --threads 0)": "0", "1 thread (--threads 1)": "1",
            f"{os.cpu_count()} threads, fixed (PyTorch's default)": str(os.cpu_count())}
SPIN = "while True: pass"  # the other process: one core's worth of pure CPU work


def train_speed(data: Path, threads: str, seconds: float) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "charlab", "train", str(data), "--preset", "cpu", "--out", f"{tmp}/run",
               "--max-time-s", str(seconds), "--eval-interval", "20", "--eval-max-chunks", "2", "--threads", threads,
               "--quiet"]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        metrics = load_metrics(f"{tmp}/run")
    windows = [m for m in metrics if m["chars_per_s"]]
    return {"chars_per_s": statistics.median(m["chars_per_s"] for m in windows), "iters": metrics[-1]["iter"],
            "threads_at_evals": [m["threads"] for m in windows]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--out", type=Path, default=HERE / "results")
    args = parser.parse_args(argv)
    data = ensure("tinyshakespeare")
    results = {}
    for name, threads in POLICIES.items():
        alone = train_speed(data, threads, args.seconds)
        spinner = subprocess.Popen([sys.executable, "-c", SPIN])
        try:
            busy = train_speed(data, threads, args.seconds)
        finally:
            spinner.kill()
        results[name] = {"alone": alone, "beside a busy process": busy,
                         "kept": busy["chars_per_s"] / alone["chars_per_s"]}
    stamp = {"date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "cpu": cpu_name(),
             "cores": os.cpu_count(), "seconds": args.seconds, "results": results}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "threads_busy.json").write_text(json.dumps(stamp, indent=1))
    print(f"\n{stamp['date']}, {stamp['cpu']} ({stamp['cores']} cores), {args.seconds:.0f} s per configuration")
    print("\n| thread policy | chars/s alone | chars/s beside a busy process | speed kept | threads used (busy) |")
    print("|---|---:|---:|---:|---|")
    for name, r in results.items():
        used = sorted(set(r["beside a busy process"]["threads_at_evals"]))
        print(f"| {name} | {r['alone']['chars_per_s']:,.0f} | {r['beside a busy process']['chars_per_s']:,.0f} | "
              f"{r['kept']:.0%} | {', '.join(map(str, used))} |")
    default = next(iter(results.values()))
    print(f"\ntarget: the default keeps >= 50% beside a busy process: {default['kept']:.0%}")
    return 0 if default["kept"] >= 0.5 else 1


if __name__ == "__main__":
    sys.exit(main())
