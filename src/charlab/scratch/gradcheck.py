"""Numerical gradient checking: does a backward pass compute the gradient of its own forward pass?

For each parameter entry w we compare the analytic gradient a (from the backward pass) with the centred
difference b = (L(w + d) - L(w - d)) / 2d, in float64, through the relative error

    |a - b| / max(|a| + |b|, eps)

which is 0 when both are exactly 0 (an input character absent from the chunk gives exactly zero gradient to its
column of Wxh), at most 1, and not inflated when a and b have opposite signs. The gist's snippet divided by
|a + b| instead (`buggy_rel_error`): nan for 0/0 and a huge number when the signs differ. It also compared a
*clipped* analytic gradient with an unclipped numerical one; pass the loss and gradients both unclipped.

Two numerical references are offered:

- `method="central"` (the gist's): exact up to O(d^2), but L(w+d) - L(w-d) cancels almost all digits, so its
  absolute error has a floor of about machine-eps * |L| / d (~1e-9 for a 25-character chunk, d = 1e-5). Entries
  whose true gradient is ~1e-5 then show relative errors ~1e-4 without anything being wrong with the backward pass.
- `method="complex"` (complex step): b = Im L(w + i*d) / d with d = 1e-20. There is no subtraction, so b is
  accurate to machine precision *relative to the gradient itself*, however small it is. It needs a loss that
  is analytic in the parameters and runs on complex arrays (ours do: tanh, exp, log, dot, +, *).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from charlab.errors import CharlabError


def rel_error(a: np.ndarray | float, b: np.ndarray | float, eps: float = 1e-12) -> np.ndarray:
    """|a - b| / max(|a| + |b|, eps), elementwise."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), eps)


def buggy_rel_error(a: np.ndarray | float, b: np.ndarray | float) -> np.ndarray:
    """The gist's `abs(a - b) / abs(a + b)`: nan when both are 0, inflated when the signs differ."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.abs(a - b) / np.abs(a + b)


@dataclass
class ParamCheck:
    """The check of one parameter array."""

    name: str
    n_checked: int
    n_both_zero: int  # entries where analytic and numerical gradient are both exactly 0
    max_rel_error: float
    median_rel_error: float
    worst_analytic: float  # the pair with the largest relative error
    worst_numerical: float
    rel_errors: np.ndarray = field(repr=False)
    analytic: np.ndarray = field(repr=False)  # the checked entries, flattened
    numerical: np.ndarray = field(repr=False)


@dataclass
class GradcheckReport:
    """Per-parameter results; `ok(tol)` is True when every checked entry is within tol."""

    checks: list[ParamCheck]
    method: str = "central"

    @property
    def max_rel_error(self) -> float:
        return max(c.max_rel_error for c in self.checks)

    def ok(self, tol: float = 1e-7) -> bool:
        return all(c.max_rel_error <= tol for c in self.checks)

    def table(self) -> str:
        """A plain-text table, one row per parameter."""
        head = f"{'param':<6} {'checked':>8} {'both 0':>7} {'max rel err':>12} {'median':>10}   worst pair"
        rows = [f"numerical gradient: {self.method}", head, "-" * len(head)]
        for c in self.checks:
            rows.append(f"{c.name:<6} {c.n_checked:>8} {c.n_both_zero:>7} {c.max_rel_error:>12.2e} "
                        f"{c.median_rel_error:>10.2e}   analytic {c.worst_analytic:+.6e}, "
                        f"numerical {c.worst_numerical:+.6e}")
        return "\n".join(rows)

    def __str__(self) -> str:
        return self.table()


def numerical_gradient(loss_fn: Callable[[], float], param: np.ndarray, indices: np.ndarray,
                       delta: float = 1e-5) -> np.ndarray:
    """Centred differences of loss_fn() with respect to param.flat[i] for each i (param is nudged in place)."""
    out = np.empty(len(indices))
    for j, i in enumerate(indices):
        old = param.flat[i]
        param.flat[i] = old + delta
        plus = loss_fn()
        param.flat[i] = old - delta
        minus = loss_fn()
        param.flat[i] = old  # always restore
        out[j] = (plus - minus) / (2 * delta)
    return out


def complex_step_gradient(loss_fn: Callable[[], complex], params: dict[str, np.ndarray], name: str,
                          indices: np.ndarray, delta: float = 1e-20) -> np.ndarray:
    """Im L(w + i*delta) / delta for each entry; params[name] is swapped for a complex copy, then restored."""
    real = params[name]
    z = real.astype(np.complex128)
    params[name] = z
    out = np.empty(len(indices))
    try:
        for j, i in enumerate(indices):
            z.flat[i] = real.flat[i] + 1j * delta
            out[j] = np.imag(loss_fn()) / delta
            z.flat[i] = real.flat[i]
    finally:
        params[name] = real
    return out


def gradcheck(
    loss_fn: Callable[[], float],
    params: dict[str, np.ndarray],
    grads: dict[str, np.ndarray],
    num_checks: int | None = None,
    method: str = "central",
    delta: float | None = None,
    seed: int = 0,
    rel: Callable[[np.ndarray, np.ndarray], np.ndarray] = rel_error,
) -> GradcheckReport:
    """Compare `grads` with numerical gradients of `loss_fn` for every array in `params`.

    loss_fn() must look the arrays up in `params` on every call (they are nudged, or for the complex step
    swapped, and then restored) and return the same unclipped loss that `grads` is the gradient of.
    num_checks=None checks every entry; otherwise that many entries per parameter, drawn without replacement.
    `method` is "central" (delta 1e-5 by default) or "complex" (delta 1e-20). `rel` swaps in another relative
    error (the gist's).
    """
    if method not in ("central", "complex"):
        raise CharlabError(f"unknown gradient-check method {method!r}: use 'central' or 'complex'")
    if delta is None:
        delta = 1e-5 if method == "central" else 1e-20
    rng = np.random.default_rng(seed)
    checks = []
    for name, param in params.items():
        if param.dtype != np.float64:
            raise CharlabError(f"gradient check needs float64 parameters, {name} is {param.dtype}")
        grad = grads[name]
        if grad.shape != param.shape:
            raise CharlabError(f"gradient of {name} has shape {grad.shape}, the parameter {param.shape}")
        if num_checks is None or num_checks >= param.size:
            idx = np.arange(param.size)
        else:
            idx = rng.choice(param.size, size=num_checks, replace=False)
        if method == "central":
            numerical = numerical_gradient(loss_fn, param, idx, delta)
        else:
            numerical = complex_step_gradient(loss_fn, params, name, idx, delta)
        analytic = grad.ravel()[idx]
        errs = rel(analytic, numerical)
        worst = int(np.nanargmax(errs)) if np.any(np.isfinite(errs)) else 0
        has_nan = bool(np.any(np.isnan(errs)))
        checks.append(ParamCheck(
            name=name,
            n_checked=len(idx),
            n_both_zero=int(np.sum((analytic == 0) & (numerical == 0))),
            max_rel_error=float("nan") if has_nan else float(np.max(errs)),
            median_rel_error=float(np.nanmedian(errs)) if np.any(~np.isnan(errs)) else float("nan"),
            worst_analytic=float(analytic[worst]),
            worst_numerical=float(numerical[worst]),
            rel_errors=errs,
            analytic=analytic,
            numerical=numerical,
        ))
    return GradcheckReport(checks, method)
