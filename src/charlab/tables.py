"""The one table helper: rows of values -> a pandas DataFrame of formatted cells.

A DataFrame renders as an HTML table in the notebook and in the book, and `DataFrame.to_markdown()` gives
markdown where a page needs it. The cells are formatted strings, so a table shows exactly the digits the prose
quotes (a share printed as "90%" in the table is the value the text rounds the same way), and a missing value
(None or NaN) prints as "–".
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pandas as pd

Format = str | Callable[[Any], str]
MISSING = "–"


def cell(value: Any, fmt: Format | None = None) -> str:
    """One formatted cell: `fmt` is a format spec ("{:.1%}", "{:,}") or a function; None/NaN -> "–"."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return MISSING
    if fmt is None:
        return f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else str(value)
    return fmt(value) if callable(fmt) else fmt.format(value)


def table(rows: Sequence[Mapping[str, Any]], formats: Mapping[str, Format] | None = None) -> pd.DataFrame:
    """A DataFrame with one row per mapping (columns in the order of the first row), every cell formatted by
    `formats[column]`. The first column labels the rows (it becomes the index: no row numbers are shown)."""
    if not rows:
        raise ValueError("a table needs at least one row")
    formats = formats or {}
    columns = list(rows[0])
    df = pd.DataFrame([{c: cell(r.get(c), formats.get(c)) for c in columns} for r in rows], columns=columns)
    return df.set_index(columns[0])
