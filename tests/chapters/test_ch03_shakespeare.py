import math
from pathlib import Path

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


def test_line_length_verdict_reads_the_real_range_and_goldbergs_orders():
    from charlab.chapters.ch03_shakespeare import best_ngram, goldberg_label, line_length_verdict

    def rows(lstm, grams=(0.488, 0.301, 0.254, 0.262), tiny=0.103):
        return [_row("works", "real excerpts (held out), 3 draws", [0.065, 0.108, 0.179]),
                _row("works", "LSTM samples", [lstm]),
                *[_row("works", goldberg_label(h), [tv]) for h, tv in zip((2, 4, 7, 10), grams, strict=True)],
                _row("tiny", "real excerpts (held out), 3 draws", [0.087, 0.233]), _row("tiny", "LSTM samples", [tiny])]

    assert best_ngram(rows(0.1), "works").label == "n-gram, Goldberg's order 7"
    verdict, value, measured = line_length_verdict(rows(0.192))
    assert verdict == "holds partly" and value == "TV 0.192 vs n-gram, Goldberg's order 7 0.254"
    assert "the n-gram models' (by order) 2 0.488, 4 0.301, 7 0.254, 10 0.262" in measured
    assert "on tiny the LSTM's 0.103 is within its real range" in measured
    assert line_length_verdict(rows(0.150))[0] == "holds"
    assert line_length_verdict(rows(0.26))[0] == "contradicted"  # order 7 is closer: not better than every order
    assert line_length_verdict(rows(0.5))[0] == "contradicted"
    with pytest.raises(CharlabError, match="no n-gram"):
        best_ngram(rows(0.1), "tiny")


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


def test_goldbergs_samples_use_his_four_orders_of_history(monkeypatch):
    from charlab.chapters.ch03_shakespeare import GOLDBERG_ORDERS, goldberg_samples

    plays = _plays("\n\nROMEO:\nHi.\n" * 200, monkeypatch)
    got = goldberg_samples(plays, num=2, length=30)
    assert GOLDBERG_ORDERS == (2, 4, 7, 10)
    assert list(got) == [f"n-gram, Goldberg's order {h}" for h in GOLDBERG_ORDERS]
    # with 4 characters of history or more every context of this text has one continuation: the text, copied
    for h in (4, 7, 10):
        assert got[f"n-gram, Goldberg's order {h}"] == [("Hi.\n\n\nROMEO:\n" * 3)[:30]] * 2
    # with 2, "\n\n" goes on to "R" or to a third "\n": the seeds choose differently
    two = got["n-gram, Goldberg's order 2"]
    assert two[0] != two[1] and all(set(t) <= set("\nROMEO:Hi.") for t in two)


def test_long_run_pieces(monkeypatch):
    from charlab.chapters.ch03_shakespeare import long_length_case, no_long_run, result_texts

    samples = [{"temperature": 0.5, "text": "a"}, {"temperature": 1.0, "text": "b"}]
    assert result_texts(samples) == ["b"] and result_texts(samples, 0.5) == ["a"]
    with pytest.raises(CharlabError, match="no sample at temperature 2"):
        result_texts(samples, 2.0)
    assert no_long_run("tinyshakespeare").startswith("No long run of `tinyshakespeare` is committed yet")
    plays = _plays(PLAY, monkeypatch)
    case = long_length_case(plays, ["x\ny\n"], {"n-gram, Goldberg's order 2": ["z\n"]})
    assert (case.name, case.prime, case.train_end) == ("play, long run", "", plays.corpus.n_train)
    assert list(case.samples) == ["LSTM samples (long run)", "n-gram, Goldberg's order 2"]


POST_SAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "post_samples"


def _post_sample(name: str) -> str:
    head, body = (POST_SAMPLES / name).read_text(encoding="utf-8").split("\n", 1)
    assert head.startswith("# Karpathy 2015")
    return body[:-1]


def test_the_speaker_rule_holds_on_the_posts_own_sample():
    # The post says of this sample that the RNN "samples both speaker's names and the contents": the rule must
    # hold on it, against real held-out text of tiny Shakespeare (the layout of the post's file: "NAME:" lines).
    from charlab.chapters.ch03_shakespeare import load_plays, speaker_report, speaker_verdict

    try:
        tiny = load_plays("tinyshakespeare", "cpu")
    except CharlabError as e:
        pytest.skip(f"tiny Shakespeare is not available: {e}")
    speakers, monologue = _post_sample("shakespeare_speakers.txt"), _post_sample("shakespeare_monologue.txt")
    assert speakers.startswith("PANDARUS:\n") and monologue.endswith("Shall be against your honour.")
    for texts in ([speakers], [speakers, monologue]):
        report = speaker_report("the post", texts, tiny.text, tiny.layout)
        chars = sum(map(len, texts))
        rate = tiny.tag_rate(20, chars)  # real held-out text, 20 windows of the same size
        assert speaker_verdict([report], rate, chars)[0] == "holds", (report["tags"], chars, rate)
