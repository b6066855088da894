"""Which model to train for a `long` results run (30-60 minutes on the 2-core CPU): named candidates, each trained
with the real CLI for the same short wall-time budget on the same data, one after another on one idle machine.

The `cpu` preset was chosen the same way (quality_per_cpu_minute.py). A proxy of a few minutes favours small fast
models over ones that would win in an hour, so the report keeps each candidate's whole curve, and the choice is
written beside the numbers in benchmarks/README.md and the preset's comment.

    python benchmarks/long_candidates.py warpeace [--budget-s 300] [--candidates "cpu 1x512" 2x512 ...] [--tag T]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from quality_per_cpu_minute import train_under_budget  # noqa: E402  (this folder: run as a script)

from charlab.datasets import ensure  # noqa: E402
from charlab.provenance import device_description  # noqa: E402

HERE = Path(__file__).resolve().parent
# name -> `charlab train` flags on top of the cpu preset (1x512 LSTM, embedding 64, batches of 32 x 64, Adam 4e-3
# with a cosine schedule over the time budget, bf16 where the CPU has it)
CANDIDATES = {
    "cpu 1x512": [],
    "2x512": ["--num-layers", "2"],
    "1x1024": ["--hidden-size", "1024", "--lr", "0.003"],
    "2x512 batch 64": ["--num-layers", "2", "--batch-size", "64"],
    # chapter 11's Transformer (`transformer-cpu`): nanoGPT's CPU configuration at two learning rates, and a wider one
    "transformer 4x128": ["--cell", "transformer", "--hidden-size", "128", "--num-layers", "4", "--heads", "4",
                          "--window", "64", "--embedding-dim", "0", "--lr", "0.002", "--warmup-iters", "100"],
    "transformer 4x128 lr 1e-3": ["--cell", "transformer", "--hidden-size", "128", "--num-layers", "4", "--heads",
                                  "4", "--window", "64", "--embedding-dim", "0", "--lr", "0.001",
                                  "--warmup-iters", "100"],
    "transformer 2x256": ["--cell", "transformer", "--hidden-size", "256", "--num-layers", "2", "--heads", "4",
                          "--window", "64", "--embedding-dim", "0", "--lr", "0.002", "--warmup-iters", "100"],
}


def train_for(data: Path, flags: list[str], budget_s: float) -> dict:
    """One candidate trained by the CLI under the budget (the cpu preset, `flags` on top); its metrics and a
    summary."""
    config, metrics, speed = train_under_budget(data, budget_s, [
        "--preset", "cpu", "--max-iters", "1000000", "--eval-interval", "200", "--eval-max-chunks", "24", *flags])
    return {"flags": flags, "parameters": config["parameters"], "precision": config["precision"],
            "best_val_loss": min(m["val_loss"] for m in metrics), "iters": metrics[-1]["iter"],
            "chars_per_s": speed, "metrics": metrics}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dataset")
    parser.add_argument("--budget-s", type=float, default=300.0)
    parser.add_argument("--candidates", nargs="+", default=list(CANDIDATES), choices=list(CANDIDATES))
    parser.add_argument("--out", type=Path, default=HERE / "results")
    parser.add_argument("--tag", default="", help="appended to the output files' name")
    args = parser.parse_args(argv)
    data = ensure(args.dataset)
    runs = {}
    for name in args.candidates:
        runs[name] = train_for(data, CANDIDATES[name], args.budget_s)
        r = runs[name]
        print(f"{name:>16}: {r['parameters']:>10,} parameters, {r['iters']:>6,} iterations, "
              f"{r['chars_per_s']:>7,.0f} chars/s, best val loss {r['best_val_loss']:.4f}", flush=True)
    stamp = {"date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
             "device": device_description("cpu"), "dataset": args.dataset, "budget_s": args.budget_s,
             "runs": runs, "best": min(runs, key=lambda n: runs[n]["best_val_loss"])}
    args.out.mkdir(parents=True, exist_ok=True)
    name = f"long_candidates_{args.dataset}" + (f"_{args.tag}" if args.tag else "")
    (args.out / f"{name}.json").write_text(json.dumps(stamp, indent=1))
    fig, ax = plt.subplots(figsize=(7, 4))
    for label, r in runs.items():
        ax.plot([m["elapsed_s"] / 60 for m in r["metrics"]], [m["val_loss"] for m in r["metrics"]], marker=".",
                label=f"{label}: {r['parameters'] / 1e6:.1f} M, best {r['best_val_loss']:.3f}")
    ax.set(xlabel="training wall time (min)", ylabel="val loss (nats/char)",
           title=f"{args.dataset}: long-run candidates, {args.budget_s / 60:g} min each\n{stamp['device']}")
    ax.set_ylim(top=min(3.0, ax.get_ylim()[1]))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(args.out / f"{name}.png", dpi=110)
    print(f"best: {stamp['best']}; {args.out / name}.json and .png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
