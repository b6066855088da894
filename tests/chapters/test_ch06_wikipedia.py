import math

import matplotlib
import pytest

from charlab.chapters import ch06_wikipedia as ch06
from charlab.errors import CharlabError

matplotlib.use("Agg")

PAGE = ("  <page>\n    <title>Anarchism</title>\n    <id>12</id>\n    <revision>\n      <id>42</id>\n"
        "      <timestamp>2006-02-28T17:22:04Z</timestamp>\n      <contributor>\n        <username>Bob</username>\n"
        "        <id>7</id>\n      </contributor>\n      <text xml:space=\"preserve\">'''Anarchism''' (from "
        "[[Greek language|Greek]]) is a [[political philosophy]].\n\n== See also ==\n* [[Anarchy]]\n"
        "* [http://www.example.org/a Example]\n{{cite book|title=X}}</text>\n    </revision>\n  </page>\n")
TRAIN = PAGE * 3


def test_measure_windows_pools_every_measure_over_the_windows():
    m = ch06.measure_windows("real", [PAGE, PAGE])
    assert m.chars == 2 * len(PAGE)
    assert m.blocks == {"page": (2, 2), "revision": (2, 2), "contributor": (2, 2)}
    assert m.tags.closes == 2 * 10 and m.tags.in_order_share == 1.0
    assert m.brackets["[["].opened == 6 and m.brackets["[["].closed_share == 1.0
    assert m.brackets["("].closed == 2 and m.brackets["'''"].closed == 2
    assert m.links == ["Greek language", "Political philosophy", "Anarchy"] * 2
    assert m.hosts == ["example.org", "example.org"] and m.timestamps == ["2006-02-28T17:22:04Z"] * 2
    assert m.ids == ["12", "42", "7"] * 2
    wikitext = sum(i.chars for i in m.items)
    assert m.per_kchar("headings") == pytest.approx(1000 * 2 / wikitext)
    assert m.per_kchar("list_items") == pytest.approx(1000 * 4 / wikitext)


def test_broken_xml_and_unclosed_brackets_are_counted():
    broken = PAGE.replace("      </contributor>\n", "").replace("(from ", "((from ")
    m = ch06.measure_windows("sample", [broken])
    assert m.blocks["page"] == (1, 0) and m.blocks["contributor"] == (0, 0)
    assert m.tags.wrong == {("contributor", "revision"): 1}
    assert m.brackets["("].opened == 2 and m.brackets["("].closed == 1
    empty = ch06.measure_windows("nothing", [""])
    assert empty.chars == 0 and math.isnan(empty.per_kchar("headings")) and math.isnan(empty.well_formed_share("page"))


def test_known_sets_and_the_invention_table():
    known = ch06.Known.from_text(TRAIN)
    assert known.links == {"Greek language", "Political philosophy", "Anarchy"}
    assert known.hosts == {"example.org"} and known.domains == {"example.org"}
    assert ch06.domain("humah.yahoo.com") == "yahoo.com"
    sample = PAGE.replace("example.org", "humah.yahoo.com").replace("2006-02-28", "2006-02-30")
    m = ch06.measure_windows("LSTM", [sample])
    df = ch06.invention_table([m], known)
    assert df.loc["LSTM", "URL new"] == "100%" and df.loc["LSTM", "host new"] == "100%"
    assert df.loc["LSTM", "valid dates"] == "0%" and df.loc["LSTM", "new to training"] == "0%"
    verdict, value, _ = ch06.url_verdict(m, known)
    assert verdict == "holds" and value == "1 URLs, 100% new"
    verdict, _, measured = ch06.invented_metadata_verdict(m, known)
    assert verdict == "not reached at this scale" and "0% of them real calendar dates" in measured


def test_xml_verdict_needs_enough_tags_and_well_formed_blocks():
    good = ch06.measure_windows("pages", [PAGE] * 2)
    assert ch06.xml_verdict(good)[0] == "holds"
    few = ch06.measure_windows("pages", ["<title>A</title>"])
    assert ch06.xml_verdict(few)[0] == "not reached at this scale"
    swapped = PAGE.replace("        <id>7</id>\n      </contributor>\n", "        <id>7</id>\n")
    half = ch06.measure_windows("pages", [swapped] * 2)  # tags out of order, blocks broken
    assert ch06.xml_verdict(half)[0] == "not reached at this scale"


def test_parentheses_and_structure_verdicts():
    real = ch06.measure_windows("real", [PAGE])
    same = ch06.measure_windows("LSTM", [PAGE])
    open_paren = ch06.measure_windows("LSTM", [PAGE.replace("(from ", "(((from ")])
    worse = ch06.measure_windows("n-gram", [PAGE.replace("(from ", "((((from ")])
    assert ch06.parentheses_verdict(same, real, worse)[0] == "holds"
    assert ch06.parentheses_verdict(open_paren, real, worse)[0] == "holds partly"  # 1/3 closed, n-gram 1/4
    assert ch06.parentheses_verdict(worse, real, open_paren)[0] == "not reached at this scale"
    assert ch06.structure_verdict(same, real)[0] == "holds"
    flat = ch06.measure_windows("LSTM", [PAGE.replace("== See also ==", "See also").replace("* ", "")])
    assert ch06.structure_verdict(flat, real)[0] == "not reached at this scale"


def test_tables_plot_and_sizes():
    rows = [ch06.measure_windows("real", [PAGE]), ch06.measure_windows("LSTM", ["no markup at all"])]
    assert list(ch06.bracket_table(rows).index) == ["real", "LSTM"]
    assert ch06.bracket_table(rows).loc["LSTM", "( ) parentheses: closed"] == "none"
    assert ch06.xml_table(rows).loc["real", "complete <page> well-formed"] == "1 of 1"
    assert ch06.structure_table(rows).loc["LSTM", "headings"] == "0.00"  # plain text is wikitext without markup
    ch06.plot_structure(rows[1:], rows[0])
    assert ch06.sizes("gpu") == ch06.SIZES["blog"]
    with pytest.raises(CharlabError, match="unknown scale"):
        ch06.sizes("huge")
    assert ch06.first_title(TRAIN) == "Anarchism" and ch06.last_title("") == "?"


def test_a_share_with_nothing_to_count_prints_as_the_tables_missing_mark():
    from charlab.tables import MISSING

    rows = [ch06.measure_windows("real", [PAGE]), ch06.measure_windows("LSTM", ["no markup at all"])]
    df = ch06.invention_table(rows, ch06.Known.from_text(TRAIN))
    assert df.loc["LSTM", "URLs"] == "0" and df.loc["LSTM", "URL new"] == MISSING == "–"  # no URL: no share
    assert df.loc["real", "URL new"] == "0%" and df.loc["LSTM", "valid dates"] == MISSING
    assert ch06.xml_table(rows).loc["LSTM", "closed in nesting order"] == MISSING  # no closing tag at all
    verdict, value, _ = ch06.xml_verdict(rows[1])
    assert verdict == "not reached at this scale" and value == "– of closing tags in order; 0/0 blocks well-formed"
