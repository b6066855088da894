import math

import matplotlib
import pytest

from charlab.analysis.copying import SubstringIndex
from charlab.analysis.ngram import KNResult
from charlab.analysis.textstats import word_set, words
from charlab.chapters import ch10_baselines as ch10
from charlab.config import TrainConfig
from charlab.errors import CharlabError
from charlab.presets import preset_for
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


def _run(cell, layers, heldout, seed=1):
    metrics = [{"iter": 0, "elapsed_s": 0.0, "val_loss": 4.0}, {"iter": 100, "elapsed_s": 10.0, "val_loss": heldout}]
    return ch10.GridRun(cell, layers, 100, seed, 10_000, 100, 100 * 2048, 10.0, heldout, metrics)


def _grid(values, spread=0.01):
    """Two seeds per model: each value -/+ spread/2 (a tuple gives the seeds' values as they are)."""
    out = []
    for c, d in ch10.GRID:
        v = values[(c, d)]
        seeds = v if isinstance(v, tuple) else (v - spread / 2, v + spread / 2)
        out += [_run(c, d, h, seed) for seed, h in enumerate(seeds, start=1)]
    return out[::-1]  # any order: the chapter groups by model and seed


def test_pct_shows_a_missing_share_as_a_dash():
    assert ch10.pct(0.123) == "12%" and ch10.pct(math.nan) == "–"


def test_compare_needs_the_mean_and_every_seed():
    assert ch10.compare([1.00, 1.02], [1.10, 1.12]) == 1
    assert ch10.compare([1.10, 1.12], [1.00, 1.02]) == -1
    assert ch10.compare([1.00, 1.15], [1.12, 1.14]) == 0  # means 0.055 apart, but one seed of a is behind b's
    assert ch10.compare([1.000, 1.001], [1.005, 1.006]) == 0  # separated, but by less than NOISE
    assert ch10.seeds_text([1.0, 1.5]) == "1.250 (1.000, 1.500)"


def test_ranking_orders_the_models_and_says_where_the_seeds_separate_them():
    # means: LSTM 2L 1.30 < GRU 2L 1.35 < GRU 1L 1.40 < LSTM 1L 1.42 < RNN 2L 1.55 < RNN 1L 1.60; the LSTM 1L's
    # seeds (1.38, 1.46) straddle the GRU 1L's (1.395, 1.405), so those two are not separated
    values = {("rnn", 1): 1.6, ("gru", 1): 1.4, ("lstm", 1): (1.38, 1.46), ("rnn", 2): 1.55, ("gru", 2): 1.35,
              ("lstm", 2): 1.3}
    assert ch10.ranking(_grid(values)) == (
        "LSTM 2L (1.300), ahead of GRU 2L (1.350), ahead of GRU 1L (1.400), not separated from LSTM 1L (1.420), "
        "ahead of vanilla RNN 2L (1.550), ahead of vanilla RNN 1L (1.600)")
    # two models 0.005 apart with separated seeds: within NOISE, not an ordering
    close = {k: 1.5 + 0.1 * i for i, k in enumerate(ch10.GRID)}
    close[("gru", 1)] = 1.505
    assert "vanilla RNN 1L (1.500), not separated from GRU 1L (1.505), ahead of LSTM 1L (1.700)" in \
        ch10.ranking(_grid(close, spread=0.002))


def test_cell_verdicts():
    paper = {("rnn", 1): 1.6, ("gru", 1): 1.4, ("lstm", 1): 1.4, ("rnn", 2): 1.55, ("gru", 2): 1.35, ("lstm", 2): 1.3}
    assert ch10.lstm_better_verdict(_grid(paper), "400 iterations")[0] == "holds"
    assert ch10.deeper_verdict(_grid(paper), "400 iterations")[0] == "holds"
    mixed = {**paper, ("lstm", 2): 1.6, ("gru", 2): 1.5}
    v, value, measured = ch10.lstm_better_verdict(_grid(mixed), "400 iterations")
    assert v == "holds partly" and "400 iterations" in measured and "mean of 2 seeds" in value
    assert "1 layer: RNN - LSTM = +0.200 (separated)" in value
    assert "2 layers: RNN - LSTM = -0.050 (separated, the other way)" in value
    assert "LSTM 1.600 (1.595, 1.605)" in measured
    assert ch10.deeper_verdict(_grid(mixed), "400 iterations")[0] == "holds partly"
    flat = {k: 1.5 for k in paper}
    assert ch10.lstm_better_verdict(_grid(flat), "400 iterations")[0] == "not reached at this scale"
    assert ch10.deeper_verdict(_grid(flat), "400 iterations")[0] == "not reached at this scale"
    # The LSTM's mean is lower at both depths, but at one layer one of its seeds is behind both RNN seeds: that
    # ordering flips between seeds and does not count.
    flips = {**paper, ("lstm", 1): (1.3, 1.7)}
    v, value, _ = ch10.lstm_better_verdict(_grid(flips), "400 iterations")
    assert v == "holds partly" and "1 layer: RNN - LSTM = +0.100 (within the seeds' spread)" in value
    # Deeper: means all favour two layers, but the GRU's seeds overlap
    overlap = {**paper, ("gru", 1): (1.30, 1.50), ("gru", 2): (1.36, 1.38)}
    assert ch10.deeper_verdict(_grid(overlap), "400 iterations")[0] == "holds partly"


def test_grid_table_and_plot_show_every_seed():
    paper = {("rnn", 1): 1.6, ("gru", 1): 1.4, ("lstm", 1): 1.4, ("rnn", 2): 1.55, ("gru", 2): 1.35, ("lstm", 2): 1.3}
    runs = _grid(paper, spread=0.02)
    df = ch10.grid_table(runs)
    assert list(df.index) == [ch10.model_label(c, d) for c, d in ch10.GRID]
    assert df.loc["LSTM, 2 layers", "held-out loss, mean (nats/char)"] == "1.300"
    assert df.loc["LSTM, 2 layers", "seeds"] == "1: 1.290, 2: 1.310"
    assert df.loc["LSTM, 2 layers", "spread"] == "0.020"
    assert df.loc["GRU, 1 layer", "parameters"] == "10,000"
    assert df.loc["LSTM, 2 layers", "short pieces, mean (nats/char)"] == "1.300"
    assert [r.seed for r in ch10.by_model(runs)[("gru", 2)]] == [1, 2]
    assert ch10.plot_grid(runs) is not None
    # a run whose long-stream held-out loss is far above what it measured on short pieces during training
    drift = ch10.GridRun("rnn", 1, 100, 2, 10_000, 100, 100 * 2048, 10.0, 3.1,
                         [{"iter": 0, "val_loss": 4.4}, {"iter": 50, "val_loss": 2.1}, {"iter": 100, "val_loss": 2.2}])
    assert drift.best_val == 2.1 and drift.label == "vanilla RNN, 1 layer"
    assert ch10.lost_on_long_streams([*runs, drift]) == [drift]


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
    assert all(len(ch10.sizes(s)["grid_seeds"]) >= 2 for s in ch10.SIZES)
    with pytest.raises(CharlabError):
        ch10.sizes("tiny")


def test_the_cpu_grid_has_one_parameter_count_and_one_iteration_budget():
    base = preset_for("cells", "cpu")
    target = ch10.parameters(base, 82)  # War and Peace has 82 distinct characters
    for c in ch10.grid_configs(base, 82):
        assert abs(ch10.parameters(c, 82) - target) / target < 0.01
        assert (c.max_iters, c.batch_size, c.seq_len, c.max_time_s) == (base.max_iters, 16, 64, 0)
