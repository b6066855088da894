"""Quality per CPU-minute: does `charlab train tinyshakespeare --preset cpu` reach val loss <= 1.55 nats/char
within 5 minutes of training wall time on this machine?

Runs the real CLI (so everything a user pays for is in the clock), then reads metrics.jsonl, where `elapsed_s` is
wall time since training started (evaluations included). Writes the curve as JSON and PNG beside this file under
results/, stamped with the machine and the date, and prints a Markdown table for the README.

    python benchmarks/quality_per_cpu_minute.py [--budget-s 300] [--target 1.55] [--preset cpu]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from charlab.datasets import ensure  # noqa: E402
from charlab.provenance import device_description  # noqa: E402
from charlab.train import load_metrics  # noqa: E402

HERE = Path(__file__).resolve().parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--budget-s", type=float, default=300.0)
    parser.add_argument("--target", type=float, default=1.55)
    parser.add_argument("--preset", default="cpu")
    parser.add_argument("--out", type=Path, default=HERE / "results")
    args = parser.parse_args(argv)
    data = ensure("tinyshakespeare")
    with tempfile.TemporaryDirectory() as tmp:
        run = Path(tmp) / "run"
        cmd = [sys.executable, "-m", "charlab", "train", str(data), "--preset", args.preset, "--out", str(run),
               "--max-time-s", str(args.budget_s), "--quiet"]
        subprocess.run(cmd, check=True)
        metrics = load_metrics(run)
        config = json.loads((run / "config.json").read_text())
    within = [m for m in metrics if m["elapsed_s"] <= args.budget_s]
    best = min(m["val_loss"] for m in within)
    reached = next((m for m in within if m["val_loss"] <= args.target), None)
    stamp = {"date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
             "device": device_description("cpu"), "preset": args.preset, "budget_s": args.budget_s,
             "target": args.target, "best_val_loss": best, "parameters": config["parameters"],
             "reached_target_at_s": reached["elapsed_s"] if reached else None,
             "train_config": config["train_config"], "metrics": metrics}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"quality_{args.preset}.json").write_text(json.dumps(stamp, indent=1))
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot([m["elapsed_s"] / 60 for m in metrics], [m["val_loss"] for m in metrics], marker=".", label="val loss")
    ax.axhline(args.target, ls="--", color="gray", label=f"target {args.target}")
    ax.axvline(args.budget_s / 60, ls=":", color="gray")
    ax.set(xlabel="training wall time (min)", ylabel="val loss (nats/char)", ylim=(1.3, 2.6),
           title=f"tiny Shakespeare, preset {args.preset}, {stamp['device']}")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(args.out / f"quality_{args.preset}.png", dpi=100)
    print(f"\n{stamp['date']}, {stamp['device']}, preset {args.preset} ({config['parameters']:,} parameters)")
    print("| wall time | iteration | epoch | train loss | val loss (nats/char) | val bits/char |")
    print("|---:|---:|---:|---:|---:|---:|")
    for m in metrics:
        if m["iter"] % 200 == 0 or m is metrics[-1]:
            train = f"{m['train_loss']:.3f}" if m["train_loss"] is not None else "–"
            print(f"| {m['elapsed_s'] / 60:.1f} min | {m['iter']} | {m['epoch']:.2f} | {train} | "
                  f"{m['val_loss']:.3f} | {m['val_bpc']:.3f} |")
    verdict = (f"reached {args.target} after {reached['elapsed_s']:.0f} s" if reached
               else f"did NOT reach {args.target} within {args.budget_s:.0f} s")
    print(f"\nbest val loss within {args.budget_s:.0f} s: {best:.4f} nats/char; {verdict}")
    return 0 if reached else 1


if __name__ == "__main__":
    sys.exit(main())
