"""Figures several chapters draw the same way."""

from __future__ import annotations

import math
from typing import Any

import matplotlib.pyplot as plt


def plot_losses(metrics: list[dict[str, Any]], ax: plt.Axes | None = None, label: str = "", x: str = "iter",
                anchors: dict[str, float] | None = None) -> plt.Axes:
    """Train and validation loss (nats/char on the left axis, bits/char on the right) against iterations.

    `anchors` draws horizontal reference lines, e.g. {"nanoGPT val loss (GPU)": 1.4697}."""
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 4.5))
    rows = [r for r in metrics if r.get("train_loss") is not None]
    prefix = f"{label} " if label else ""
    ax.plot([r[x] for r in rows], [r["train_loss"] for r in rows], label=f"{prefix}train", alpha=0.8)
    ax.plot([r[x] for r in metrics], [r["val_loss"] for r in metrics], label=f"{prefix}validation", lw=2)
    for name, value in (anchors or {}).items():
        ax.axhline(value, ls="--", lw=1, color="gray")
        ax.annotate(name, (ax.get_xlim()[1], value), ha="right", va="bottom", fontsize=8, color="gray")
    ax.set_xlabel({"iter": "iteration", "elapsed_s": "wall time (s)", "epoch": "epoch"}.get(x, x))
    ax.set_ylabel("loss (nats/char)")
    bits = ax.secondary_yaxis("right", functions=(lambda n: n / math.log(2), lambda b: b * math.log(2)))
    bits.set_ylabel("bits/char")
    ax.grid(alpha=0.3)
    ax.legend()
    return ax
