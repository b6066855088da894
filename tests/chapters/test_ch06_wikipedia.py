import math
from pathlib import Path

import matplotlib
import pytest

from charlab.chapters import ch06_wikipedia as ch06
from charlab.errors import CharlabError

FIXTURES = Path(__file__).parents[1] / "fixtures" / "post_samples"

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
    real = ch06.measure_windows("real", [PAGE.replace("example.org", "example.net")])
    v = ch06.url_verdict(m, real, known)
    assert v.verdict == "holds" and v.value == "1 URLs, 100% well-formed and new (real 100%)"
    assert v.gate.passed and v.gate.value == 1.0 and v.gate.threshold == ch06.URL_GATE
    verdict, _, measured, gate = ch06.invented_metadata_verdict(m, known)
    assert gate is None
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
    verdict, value, *_ = ch06.xml_verdict(rows[1])
    assert verdict == "not reached at this scale" and value == "– of closing tags in order; 0/0 blocks well-formed"


def test_url_verdict_judges_well_formed_new_urls_against_real_text():
    known = ch06.Known.from_text(TRAIN)
    real = ch06.measure_windows("real", [PAGE.replace("example.org", "example.net")] * 2)

    def urls(*us: str) -> ch06.WindowMeasures:
        return ch06.measure_windows("LSTM", [PAGE.replace("http://www.example.org/a", u) for u in us])

    assert ch06.url_shares(real, known) == ch06.UrlShares(2, 1.0, 1.0, 1.0)
    malformed = urls("http://ww.", "http://60007,306")  # what the cpu model wrote: new, but not URLs
    v = ch06.url_verdict(malformed, real, known)
    assert ch06.url_shares(malformed, known) == ch06.UrlShares(2, 0.0, 1.0, 0.0)
    assert v.verdict == "not reached at this scale" and not v.gate.passed  # the gate, whatever "new" says
    half = urls("http://ww.", "http://www.humah.yahoo.com/x.htm")
    v = ch06.url_verdict(half, real, known)  # gate met (1 of 2 well-formed), 50% < 80% of real's 100%
    assert v.gate.passed and v.verdict == "holds partly"
    copies = urls("http://www.example.org/a", "http://www.example.org/a", "http://www.humah.yahoo.com/x")
    v = ch06.url_verdict(copies, real, known)  # two of three well-formed URLs copied from training
    assert v.verdict == "contradicted" and "67% of the model's well-formed URLs are copies" in v.measured
    none = ch06.measure_windows("LSTM", ["no markup at all"])
    v = ch06.url_verdict(none, real, known)
    assert v.verdict == "not reached at this scale" and v.gate.value == 0.0


def post_sample(name: str) -> str:
    """A fixture of the post's own samples, without its first line (the attribution)."""
    return (FIXTURES / f"wikipedia_{name}.txt").read_text().split("\n", 1)[1]


def test_every_rule_judges_the_posts_own_samples_as_the_post_does():
    markup, xml = post_sample("markup"), post_sample("xml")
    # The post prints its template as "{ { cite journal ... } }", most likely so that its site generator (Jekyll's
    # Liquid, which reads "{{") leaves it alone; the sample's wikitext had "{{ }}", and that is what is judged.
    structure = post_sample("structure")
    assert "{ { cite journal" in structure
    structure = structure.replace("{ {", "{{").replace("} }", "}}")
    real = ch06.measure_windows("real", [PAGE])
    worse = ch06.measure_windows("n-gram", [PAGE.replace("(from ", "((((from ")])
    known = ch06.Known.from_text(TRAIN)
    posts = ch06.ModelMeasures("post", ch06.measure_windows("post", [markup, structure]),
                               ch06.measure_windows("post page", [xml]), xml)
    # "the model learns to open and close the parenthesis correctly": every ( and [[ of its excerpts closes
    assert posts.windows.brackets["("].closed_share == 1.0 and posts.windows.brackets["[["].closed_share == 1.0
    # "the yahoo url above doesn't actually exist, the model just hallucinated it": well-formed and new
    assert posts.windows.hosts[0] == "humah.yahoo.com" and all(posts.windows.well_formed_urls)
    # "sometimes it creates headings, lists": 4 headings and 8 list items; its template parses as one
    assert posts.windows.items[1].counts["headings"] == 4 and posts.windows.items[1].counts["list_items"] == 8
    assert posts.windows.items[1].counts["templates"] == 1
    # "closes the correct tags ... in the correct nested order"; "makes up the timestamp, id"
    assert posts.pages.tags.closes == 11 and posts.pages.tags.in_order_share == 1.0
    assert posts.pages.blocks["page"] == (1, 1) and posts.pages.timestamps == ["2002-08-03T18:14:12Z"]
    judged = ch06.verdicts(posts, real, worse, known)
    assert set(judged) == set(ch06.CLAIMS)
    assert {cid: v.verdict for cid, v in judged.items()} == dict.fromkeys(ch06.CLAIMS, "holds")


def test_the_long_run_is_judged_by_the_same_code(tmp_path, monkeypatch):
    from charlab.experiments import chars_to_best, committed_run

    # The checkout's results/, wherever the tests keep their data (the README's test command uses a temporary
    # folder; `charlab.experiments.results_dir` finds the checkout's results/ all the same).
    monkeypatch.setenv("CHARLAB_DATA", str(tmp_path / "data"))
    monkeypatch.delenv("CHARLAB_RESULTS", raising=False)
    result = committed_run("linux", "long")  # a committed long run whose text has "<" (Wikipedia's comes later)
    assert result is not None, "results/long/linux is committed"
    ckpt = result.load()
    size = dict(ch06.sizes("smoke"), num_samples=2, sample_len=120, burn_in=20, xml_samples=2, xml_len=80)
    m = ch06.measure_model("long", ckpt.model, ckpt.vocab, size)
    assert m.windows.chars == 2 * 120 and m.pages.chars == 2 * 80 and len(m.first_page) == 80
    known = ch06.Known.from_text(TRAIN)
    judged = ch06.verdicts(m, ch06.measure_windows("real", [PAGE]), ch06.measure_windows("gram", [""]), known)
    v = judged["ch06-hallucinated-url"]
    j = v.judgement("long")
    assert (j.scale, j.verdict, j.measured, j.value, j.gate) == ("long", v.verdict, v.measured, v.value, v.gate)
    if not m.windows.urls:
        assert j.verdict == "not reached at this scale" and j.gate.value == 0.0  # kernel C, no URL: gate 0
    assert "temperature 1.0" in ch06.long_samples(result)
    assert chars_to_best(result.config, [{"iter": 2, "val_loss": 1.0}]) == 2 * 32 * 64  # the long run's batch
    pts = ch06.ladder_points([("cpu", 100, m), ("long", 1000, m)], known)
    share = ch06.url_shares(m.windows, known).well_formed_new
    assert pts == [("cpu", 100.0, 0.0 if math.isnan(share) else share), ("long", 1000.0, pts[0][2])]
    urls = ch06.measure_windows("LSTM", [PAGE.replace("http://www.example.org/a", "http://www.humah.yahoo.com/")])
    both = ch06.ModelMeasures("x", urls, urls, "")
    assert ch06.ladder_points([("cpu", 5, both)], known) == [("cpu", 5.0, 1.0)]
    assert ch06.ladder_target(urls, known) == ch06.URL_HOLDS  # real text's share 100%: holds at 80%
    assert ch06.ladder_target(ch06.measure_windows("real", ["no markup"]), known) is None


def test_the_counting_baseline_and_the_comparison_sentence():
    from charlab.text import Vocab

    text = PAGE * 8
    vocab = Vocab.from_text(text)
    b = ch06.baseline(text[:3000], text[3000:3600], vocab, orders=(1, 2, 3))
    assert b.order in (1, 2, 3) and len(b.report) == 300
    df = ch06.baseline_table(b, {"LSTM": b.loss + 0.5})
    assert len(df) == 3 + 1 + 1
    assert "0.721 more than Kneser-Ney" in ch06.compare_with_baseline("LSTM", b.loss + 0.5, b)  # 0.5 nats
    assert "does not beat counting" in ch06.compare_with_baseline("LSTM", b.loss + 0.5, b)
    assert "better than counting" in ch06.compare_with_baseline("LSTM", b.loss - 0.1, b)
