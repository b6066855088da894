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


def scale_ladder(points: list[tuple[str, float, float]], ylabel: str, ax: plt.Axes | None = None,
                 target: float | None = None, target_label: str = "", higher_is_better: bool = True) -> plt.Axes:
    """A claim's own measure against training compute, one point per model: `points` are (label, training
    characters read, measure), e.g. [("cpu", 2.9e6, 0.41), ("long", 2.6e7, 0.63)]. `target` draws the level at
    which the claim would hold, so a reader sees how far each scale is from it and whether it is moving."""
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.8))
    pts = sorted(points, key=lambda p: p[1])
    ax.plot([p[1] for p in pts], [p[2] for p in pts], "-o", color="C0")
    for label, x, y in pts:
        ax.annotate(label, (x, y), textcoords="offset points", xytext=(6, 6), fontsize=9)
    if target is not None:
        ax.axhline(target, ls="--", lw=1, color="gray")
        ax.annotate(target_label or f"holds at {target:g}", (ax.get_xlim()[0], target), va="bottom", fontsize=8,
                    color="gray")
    ax.set_xscale("log")
    ax.set_xlabel("training characters read (log scale)")
    ax.set_ylabel(ylabel + ("" if higher_is_better else " (lower is better)"))
    ax.grid(alpha=0.3)
    return ax
