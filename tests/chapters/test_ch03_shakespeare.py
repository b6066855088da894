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
    assert r["names"].most_common() == [("ROMEO", 2), ("KING BOB", 2), ("JULIET", 1)]
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


def _plays(text, monkeypatch):
    """`load_plays` on `text` instead of a fetched file (the smoke preset's split: the last 10% held out)."""
    from pathlib import Path

    from charlab.chapters import ch03_shakespeare as ch03
    from charlab.experiments import Corpus
    from charlab.presets import get_preset

    monkeypatch.setattr(ch03, "load_corpus", lambda experiment, scale: Corpus(experiment, Path("input.txt"), text,
                                                                               {}, get_preset(scale)))
    return ch03.load_plays("play", "smoke")


def test_load_plays_finds_the_layout_the_speaker_and_the_speeches(monkeypatch):
    plays = _plays(PLAY, monkeypatch)
    # none of the post's speakers is in the play: the most frequent speaker opens the samples
    assert (plays.layout, plays.speaker, plays.prime) == ("colon", "ROMEO", "\n\nROMEO:\n")
    assert plays.text == PLAY and plays.corpus.n_train == len(PLAY) - round(0.1 * len(PLAY))
    assert plays.first_speech(60) == "ROMEO:\nGood morrow, good sir. \nAnd so to bed.\n\n\nJULIET:"  # to a line end
    assert plays.speech_lines().tolist() == [2] * 120
    samples = ["no speech here", "\n\nKING BOB:\nOne.\nTwo.\nThree.\n\nROMEO:\nHa.\n\n"]
    i, speech = plays.longest_speech(samples)
    assert i == 1 and speech.speaker == "KING BOB" and speech.num_lines == 3
    assert plays.longest_speech(["no speech here"]) is None


def test_tag_rate_counts_the_tags_of_real_held_out_text(monkeypatch):
    block = "\n\nROMEO:\nHi.\n"  # 13 characters, one tag
    plays = _plays(block * 400, monkeypatch)
    # windows of 13 x 20 characters from a line start hold 19 or 20 whole tags, never more, never fewer
    rate = plays.tag_rate(num=5, length=13 * 20)
    assert 1000 * 19 / 260 <= rate <= 1000 * 20 / 260
    untagged_end = _plays(block * 50 + "no tags at all\n" * 400, monkeypatch)  # the held-out 10% has no tag
    assert untagged_end.tag_rate(num=3, length=100) == 0.0


def test_ngram_samples_continue_the_prime_as_the_training_text_does(monkeypatch):
    from charlab.chapters.ch03_shakespeare import ngram_samples

    plays = _plays("\n\nROMEO:\nHi.\n" * 200, monkeypatch)
    got = ngram_samples(plays, num=2, length=40)  # one continuation was ever counted after every 5 characters
    assert got == [("Hi.\n\n\nROMEO:\n" * 4)[:40]] * 2


def test_post_model_counts_the_posts_three_layer_lstm():
    from charlab.experiments import post_model

    post = post_model("shakespeare", "abcdefg" * 20_000)  # 7 characters, 126,000 of them in the training split
    h, v = 512, 7
    lstm = 4 * h * (v + h) + 8 * h + 2 * (4 * h * (h + h) + 8 * h)  # three layers, two bias vectors per gate
    assert (post.config.num_layers, post.config.hidden_size, post.vocab_size) == (3, 512, 7)
    assert post.parameters == lstm + h * v + v
    assert post.iters_per_epoch == (126_000 - 1) // (100 * 100) == 12


def test_final_model_yardstick_table_and_committed_run(tmp_path, monkeypatch):
    import json
    from types import SimpleNamespace

    from charlab.chapters import ch03_shakespeare as ch03
    from charlab.model import CharRNN, ModelConfig
    from charlab.presets import get_preset
    from charlab.text import Vocab

    asked = []
    ckpt = SimpleNamespace(model=CharRNN(ModelConfig(vocab_size=3, hidden_size=8)), vocab=Vocab.from_text("abc"))
    run = SimpleNamespace(load=lambda which: asked.append(which) or ckpt, config=get_preset("smoke"),
                          parameters=2_500_000, device="CPU test", result=SimpleNamespace(iters=1_100))
    model, vocab = ch03.final_model(run)
    assert asked == ["last.safetensors"] and model is ckpt.model and vocab.chars == ("a", "b", "c")

    df = ch03.yardstick_table(run, 1.7)
    c = run.config
    ours = f"this notebook: LSTM {c.num_layers}x{c.hidden_size}, 2.50M params"
    assert df.loc[ours].tolist() == ["CPU test, 1,100 iterations", "1.7000", "2.453"]
    assert df.loc["nanoGPT: transformer 6 layers x 384, ~10.7M params", "bits/char"] == "2.120"

    monkeypatch.setattr("charlab.experiments.runs_dir", lambda: tmp_path / "runs")
    assert ch03.committed_run("tinyshakespeare").startswith(
        "tinyshakespeare: no blog-scale run has been committed under results/blog/tinyshakespeare/")
    committed = tmp_path / "results" / "blog" / "tinyshakespeare"
    committed.mkdir(parents=True)
    rows = [{"iter": 100, "val_loss": 1.5}, {"iter": 200, "val_loss": 1.25}]
    (committed / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert ch03.committed_run("tinyshakespeare").endswith(
        "best val loss 1.2500 nats/char (1.803 bits/char) after 200 iterations")
