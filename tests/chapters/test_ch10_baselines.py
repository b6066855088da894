import math

import matplotlib
import pytest

from charlab.analysis.copying import SubstringIndex
from charlab.analysis.ngram import KNResult
from charlab.analysis.textstats import word_set, words
from charlab.chapters import ch10_baselines as ch10
from charlab.config import TrainConfig
from charlab.errors import CharlabError
from charlab.train import build_model

matplotlib.use("Agg")


def _kn(losses):
    return [KNResult(n, v, 0.5, 0.0) for n, v in enumerate(losses, start=1)]


def test_ngram_summary_finds_the_best_order_and_the_gap_left():
    kn = {"a": _kn([3.0, 2.0, 1.5, 1.6]), "b": _kn([2.0, 1.0, 0.9])}
    rows = ch10.ngram_summary(kn, {"a": 1.0, "b": 1.2})
    a, b = rows
    assert a["best order"] == 3 and a["best n-gram (nats/char)"] == 1.5
    assert a["gap (nats/char)"] == pytest.approx(0.5) and a["gap (bits/char)"] == pytest.approx(0.5 / math.log(2))
    assert a["gap left"] == pytest.approx(0.5 / 2.0)  # (1.5 - 1.0) of the (3.0 - 1.0) from unigram to LSTM
    assert b["gap (nats/char)"] == pytest.approx(-0.3) and b["gap left"] == pytest.approx(-0.3 / 0.8)
    df = ch10.ngram_table(rows)
    assert df.loc["a", "gap left"] == "25%" and df.loc["b", "best order"] == "3"
    orders = ch10.order_table(kn)
    assert list(orders.loc["3"]) == ["1.500", "0.900"] and orders.loc["4"].iloc[1] == "–"
    assert ch10.plot_ngrams(kn, {"a": 1.0, "b": 1.2}) is not None


def test_strawman_verdict():
    kn = {"a": _kn([3.0, 1.5]), "b": _kn([2.0, 1.0])}
    assert ch10.strawman_verdict(ch10.ngram_summary(kn, {"a": 1.0, "b": 0.8}), "x")[0] == "holds"
    assert ch10.strawman_verdict(ch10.ngram_summary(kn, {"a": 1.0, "b": 0.95}), "x")[0] == "holds partly"
    v, value, measured = ch10.strawman_verdict(ch10.ngram_summary(kn, {"a": 1.45, "b": 1.1}), "a short LSTM")
    assert v == "not reached at this scale" and "a +0.050" in value and measured.startswith("a short LSTM")


def test_grid_configs_match_the_parameter_count():
    base = TrainConfig(cell="lstm", hidden_size=64, num_layers=1, embedding_dim=16)
    configs = ch10.grid_configs(base, vocab_size=50)
    target = ch10.parameters(base, 50)
    assert target == build_model(base, 50).num_parameters()
    assert [(c.cell, c.num_layers) for c in configs] == list(ch10.GRID)
    for c in configs:
        n = ch10.parameters(c, 50)
        assert abs(n - target) / target < 0.03
        # no other hidden size is closer
        for h in (c.hidden_size - 1, c.hidden_size + 1):
            other = ch10.parameters(TrainConfig(**{**c.to_dict(), "hidden_size": h}), 50)
            assert abs(other - target) >= abs(n - target)
    h = {(c.cell, c.num_layers): c.hidden_size for c in configs}
    assert h[("lstm", 1)] == 64 and h[("rnn", 1)] > h[("gru", 1)] > h[("lstm", 1)] > h[("lstm", 2)]


def _run(cell, layers, heldout):
    metrics = [{"iter": 0, "elapsed_s": 0.0, "val_loss": 4.0}, {"iter": 100, "elapsed_s": 10.0, "val_loss": heldout}]
    return ch10.GridRun(cell, layers, 100, 10_000, 100, 100 * 2048, 10.0, heldout, metrics)


def _grid(values):
    return [_run(c, d, values[(c, d)]) for c, d in ch10.GRID]


def test_cell_verdicts():
    paper = {("rnn", 1): 1.6, ("gru", 1): 1.4, ("lstm", 1): 1.4, ("rnn", 2): 1.55, ("gru", 2): 1.35, ("lstm", 2): 1.3}
    assert ch10.lstm_better_verdict(_grid(paper), "40 s")[0] == "holds"
    assert ch10.deeper_verdict(_grid(paper), "40 s")[0] == "holds"
    mixed = {**paper, ("lstm", 2): 1.6, ("gru", 2): 1.5}
    v, value, measured = ch10.lstm_better_verdict(_grid(mixed), "40 s")
    assert v == "holds partly" and "2 layers: RNN - LSTM = -0.050" in value and "40 s" in measured
    assert ch10.deeper_verdict(_grid(mixed), "40 s")[0] == "holds partly"
    flat = {k: 1.5 for k in paper}
    assert ch10.lstm_better_verdict(_grid(flat), "40 s")[0] == "not reached at this scale"
    assert ch10.deeper_verdict(_grid(flat), "40 s")[0] == "not reached at this scale"
    df = ch10.grid_table(_grid(paper))
    assert df.loc["LSTM, 2 layers", "held-out loss (nats/char)"] == "1.300"
    assert df.loc["GRU, 1 layer", "parameters"] == "10,000"
    assert ch10.plot_grid(_grid(paper)) is not None


POST_TRAIN = ("The RNN is a network. The RNN with the code works, and the computed program of the RNN is here. "
              "We train the RNN on text and sample from the RNN with code. ") * 3


def test_meta_measures_on_the_posts_sample_and_a_loop():
    ref = word_set(POST_TRAIN + " I've but with of")
    n = len(words(ch10.POST_META_SAMPLE))
    assert n == 26
    post = ch10.meta_measures("post", [ch10.POST_META_SAMPLE], n, ref, SubstringIndex(POST_TRAIN))
    assert post.windows == 1 and post.real_words == 1.0 and post.mentions_rnn == 1.0
    assert post.distinct_words == pytest.approx(11 / 26) and post.distinct_pairs == pytest.approx(16 / 25)
    loop = ch10.meta_measures("loop", ["the RNN with the code " * 30, "zzz qqq " * 20], 10, ref)
    assert loop.windows == 15 + 4 and loop.real_words == pytest.approx(15 / 19)
    assert loop.distinct_words == pytest.approx(0.4) and loop.distinct_pairs == pytest.approx(5 / 9)
    assert math.isnan(loop.copied)
    copy = ch10.meta_measures("copy", [POST_TRAIN[:200]], 10, ref, SubstringIndex(POST_TRAIN))
    assert copy.copied == pytest.approx(1.0)
    empty = ch10.meta_measures("none", ["..."], 5, ref)
    assert empty.windows == 0 and math.isnan(empty.real_words)
    df = ch10.meta_table([post, loop])
    assert df.loc["post", "real words"] == "100%" and df.loc["loop", f"copied in spans of {ch10.COPY_MIN}+"] == "–"


def test_overfitting_and_the_meta_verdict():
    metrics = [{"iter": 0, "epoch": 0, "train_loss": None, "val_loss": 4.5},
               {"iter": 100, "epoch": 5, "train_loss": 2.0, "val_loss": 2.1},
               {"iter": 200, "epoch": 10, "train_loss": 1.2, "val_loss": 1.9},
               {"iter": 300, "epoch": 15, "train_loss": 0.6, "val_loss": 2.3}]
    fit = ch10.overfitting(metrics)
    assert (fit.best_iter, fit.best_val, fit.last_iter) == (200, 1.9, 300)
    assert fit.rise == pytest.approx(0.4) and fit.gap == pytest.approx(1.7)
    with pytest.raises(CharlabError):
        ch10.overfitting([{"iter": 0, "val_loss": math.nan}])

    def m(real, pairs):
        return ch10.MetaMeasures("x", 3, real, 0.5, pairs, 1.0, 0.0)

    real, post = m(1.0, 0.95), m(1.0, 0.64)
    assert ch10.meta_verdict(m(0.97, 0.7), post, real, fit, 0.5)[0] == "holds"
    assert ch10.meta_verdict(m(0.97, 0.92), post, real, fit, 0.5)[0] == "holds partly"
    steady = ch10.overfitting(metrics[:3])
    assert ch10.meta_verdict(m(0.97, 0.7), post, real, steady, 0.5)[0] == "holds partly"
    v, value, measured = ch10.meta_verdict(m(0.5, 0.95), post, real, steady, 0.5)
    assert v == "not reached at this scale" and "26 words" in measured and "64%" in value


def test_sizes():
    assert ch10.sizes("gpu") == ch10.SIZES["blog"]
    assert max(ch10.sizes("cpu")["orders"]) == 12
    with pytest.raises(CharlabError):
        ch10.sizes("tiny")
