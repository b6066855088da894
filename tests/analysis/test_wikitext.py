import math
from xml.sax.saxutils import escape

import pytest

from charlab.analysis.wikitext import (
    BRACKETS,
    BracketStats,
    bracket_stats,
    element_texts,
    external_urls,
    novel_share,
    pool_bracket_stats,
    structure_counts,
    timestamp_in_range,
    timestamps,
    unescape_xml,
    url_hosts,
    valid_timestamp,
    wiki_items,
    wikilink_targets,
    wikitext_spans,
    xml_blocks,
    xml_report,
)
from charlab.errors import CharlabError


def page(wikitext: str, title: str = "Foo", timestamp: str = "2005-07-03T11:13:13Z") -> str:
    """A page in enwik8's layout, with the wikitext escaped the way the dump escapes it."""
    return (f"  <page>\n    <title>{title}</title>\n    <id>5</id>\n    <revision>\n      <id>18063769</id>\n"
            f"      <timestamp>{timestamp}</timestamp>\n      <contributor>\n        <username>Docu</username>\n"
            f"        <id>8029</id>\n      </contributor>\n      <comment>fix (typo)</comment>\n"
            f'      <text xml:space="preserve">{escape(wikitext, {chr(34): "&quot;"})}</text>\n'
            f"    </revision>\n  </page>\n")


def counts(stats: BracketStats) -> tuple[int, int, int, int, int]:
    return stats.opened, stats.closed, stats.closed_in_order, stats.unmatched_closers, stats.open_at_end


def test_nested_brackets_close_in_order():
    s = bracket_stats("[[a (b {{c}}) d]] (e) x")
    assert counts(s["[["]) == (1, 1, 1, 0, 0)
    assert counts(s["{{"]) == (1, 1, 1, 0, 0)
    assert counts(s["("]) == (2, 2, 2, 0, 0)
    assert s["("].closed_share == 1.0 and s["("].in_order_share == 1.0
    assert counts(s["''"]) == (0, 0, 0, 0, 0) and math.isnan(s["''"].closed_share)


def test_open_at_the_end_is_the_cut_not_a_mistake():
    s = bracket_stats("see (also) [[Foo (bar)")
    assert counts(s["[["]) == (1, 0, 0, 0, 1)
    assert s["[["].never_closed == 0 and math.isnan(s["[["].closed_share)
    assert counts(s["("]) == (2, 2, 2, 0, 0)
    start_cut = bracket_stats("bar]] and baz) [[x]]")  # a window starting inside a link and a parenthesis
    assert counts(start_cut["[["]) == (1, 1, 1, 1, 0) and counts(start_cut["("]) == (0, 0, 0, 1, 0)


def test_crossing_closes_out_of_order_and_pops_through():
    s = bracket_stats("[[a (b]] c)")
    assert counts(s["[["]) == (1, 1, 0, 0, 0)
    assert s["[["].in_order_share == 0.0
    assert counts(s["("]) == (1, 0, 0, 1, 0)  # popped through by ]], so its ) finds nothing open
    assert s["("].never_closed == 1 and s["("].closed_share == 0.0


def test_italic_bold_and_apostrophes_in_words():
    s = bracket_stats("''italic'' and '''bold''' don't o'er")
    assert counts(s["''"]) == (1, 1, 1, 0, 0) and counts(s["'''"]) == (1, 1, 1, 0, 0)
    assert all(counts(v) == (0, 0, 0, 0, 0) for v in bracket_stats("don't 'tis o'er rock 'n' roll").values())
    both = bracket_stats("'''''both''''' and '''''x'' y''' and '''''z''' w''")
    assert counts(both["''"]) == (3, 3, 3, 0, 0) and counts(both["'''"]) == (3, 3, 3, 0, 0)
    crossed = bracket_stats("''a '''b'' c")  # '' closes italic through the open bold
    assert counts(crossed["''"]) == (1, 1, 0, 0, 0) and crossed["'''"].never_closed == 1
    possessive = bracket_stats("''Hamlet'''s father")
    assert counts(possessive["''"]) == (1, 1, 1, 0, 0) and possessive["'''"].opened == 0
    four = bracket_stats("''''four'''' x")  # ' plus ''' on each side
    assert counts(four["'''"]) == (1, 1, 1, 0, 0) and four["''"].opened == 0


def test_line_ends_close_italics_and_xml_tags_close_everything():
    s = bracket_stats("''open italic\n''closed''\n(still open")
    assert counts(s["''"]) == (2, 1, 1, 0, 0) and s["''"].never_closed == 1
    assert counts(s["("]) == (1, 0, 0, 0, 1)
    t = bracket_stats("a (b [[c</text>\n    </revision> d)")
    assert counts(t["("]) == (1, 0, 0, 1, 0) and t["("].never_closed == 1
    assert counts(t["[["]) == (1, 0, 0, 0, 0)


def test_pooling_sums_kind_by_kind():
    pooled = pool_bracket_stats([bracket_stats("[[a]] (b"), bracket_stats("[[c (d]]"), {}])
    assert counts(pooled["[["]) == (2, 2, 1, 0, 0)
    assert counts(pooled["("]) == (2, 0, 0, 0, 1)
    assert set(pooled) == set(BRACKETS)


def test_xml_blocks_keep_only_complete_elements():
    window = "ext>\n    </revision>\n  </page>\n" + page("[[A]]") + "  <page>\n    <title>Cut</title>\n    <revi"
    blocks = xml_blocks(window)
    assert len(blocks) == 1 and blocks[0].startswith("<page>") and blocks[0].endswith("</page>")
    assert "Cut" not in blocks[0]
    assert xml_blocks("<page><page><title>A</title></page>") == ["<page><title>A</title></page>"]
    assert xml_blocks("<page>a</page><page><page>b</page></page>", "page")[1] == "<page><page>b</page></page>"
    assert len(xml_blocks(window, "revision")) == 1 and len(xml_blocks(window, "contributor")) == 1
    with pytest.raises(CharlabError):
        xml_blocks(window, "not a tag")


def test_xml_report_classifies_errors():
    good = xml_blocks(page("{{R from CamelCase}} &lt;ref&gt;x&lt;/ref&gt;"))[0]
    mismatched = "<page><revision><contributor></revision></contributor></page>"
    report = xml_report([good, mismatched, "<page>&nbsp;</page>", "<page>a < b</page>", "<page><page/></page>"])
    assert report.blocks == 5 and report.well_formed == 2 and report.well_formed_share == pytest.approx(0.4)
    assert report.errors == {"mismatched tag": 1, "undefined entity": 1, "other": 1}
    assert report.mismatched == {("contributor", "revision"): 1}
    assert report.misplaced == {("page", "page"): 1}  # well-formed, but never in the dump
    assert sum(report.other_messages.values()) == 1
    empty = xml_report([])
    assert empty.blocks == 0 and math.isnan(empty.well_formed_share)


def test_wikitext_spans_follow_the_window_cut():
    assert wikitext_spans(page("[[A]] b")) == ["[[A]] b"]
    assert wikitext_spans("ed [[B]]</text>\n  </revision>" + page("c")) == ["ed [[B]]", "c"]
    assert wikitext_spans('<text xml:space="preserve">open to the end') == ["open to the end"]
    assert wikitext_spans("inside one article, no tags") == ["inside one article, no tags"]
    assert wikitext_spans("<id>5</id>\n <revision>") == []  # XML layer only
    assert wikitext_spans('<text xml:space="preserve" /></revision>') == []
    assert unescape_xml("&lt;ref&gt; &amp;nbsp; &quot;q&quot; &amp;amp;") == '<ref> &nbsp; "q" &amp;'


def test_wikilink_targets_are_normalised():
    text = page("[[foo_bar#Sec|x]] [[ :category:Foo ]] [[#Local]] [[AT&T]] [[Algeria]]", title="T [[x]]")
    assert wikilink_targets(text) == ["Foo bar", "Category:Foo", "AT&T", "Algeria"]  # not the title's link
    assert novel_share(wikilink_targets(text), {"Foo bar", "Algeria"}) == pytest.approx(0.5)


def test_url_hosts():
    text = page("[http://WWW.Yahoo.com:80/x y] see http://bare.org/p {{cite web|url=https://Tmpl.com./a}} "
                "[http://[oops x]") + "<base>http://en.wikipedia.org/wiki/Main_Page</base>"
    assert url_hosts(text) == ["yahoo.com", "bare.org", "tmpl.com"]
    assert external_urls(text)[:2] == ["http://WWW.Yahoo.com:80/x", "http://bare.org/p"]


def test_timestamps():
    window = page("x", timestamp="2006-02-30T10:00:00Z") + page("y") + "<timestamp>2004-01-0"
    assert timestamps(window) == ["2006-02-30T10:00:00Z", "2005-07-03T11:13:13Z"]
    assert element_texts(window, "id") == ["5", "18063769", "8029"] * 2
    assert valid_timestamp("2005-07-03T11:13:13Z") and valid_timestamp("2004-02-29T23:59:59Z")
    for bad in ["2006-02-30T10:00:00Z", "2005-02-29T10:00:00Z", "2006-02-28T24:00:00Z", "2006-2-28T10:00:00Z",
                "2006-02-28 10:00:00Z", "2006-02-28T10:00:00", "2006-13-01T10:00:00Z", ""]:
        assert not valid_timestamp(bad), bad
    assert timestamp_in_range("2005-07-03T11:13:13Z")
    assert not timestamp_in_range("2007-01-01T00:00:00Z") and not timestamp_in_range("2000-12-31T00:00:00Z")
    assert not timestamp_in_range("2006-02-30T10:00:00Z")
    assert timestamp_in_range("2007-01-01T00:00:00Z", last="2008-12-31T23:59:59Z")
    with pytest.raises(CharlabError):
        timestamp_in_range("2005-07-03T11:13:13Z", last="2008")


def test_novel_share():
    assert novel_share(["a", "b", "b", "c"], {"b"}) == pytest.approx(0.5)
    assert novel_share(["b"], {"b"}) == 0.0
    assert math.isnan(novel_share([], {"b"}))


def test_structure_counts():
    wikitext = ("== History ==\n'''Foo''' is a [[bar]] with {{cite web|url=http://example.com/x|title=t}}."
                "<ref>r</ref>\n=== Early ===\n* one [[Baz_qux|baz]]\n* two [http://www.example.org/ ex]\n"
                "# three\n<!-- note -->\n==== Deep ====\n[[Category:Things]]\n")
    got = structure_counts(page(wikitext))
    assert got["chars"] == len(wikitext)
    per_k = 1000 / len(wikitext)
    expected = {"headings": 3, "headings_2": 1, "headings_3": 1, "headings_4plus": 1, "list_items": 3,
                "templates": 1, "wikilinks": 3, "categories": 1, "external_links": 2, "html_tags": 1, "comments": 1}
    assert {k: v for k, v in got.items() if k != "chars"} == pytest.approx({k: v * per_k for k, v in expected.items()})
    redirect = wiki_items(page("#REDIRECT [[Algeria]]{{R from CamelCase}}"))
    assert redirect.counts["list_items"] == 0 and redirect.counts["wikilinks"] == 1
    assert redirect.chars == len("#REDIRECT [[Algeria]]{{R from CamelCase}}")


@pytest.mark.parametrize("text", ["", "]]]]{{{(('''", "<page>", "just words", "</text><text>", "&lt;&amp;",
                                  "<page><title>x</title></page>", "[[[[[[{{{{{{" * 50])
def test_bad_input_gives_zeros_nan_or_empty(text):
    items = wiki_items(text)
    assert items.wikilinks == [] and items.urls == [] and items.hosts == []
    assert all(v == 0 for v in items.counts.values())
    counted = structure_counts(text)
    assert counted["chars"] == items.chars
    assert all((v == 0) if items.chars else math.isnan(v) for k, v in counted.items() if k != "chars")
    assert timestamps(text) == [] and xml_report(xml_blocks(text)).errors == {}
    assert all(s.closed == 0 for s in bracket_stats(text).values())


def test_garbage_brackets_have_known_counts():
    s = bracket_stats("]]]]{{{(('''")
    assert counts(s["[["]) == (0, 0, 0, 2, 0)
    assert counts(s["{{"]) == (1, 0, 0, 0, 1)
    assert counts(s["("]) == (2, 0, 0, 0, 2)
    assert counts(s["'''"]) == (1, 0, 0, 0, 1)
    assert all(counts(v) == (0, 0, 0, 0, 0) for v in bracket_stats("").values())
    assert xml_blocks("<page>") == [] and xml_blocks("") == []


def test_tag_closes_counts_in_order_wrong_and_unmatched_closers():
    from charlab.analysis.wikitext import tag_closes

    good = "<page><title>A</title><revision><minor /><id>1</id></revision></page>"
    r = tag_closes(good)
    assert (r.closes, r.in_order, r.unmatched, r.in_order_share) == (4, 4, 0, 1.0)
    r = tag_closes("</text></revision><page><revision><contributor></revision></contributor>")
    # </text> and </revision> close nothing open (the window's start); </revision> pops through <contributor>,
    # which then has nothing left to close
    assert (r.closes, r.in_order, r.unmatched) == (1, 0, 3)
    assert r.wrong == {("contributor", "revision"): 1}
    assert tag_closes("no tags &lt;ref&gt; here").closes == 0 and math.isnan(tag_closes("").in_order_share)
    total = tag_closes(good) + r
    assert (total.closes, total.in_order, total.unmatched) == (5, 4, 3)


@pytest.mark.parametrize(("url", "ok"), [
    ("http://www.humah.yahoo.com/guardian.cfm/7754800786d17551963s89.htm", True),  # the post's invented URL
    ("http://www.example.org/a", True), ("ftp://ftp.x.org/pub", True), ("HTTP://WWW.BBC.CO.UK/x_(y)", True),
    ("https://192.168.0.1:8080/x?y=1&z=%20", True),
    ("http://ww.", False), ("http://60007,306", False),  # what the cpu model wrote: no dot left, a comma
    ("http://example", False), ("http://example.c0m", False), ("http://-a.com", False), ("http://300.1.1.1/", False),
    ("http://exa mple.com", False), ("http://example.com/a%zz", False), ("http://a.com:99999/", False),
    ("mailto:x@y.org", False), ("www.example.org", False), ("", False),
])
def test_url_well_formed_known_answers(url, ok):
    from charlab.analysis.wikitext import url_well_formed

    assert url_well_formed(url) is ok
