"""Figures several chapters draw the same way."""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt

from .units import bits, nats


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
    bits_axis(ax)
    ax.grid(alpha=0.3)
    ax.legend()
    return ax


def bits_axis(ax: plt.Axes, label: str = "bits/char") -> plt.Axes:
    """A right-hand axis showing the left axis's nats/char in bits/char."""
    right = ax.secondary_yaxis("right", functions=(bits, nats))
    right.set_ylabel(label)
    return right
