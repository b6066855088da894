import math

import pytest

from charlab.tables import MISSING, cell, table


def test_cells_are_formatted_and_missing_values_are_a_dash():
    assert cell(0.8964, "{:.1%}") == "89.6%" and cell(0.8964, "{:.0%}") == "90%"
    assert cell(12345) == "12,345" and cell(True) == "True" and cell("x") == "x"
    assert cell(math.nan, "{:.3f}") == MISSING and cell(None) == MISSING
    assert cell(2.5, lambda v: f"<{v}>") == "<2.5>"


def test_table_labels_rows_by_the_first_column_and_keeps_column_order():
    df = table([{"model": "bigram", "loss": 2.31234, "share": 0.5},
                {"model": "RNN", "loss": 1.9, "share": math.nan}], {"loss": "{:.3f}", "share": "{:.0%}"})
    assert list(df.columns) == ["loss", "share"] and list(df.index) == ["bigram", "RNN"]
    assert df.loc["bigram", "loss"] == "2.312" and df.loc["RNN", "share"] == MISSING
    assert "| bigram  |  2.312 | 50%     |" in df.to_markdown()  # tabulate right-aligns numbers
    with pytest.raises(ValueError):
        table([])
