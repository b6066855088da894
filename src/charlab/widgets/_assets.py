"""Front-end code and data checks shared by charlab's widgets.

anywidget loads a widget's front end as one ES module from a string, so a module cannot import a sibling file:
`esm(name)` prepends the shared helpers (common.js), and for the widgets that run the model in the page the
in-page LSTM (lstm.js), to the widget's own file.
"""

from __future__ import annotations

import math
from importlib import resources
from numbers import Real

from charlab.errors import CharlabError

_PKG = resources.files("charlab.widgets")


def esm(name: str, shared: tuple[str, ...] = ()) -> str:
    """The ES module for widget `name`: common.js, then each of `shared` (e.g. "lstm"), then `<name>.js`."""
    parts = ["common", *shared, name]
    return "\n".join(_PKG.joinpath(f"{part}.js").read_text("utf-8") for part in parts)


def css() -> str:
    """The stylesheet every charlab widget shares."""
    return _PKG.joinpath("widgets.css").read_text("utf-8")


def finite(value: object, what: str) -> float:
    """`value` as a float, or CharlabError unless it is a finite real (NaN would break the page's JSON)."""
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(float(value)):
        raise CharlabError(f"{what} must be a finite number, got {value!r}")
    return float(value)


def measure_value(value: object, what: str) -> float | None:
    """A measure's value for the page: a float, or None (shown as '–') for NaN/None, e.g. an empty mean."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, Real):
        raise CharlabError(f"{what} must be a number or None, got {value!r}")
    v = float(value)
    if math.isinf(v):
        raise CharlabError(f"{what} must not be infinite")
    return None if math.isnan(v) else v
