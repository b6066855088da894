import math

import matplotlib
import pytest

from charlab.chapters.ch03_shakespeare import (
    LengthCase,
    compare_line_lengths,
    length_table,
    sample_line_lengths,
    sizes,
    speaker_report,
    speaker_table,
)
from charlab.errors import CharlabError

matplotlib.use("Agg")

PLAY = "".join(f"\n\n{name}:\n{'Good morrow, good sir. ' * (i % 3 + 1)}\nAnd so to bed.\n"
               for i, name in enumerate(["ROMEO", "JULIET", "NURSE", "ROMEO"] * 30))


def test_speaker_report_pools_the_tags_of_all_samples():
    samples = ["\n\nROMEO:\nHi.\n\nKING BOB:\nHo.\n", "\n\nJULIET:\nHa.\n\nKING BOB:\nHum.\n\nROMEO:\nEh.\n"]
    r = speaker_report("LSTM", samples, PLAY, "colon")
    assert r["tags"] == 5 and r["distinct"] == 3 and r["share"] == pytest.approx(3 / 5)
    assert r["invented"].most_common() == [("KING BOB", 2)]
    empty = speaker_report("none", ["no tags here"], PLAY, "colon")
    assert empty["tags"] == 0 and math.isnan(empty["share"])
    df = speaker_table([r, empty])
    assert df.loc["LSTM", "real characters (share of tags)"] == "60.0%"
    assert df.loc["none", "real characters (share of tags)"] == "no tags sampled"
    assert df.loc["LSTM", "most frequent invented"] == "KING BOB (2)"


def test_line_lengths_of_samples_complete_the_first_line_with_the_prime():
    lengths = sample_line_lengths(["is here\nabc\nclipped", "x\n"], prime="ROMEO ")
    assert lengths.tolist() == [13, 3, 7]


def test_compare_line_lengths_against_real_excerpts_of_the_same_size():
    train_end = len(PLAY) // 2
    case = LengthCase("play", PLAY, train_end, "", {"LSTM samples": [PLAY[:400], PLAY[400:800]]})
    rows, fig = compare_line_lengths([case], num=2, length=400, draws=3)
    assert [r.label for r in rows] == ["real excerpts (held out), 3 draws", "LSTM samples"]
    assert len(rows[0].lengths) == 3 and len(rows[1].lengths) == 1
    assert all(0 <= tv <= 1 for r in rows for tv in r.tv)
    df = length_table(rows)
    assert list(df.columns) == ["lines", "mean length (whole file)", "TV distance", "KS statistic"]
    assert len(df) == 2 and "(" in df.iloc[0]["TV distance"]  # median (min-max) over the draws
    assert len(fig.axes) == 1


def test_sizes_per_scale():
    assert sizes("gpu") == sizes("blog") and sizes("smoke")["num_samples"] < sizes("cpu")["num_samples"]
    with pytest.raises(CharlabError, match="did you mean"):
        sizes("smok")


def _row(dataset, label, tvs):
    from charlab.chapters.ch03_shakespeare import LengthRow

    return LengthRow(dataset, label, [], [type("C", (), {"tv": tv})() for tv in tvs])


def test_line_length_verdict_reads_the_real_range_and_the_ngram():
    from charlab.chapters.ch03_shakespeare import line_length_verdict

    def rows(lstm, gram=0.488, tiny=0.103):
        return [_row("works", "real excerpts (held out), 3 draws", [0.065, 0.108, 0.179]),
                _row("works", "LSTM samples", [lstm]), _row("works", "6-gram samples", [gram]),
                _row("tiny", "real excerpts (held out), 3 draws", [0.087, 0.233]), _row("tiny", "LSTM samples", [tiny])]

    verdict, value, measured = line_length_verdict(rows(0.192))
    assert verdict == "holds partly" and value == "TV 0.192 vs 6-gram 0.488"
    assert "on tiny the LSTM's 0.103 is within its real range" in measured
    assert line_length_verdict(rows(0.150))[0] == "holds"
    assert line_length_verdict(rows(0.5))[0] == "contradicted"


def test_works_of_the_validation_split_and_the_speaker_verdict():
    from charlab.analysis.plays import titled_works
    from charlab.chapters.ch03_shakespeare import speaker_verdict, validation_works

    text = ("1602\nHAMLET\n\nby William Shakespeare\n\nact one\n"
            "1603\n\nTWELFTH NIGHT\nby William Shakespeare\nx\n")
    assert [t for _, t in titled_works(text)] == ["HAMLET", "TWELFTH NIGHT"]
    sentence = validation_works(text, text.index("act one") + 3)
    assert sentence.startswith("It starts inside *Hamlet*, then holds *Twelfth Night*")
    assert validation_works("no titles", 3).startswith("This file has no title pages")
    text2 = ("THE WINTER'S TALE\nby William Shakespeare\n" + "x" * 50
             + "\nTWELFTH NIGHT; OR, WHAT YOU WILL\nby William Shakespeare\n")
    assert "*The Winter's Tale*, then holds *Twelfth Night; Or, What You Will*" in validation_works(text2, 60)
    report = {"label": "LSTM", "tags": 30, "distinct": 20, "share": 0.5}
    assert speaker_verdict([report], 2.0, 10_000)[0] == "holds"  # 3.0 per 1,000 against 2.0
    assert speaker_verdict([report], 8.0, 10_000)[0] == "contradicted"


def test_speaker_verdict_without_tags_says_so_plainly():
    from charlab.chapters.ch03_shakespeare import speaker_verdict

    verdict, _, measured = speaker_verdict([{"label": "LSTM", "tags": 0, "distinct": 0, "share": math.nan}], 7.5, 2000)
    assert verdict == "contradicted" and "nan" not in measured
