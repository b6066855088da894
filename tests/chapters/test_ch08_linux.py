import math

import matplotlib
import pytest

from charlab.analysis.copying import SubstringIndex
from charlab.analysis.csource import identifiers
from charlab.chapters import ch08_linux as ch08
from charlab.errors import CharlabError

matplotlib.use("Agg")

FUNC = ("static int add_one(int a)\n{\n\tint b = a + 1;\n\n\tif (b > 2) {\n\t\tb = b * 2;\n\t}\n\treturn b;\n}\n\n")
TRAIN = "/* training */\n" + FUNC.replace("add_one", "f0") * 3
# a window as they are cut: the end of one function, whole functions, the start of another
WINDOW = "\treturn x;\n}\n\n" + FUNC + FUNC.replace("add_one", "add_two") + "static void cut(void)\n{\n\tint"


@pytest.fixture(scope="module")
def index():
    return SubstringIndex(TRAIN)


def test_real_like_code_measures_clean(index):
    m = ch08.measure_code("real", [WINDOW, WINDOW], identifiers(TRAIN), index)
    assert m.chars == 2 * len(WINDOW) and m.functions == 4 and m.clean_functions == 4
    assert m.parse_errors == 0 and m.bracket_errors == 0 and m.unterminated == 0
    assert m.indent_lines > 0 and m.indent_matched == m.indent_lines and m.indent_steps_matched == m.indent_steps
    assert m.uses > 0 and m.undefined_uses == 0 and m.locals == 4 and m.unused_locals == 0
    assert m.invented == 2  # add_one and add_two never occur in the training text
    row = m.row()
    assert row["parse errors / 1,000 chars"] == 0 and row["lines indented to brace depth"] == 1.0
    assert row["longest copy (median chars)"] >= len("(int a)\n{\n\tint b = a + 1;")


def test_broken_code_is_counted(index):
    bad = ("}\n\nint g(int a)\n{\n\tint unused;\n\treturn a + ghost;\n}\n\n"
           "int h(void)\n{\n  if (x) {\n\treturn (1];\n}\n\n")
    m = ch08.measure_code("LSTM", [bad], identifiers(TRAIN), index)
    assert m.undefined_uses >= 1 and "ghost" in m.undefined_names  # in a function with a parse error too
    assert m.unused_locals == 1 and "unused" in m.unused_names
    assert m.bracket_errors >= 1 and m.parse_errors >= 1
    assert m.indent_matched < m.indent_lines
    empty = ch08.measure_code("nothing", ["just prose, no code"], set(), index)
    assert math.isnan(empty.row()["parse errors / 1,000 chars"]) and empty.functions == 0


def _measures(**fields):
    base = dict(label="x", chars=10_000, kept_chars=5_000, parse_errors=0, functions=10, clean_functions=10,
                bracket_errors=0, unterminated=0, indent_lines=100, indent_matched=100, indent_steps=90,
                indent_steps_matched=90, uses=100, undefined_uses=10,
                locals=20, unused_locals=1, distinct_identifiers=50, invented=5, longest_copy=[30, 40],
                copied_share=0.0, undefined_names=None, unused_names=None)
    base.update(fields)
    return ch08.CodeMeasures(**base)


def test_verdicts_against_real_code():
    real = _measures(label="real", parse_errors=2)  # 0.4 errors / 1,000 chars
    assert ch08.syntax_verdict(_measures(label="LSTM", parse_errors=4), real)[0] == "holds"
    assert ch08.syntax_verdict(_measures(label="LSTM", parse_errors=9), real)[0] == "holds partly"
    assert ch08.syntax_verdict(_measures(label="LSTM", parse_errors=50), real)[0] == "not reached at this scale"
    assert ch08.brackets_indent_verdict(_measures(label="LSTM", indent_steps_matched=85), real)[0] == "holds"
    assert ch08.brackets_indent_verdict(_measures(label="LSTM", indent_steps_matched=50), real)[0] == "holds partly"
    more = _measures(label="LSTM", undefined_uses=30)
    assert ch08.names_verdict(more, real, "undefined_uses", "uses", "uses")[0] == "holds"
    assert ch08.names_verdict(_measures(label="LSTM", undefined_uses=12), real, "undefined_uses", "uses",
                              "uses")[0] == "holds partly"
    assert ch08.names_verdict(_measures(label="LSTM", undefined_uses=5), real, "undefined_uses", "uses",
                              "uses")[0] == "contradicted"
    assert ch08.names_verdict(_measures(label="LSTM", uses=3), real, "undefined_uses", "uses",
                              "uses")[0] == "not reached at this scale"


def test_a_measure_that_cannot_be_taken_reads_as_a_dash():
    real = _measures(label="real", parse_errors=2)
    none = _measures(label="LSTM", kept_chars=0, functions=0, clean_functions=0)
    verdict, value, measured = ch08.syntax_verdict(none, real)
    assert verdict == "not reached at this scale" and value == "– vs real 0.40 errors / 1,000 chars"
    assert "– of the LSTM's 0 functions parse without error (real: 100%)" in measured


def test_goldberg_verdict_and_table():
    real, lstm = _measures(label="real"), _measures(label="LSTM", bracket_errors=1)
    sloppy = _measures(label="20-gram", bracket_errors=20, copied_share=0.6)  # 2 errors / 1,000 chars
    tidy = _measures(label="20-gram", bracket_errors=0, copied_share=0.9)
    drifting = _measures(label="20-gram", indent_steps_matched=70)  # 78% of steps against real's 100%
    verdict, _, measured = ch08.goldberg_verdict([sloppy], lstm, real)
    assert verdict == "holds" and "60%" in measured and "are not better on both" in measured
    assert ch08.goldberg_verdict([drifting], lstm, real)[0] == "holds"
    assert ch08.goldberg_verdict([tidy], lstm, real)[0] == "contradicted"
    df = ch08.measures_table([real, sloppy])
    assert df.loc["20-gram", "bracket errors / 1,000 chars"] == "2.00"
    assert df.loc["real", "variable uses undeclared in the text"] == "10%"
    ch08.plot_measures([lstm, sloppy], real)
    with pytest.raises(CharlabError, match="unknown scale"):
        ch08.sizes("tiny")
