"""Quality per CPU-minute: how low does `charlab train tinyshakespeare --preset cpu` get the validation loss within
5 minutes of training wall time on this machine, in fp32 and in bf16 mixed precision?

Runs the real CLI once per precision, one after the other in the same invocation (so both see the same machine),
with the same wall-time budget, then reads metrics.jsonl, where `elapsed_s` is wall time since training started
(evaluations included) and `chars_per_s` the training speed. Target: val loss <= 1.47 nats/char within 300 s
(nanoGPT's 6-layer transformer reaches 1.4697 on a GPU). Writes the curves as JSON and PNG under results/, stamped
with the machine and the date, and prints Markdown tables for the README. Run it on an idle machine.

    python benchmarks/quality_per_cpu_minute.py [--budget-s 300] [--target 1.47] [--preset cpu] [--precision fp32 bf16]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from charlab.datasets import ensure  # noqa: E402
from charlab.provenance import device_description  # noqa: E402
from charlab.runs import load_metrics  # noqa: E402

HERE = Path(__file__).resolve().parent


def train_under_budget(data: Path, budget_s: float, flags: list[str]) -> tuple[dict, list[dict], float]:
    """`charlab train DATA --max-time-s BUDGET_S FLAGS...`, the real CLI in a subprocess, into a temporary folder:
    the run's config.json, its metrics and its median training speed (chars/s). long_candidates.py uses it too."""
    with tempfile.TemporaryDirectory() as tmp:
        run = Path(tmp) / "run"
        cmd = [sys.executable, "-m", "charlab", "train", str(data), "--out", str(run), "--max-time-s", str(budget_s),
               "--quiet", *flags]
        subprocess.run(cmd, check=True)
        metrics = load_metrics(run)
        config = json.loads((run / "config.json").read_text())
    return config, metrics, statistics.median(m["chars_per_s"] for m in metrics if m["chars_per_s"])


def train_for(data: Path, preset: str, precision: str, budget_s: float, extra: list[str]) -> dict:
    """One run of the CLI under the budget; its config, metrics and a summary."""
    config, metrics, speed = train_under_budget(data, budget_s, ["--preset", preset, "--precision", precision, *extra])
    within = [m for m in metrics if m["elapsed_s"] <= budget_s * 1.02]  # the last evaluation ends just past it
    return {"precision": precision, "parameters": config["parameters"], "train_config": config["train_config"],
            "best_val_loss": min(m["val_loss"] for m in within), "iters": metrics[-1]["iter"],
            "chars_per_s": speed, "metrics": metrics}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--budget-s", type=float, default=300.0)
    parser.add_argument("--target", type=float, default=1.47)
    parser.add_argument("--preset", default="cpu")
    parser.add_argument("--precision", nargs="+", default=["fp32", "bf16"], choices=["fp32", "bf16", "auto"])
    parser.add_argument("--out", type=Path, default=HERE / "results")
    parser.add_argument("extra", nargs="*", help="more `charlab train` flags after --, e.g. -- --lr 0.005")
    args = parser.parse_args(argv)
    data = ensure("tinyshakespeare")
    runs = [train_for(data, args.preset, p, args.budget_s, args.extra) for p in args.precision]
    stamp = {"date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
             "device": device_description("cpu"), "preset": args.preset, "extra_flags": args.extra,
             "budget_s": args.budget_s, "target": args.target, "runs": runs}
    for r in runs:
        r["reached_target_at_s"] = next((m["elapsed_s"] for m in r["metrics"] if m["val_loss"] <= args.target
                                         and m["elapsed_s"] <= args.budget_s * 1.02), None)
    args.out.mkdir(parents=True, exist_ok=True)
    name = f"quality_{args.preset}"
    (args.out / f"{name}.json").write_text(json.dumps(stamp, indent=1))
    fig, ax = plt.subplots(figsize=(7, 4))
    for r in runs:
        ax.plot([m["elapsed_s"] / 60 for m in r["metrics"]], [m["val_loss"] for m in r["metrics"]], marker=".",
                label=f"{r['precision']}: {r['chars_per_s']:,.0f} chars/s, best {r['best_val_loss']:.3f}")
    ax.axhline(args.target, ls="--", color="gray", label=f"target {args.target}")
    ax.axvline(args.budget_s / 60, ls=":", color="gray")
    ax.set(xlabel="training wall time (min)", ylabel="val loss (nats/char)", ylim=(1.3, 2.6),
           title=f"tiny Shakespeare, preset {args.preset} {' '.join(args.extra)}\n{stamp['device']}")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(args.out / f"{name}.png", dpi=100)
    print(f"\n{stamp['date']}, {stamp['device']}, preset {args.preset} {' '.join(args.extra)} "
          f"({runs[0]['parameters']:,} parameters), budget {args.budget_s:.0f} s")
    print("\n| precision | chars/s (median) | iterations | best val loss (nats/char) | target reached at |")
    print("|---|---:|---:|---:|---:|")
    for r in runs:
        at = f"{r['reached_target_at_s']:.0f} s" if r["reached_target_at_s"] is not None else "not reached"
        print(f"| {r['precision']} | {r['chars_per_s']:,.0f} | {r['iters']:,} | {r['best_val_loss']:.4f} | {at} |")
    for r in runs:
        print(f"\n{r['precision']}:")
        print("| wall time | iteration | epoch | train loss | val loss (nats/char) | val bits/char |")
        print("|---:|---:|---:|---:|---:|---:|")
        for m in r["metrics"]:
            if m["iter"] % 200 == 0 or m is r["metrics"][-1]:
                train = f"{m['train_loss']:.3f}" if m["train_loss"] is not None else "–"
                print(f"| {m['elapsed_s'] / 60:.1f} min | {m['iter']} | {m['epoch']:.2f} | {train} | "
                      f"{m['val_loss']:.3f} | {m['val_bpc']:.3f} |")
    return 0 if any(r["reached_target_at_s"] is not None for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
