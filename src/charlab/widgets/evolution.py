"""A slider over training iterations: the post's "evolution of samples while training", browsable.

Shows the sample taken at each checkpoint, a marker on the loss curve at that iteration, and the measures of
that sample (real-word share, double spaces, ...). Everything is embedded, so it works in the static book.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import anywidget
import traitlets as t

from charlab.errors import CharlabError
from charlab.widgets import _assets

# The loss curve is embedded in the page; a few thousand points draw the same 320-pixel-wide line as 100k.
MAX_LOSS_POINTS = 2000


class EvolutionWidget(anywidget.AnyWidget):
    """Slider over sampled iterations, with the loss curve and per-sample measures.

    iterations: the iterations at which samples were taken, strictly increasing
    samples:    the text sampled at each of those iterations
    losses:     (iteration, loss) points of the training curve
    measures:   {measure name: [value per sampled iteration]} (a value may be None/NaN when undefined)
    """

    _esm = _assets.esm("evolution")
    _css = _assets.css()

    iterations = t.List(t.Int()).tag(sync=True)
    samples = t.List(t.Unicode()).tag(sync=True)
    losses = t.List(t.List(t.Float())).tag(sync=True)  # [[iteration, loss], ...], sorted, thinned
    measures = t.List(t.List()).tag(sync=True)  # [[name, [value per sampled iteration]], ...], caller's order
    index = t.Int(0).tag(sync=True)

    def __init__(
        self,
        iterations: Sequence[int],
        samples: Sequence[str],
        losses: Sequence[tuple[int, float]],
        measures: Mapping[str, Sequence[float | None]] | None = None,
        **kwargs: object,
    ) -> None:
        its, texts, curve, table = _validate(iterations, samples, losses, measures)
        super().__init__(iterations=its, samples=texts, losses=curve, measures=table, index=0, **kwargs)

    @property
    def iteration(self) -> int:
        """The iteration the slider currently shows."""
        return self.iterations[self.index]


def _validate(
    iterations: Sequence[int],
    samples: Sequence[str],
    losses: Sequence[tuple[int, float]],
    measures: Mapping[str, Sequence[float | None]] | None,
) -> tuple[list[int], list[str], list[list[float]], list[list]]:
    its = list(iterations)
    texts = list(samples)
    if not its or not texts:
        raise CharlabError("EvolutionWidget needs at least one sampled iteration and its sample")
    if len(its) != len(texts):
        raise CharlabError(f"got {len(its)} iterations but {len(texts)} samples: pass one per iteration")
    for it in its:
        if isinstance(it, bool) or not isinstance(it, int) or it < 0:
            raise CharlabError(f"iterations must be non-negative ints, got {it!r}")
    if any(b <= a for a, b in zip(its, its[1:], strict=False)):
        raise CharlabError(f"iterations must be strictly increasing, got {its[:10]}...")
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise CharlabError(f"the sample at iteration {its[i]} must be a str, got {type(text).__name__}")
    curve = []
    for point in losses:
        if len(point) != 2:
            raise CharlabError(f"losses must be (iteration, loss) pairs, got {point!r}")
        it, loss = _assets.finite(point[0], "a loss point's iteration"), _assets.finite(point[1], "a loss")
        curve.append([it, loss])
    if not curve:
        raise CharlabError("EvolutionWidget needs the loss curve: pass losses=[(iteration, loss), ...]")
    curve.sort(key=lambda p: p[0])
    if len(curve) > MAX_LOSS_POINTS:
        step = len(curve) / MAX_LOSS_POINTS
        curve = [curve[int(i * step)] for i in range(MAX_LOSS_POINTS - 1)] + [curve[-1]]
    table: list[list] = []
    for name, values in (measures or {}).items():
        values = list(values)
        if len(values) != len(its):
            raise CharlabError(f"measure {name!r} has {len(values)} values for {len(its)} sampled iterations")
        table.append([str(name), [_assets.measure_value(v, f"measure {name!r} at iteration {its[i]}")
                                  for i, v in enumerate(values)]])
    return its, texts, curve, table
