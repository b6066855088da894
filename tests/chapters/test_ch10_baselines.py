import math

import matplotlib
import pytest
import torch

from charlab.analysis.copying import SubstringIndex
from charlab.analysis.ngram import KNBaseline, KNResult
from charlab.analysis.textstats import word_set, words
from charlab.chapters import ch10_baselines as ch10
from charlab.config import TrainConfig
from charlab.datasets import sha256_file
from charlab.errors import CharlabError
from charlab.evaluate import score_text
from charlab.experiments import Corpus, Result
from charlab.model import CharRNN, ModelConfig
from charlab.presets import preset_for
from charlab.text import Vocab
from charlab.train import build_model

matplotlib.use("Agg")


def _kn(losses):
    return [KNResult(n, v, 0.5, 0.0) for n, v in enumerate(losses, start=1)]


def _baseline(order=5, loss=1.5, report="abcd" * 10, context="dcba" * 10):
    return KNBaseline(order, loss, _kn([3.0, 2.0, 1.6, 1.55, 1.5]), report, context)


def _metrics(iters, losses, seconds_per_iter=0.5):
    return [{"iter": i, "elapsed_s": i * seconds_per_iter, "val_loss": v} for i, v in zip(iters, losses, strict=True)]


CFG = TrainConfig(batch_size=4, seq_len=8)  # 32 characters per iteration


def test_relative_fall_and_flattened_read_the_last_quarter():
    # cut at 0.75 x 400 = 300: the best before is 2.0 (iter 300), the best after 1.99 -> fell 0.5%
    m = _metrics([0, 100, 200, 300, 400], [4.0, 2.5, 2.1, 2.0, 1.99])
    assert ch10.relative_fall(m) == pytest.approx(0.01 / 2.0) and ch10.flattened(m)
    steep = _metrics([0, 100, 200, 300, 400], [4.0, 2.5, 2.1, 2.0, 1.8])
    assert ch10.relative_fall(steep) == pytest.approx(0.1) and not ch10.flattened(steep)
    rising = _metrics([0, 100, 200, 300, 400], [4.0, 2.5, 2.0, 2.1, 2.3])  # over-fitting: nothing better at the end
    assert ch10.relative_fall(rising) == 0.0 and ch10.flattened(rising)
    assert math.isnan(ch10.relative_fall(_metrics([400], [2.0]))) and not ch10.flattened(_metrics([400], [2.0]))
    assert math.isnan(ch10.relative_fall([{"iter": 0, "val_loss": None}]))
    assert ch10.relative_fall(m, tail=0.5) == pytest.approx((2.1 - 1.99) / 2.1)  # cut at 200


def test_lstm_curve_crossing_and_gap_text():
    c = ch10.lstm_curve("cpu", CFG, _metrics([0, 100, 200, 300], [4.0, 2.0, 1.4, 1.45], 0.6), 1.42, "summary")
    assert c.chars == [0, 3200, 6400, 9600] and c.minutes == pytest.approx([0, 1, 2, 3])
    assert c.best == 2 and c.best_chars == 6400 and c.report == 1.42 and c.summary == "summary"
    assert c.fall == 0.0 and c.flattened  # the last quarter (iter 300) brought nothing better than 1.4
    assert ch10.crossing(c, 1.5) == 2 and ch10.crossing(c, 1.3) is None
    assert ch10.gap_text(c, 1.5) == "below it from 0.01 M characters (2.0 minutes of training) on"
    assert ch10.gap_text(c, 1.3) == ("never below it in 0.01 M characters (3.0 minutes): its best is 0.100 "
                                     "nats/char above")
    with pytest.raises(CharlabError):
        ch10.lstm_curve("cpu", CFG, [{"iter": 0, "val_loss": None}], 1.0)


def _curve(report, losses=(4.0, 2.0, 1.6, 1.55, 1.545), label="cpu"):
    return ch10.lstm_curve(label, CFG, _metrics([0, 100, 200, 300, 400], list(losses)), report)


def test_strawman_verdict_reads_the_gap_and_the_flattening():
    b = _baseline(loss=1.5)
    assert ch10.strawman_verdict(_curve(1.35), b, "w")[0] == "holds"  # 0.15 below: clearly
    v, value, measured = ch10.strawman_verdict(_curve(1.45), b, "w")
    assert v == "holds partly" and value.startswith("LSTM - Kneser-Ney = -0.050 nats/char")
    assert "order 5's 1.500" in measured and "40 characters" in measured
    flat = _curve(1.6)  # fell (1.55 - 1.545) / 1.55 = 0.3% over the last quarter: flattened, and behind
    v, _, measured = ch10.strawman_verdict(flat, b, "w")
    assert v == "contradicted" and "fell 0.3% (flattened: below 1%)" in measured
    assert "never below it" in measured and "its best is 0.045 nats/char above" in measured
    falling = _curve(1.6, (4.0, 2.5, 2.2, 2.0, 1.7))  # still falling 15%: more training may close the gap
    v, _, measured = ch10.strawman_verdict(falling, b, "w")
    assert v == "not reached at this scale" and "still falling" in measured


def test_ngram_summary_table_and_figures():
    bs = {"a": _baseline(loss=1.5), "b": _baseline(order=3, loss=1.0)}
    curves = {"a": [_curve(1.4), _curve(1.2, label="long")], "b": [_curve(1.1)]}
    rows = ch10.ngram_summary(bs, curves)
    assert rows[0]["order"] == 5 and rows[0]["LSTM long - KN (nats/char)"] == pytest.approx(-0.3)
    assert math.isnan(rows[1]["LSTM long (nats/char)"]) and rows[1]["LSTM cpu - KN (nats/char)"] == pytest.approx(0.1)
    df = ch10.ngram_table(rows)
    assert df.loc["a", "LSTM cpu - KN (nats/char)"] == "-0.100" and df.loc["b", "LSTM long (nats/char)"] == "–"
    assert df.loc["b", "LSTM cpu - KN (nats/char)"] == "+0.100" and df.loc["a", "characters scored"] == "40"
    orders = ch10.order_table({"a": _kn([3.0, 2.0, 1.5]), "b": _kn([2.0, 1.0])})
    assert list(orders.loc["2"]) == ["2.000", "1.000"] and orders.loc["3"].iloc[1] == "–"
    assert ch10.plot_ngrams(bs) is not None
    assert ch10.plot_fair(bs, curves) is not None and ch10.plot_ladders(bs, curves) is not None
    text = ch10.fair_text("a", curves["a"], bs["a"])
    assert "the cpu LSTM's best checkpoint (0.01 M characters read) is 0.100 nats/char below counting" in text
    assert "the long LSTM's best checkpoint" in text and "0.300 nats/char below" in text
    assert "0.100 nats/char above counting" in ch10.fair_text("b", curves["b"], bs["b"])


def test_the_held_out_text_of_the_baseline_and_the_splits_compared():
    assert ch10.baseline_held_out("abcdef", 4) == "abcd" and ch10.baseline_held_out("abcdef", 0) == "abcdef"
    cfg = TrainConfig(val_frac=0.1)
    assert ch10.split_mismatch("w", cfg, "ab" * 32, "w", cfg, "ab" * 32) == ""
    why = ch10.split_mismatch("x", TrainConfig(val_frac=0.04), "cd" * 32, "w", cfg, "ab" * 32)
    assert "trained on x, not w" in why and "val_frac is 0.04, this page's 0.1" in why and "sha256 cdcd" in why


def test_report_loss_is_the_score_after_the_whole_context():
    torch.manual_seed(0)
    text = "the cat sat on the mat. " * 20
    vocab = Vocab.from_text(text)
    model = CharRNN(ModelConfig(vocab_size=len(vocab), cell="lstm", hidden_size=16, num_layers=1))
    b = KNBaseline(2, 1.0, [], text[300:], text * 10 + text[:300])  # only the last 129 characters are read
    want = score_text(model, vocab, b.report, context=text[:300])
    assert ch10.report_loss(model, vocab, b) == pytest.approx(want)


def test_long_curve_without_a_run_or_on_another_split(tmp_path):
    data = tmp_path / "input.txt"
    data.write_text("hello world " * 50)
    corpus = Corpus("w", data, data.read_text(), {}, TrainConfig())
    b = _baseline()
    assert ch10.long_curve(None, corpus, b) == (None, "no committed long run of w yet")
    other = Result("w", "long", tmp_path, {"dataset": "w", "dataset_sha256": sha256_file(data)},
                   TrainConfig(val_frac=0.04), [], [])
    curve, why = ch10.long_curve(other, corpus, b)
    assert curve is None and why == "the committed long run of w is not compared: its val_frac is 0.04, this page's 0.1"


def test_run_items_give_each_run_its_own_item():
    items = ch10.run_items("cpu", {"w": "LSTM 1x8. Preset baselines-cpu.", "x": "LSTM 1x9. Preset baselines-cpu."},
                           {"w": "LSTM 2x512. Committed in results/long/w/."},
                           ["the long model of w scored on 10 characters in 1 s", "no committed long run of x yet"])
    assert items == ("  - w, `cpu` run: LSTM 1x8. Preset baselines-cpu.\n"
                     "  - x, `cpu` run: LSTM 1x9. Preset baselines-cpu.\n"
                     "  - w, `long` run: LSTM 2x512. Committed in results/long/w/.\n"
                     "  - The long model of w scored on 10 characters in 1 s; no committed long run of x yet.")
    assert ".;" not in items and ch10.run_items("smoke", {"w": "A."}, {}, []) == "  - w, `smoke` run: A."


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
    assert df.loc["LSTM, 2 layers", "whole split, mean (nats/char)"] == "1.300"
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


def test_the_grid_is_judged_only_once_every_curve_has_flattened():
    paper = {("rnn", 1): 1.6, ("gru", 1): 1.4, ("lstm", 1): 1.4, ("rnn", 2): 1.55, ("gru", 2): 1.35, ("lstm", 2): 1.3}
    runs = _grid(paper)  # each run's curve: 4.0 at iteration 0, its last value at 100: still falling
    gate = ch10.flat_gate(runs)
    assert gate.value == 0.0 and gate.threshold == 1.0 and not gate.passed and "12 runs" in gate.what
    assert len(ch10.still_falling(runs)) == 12
    flat = [ch10.GridRun(r.cell, r.num_layers, r.hidden_size, r.seed, r.parameters, r.iters, r.chars, r.seconds,
                         r.heldout, _metrics([0, 100, 200, 300, 400], [4.0, 2.0, 1.6, r.heldout, r.heldout]))
            for r in runs]
    assert ch10.flat_gate(flat).passed and ch10.still_falling(flat) == []
    assert ch10.flat_gate(flat[:3] + runs[:1]).value == pytest.approx(0.75)
    df = ch10.grid_table(flat)
    assert df.loc["LSTM, 2 layers", "fall over the last 25%"] == "0.0%, 0.0%"
    assert list(df.columns).index("whole split, mean (nats/char)") == \
        list(df.columns).index("short pieces, mean (nats/char)") + 1  # side by side
    # the vanilla RNN ahead at both depths, one layer ahead for every cell: contradicted
    reverse = {("rnn", 1): 1.3, ("gru", 1): 1.3, ("lstm", 1): 1.5, ("rnn", 2): 1.4, ("gru", 2): 1.5, ("lstm", 2): 1.6}
    assert ch10.lstm_better_verdict(_grid(reverse), "400 iterations")[0] == "contradicted"
    assert ch10.deeper_verdict(_grid(reverse), "400 iterations")[0] == "contradicted"


def test_orders_text_says_whether_the_order_grows_with_the_text():
    bs = {"big": _baseline(order=8), "small": _baseline(order=5)}
    assert ch10.orders_text(bs, {"big": 3_000_000, "small": 1_000_000}) == (
        "The chosen order grows with the training text here: small 5 (1.0 M characters), big 8 (3.0 M characters).")
    assert "does not grow" in ch10.orders_text(bs, {"big": 1_000_000, "small": 3_000_000})
    assert "does not grow" in ch10.orders_text({"a": _baseline(order=5), "b": _baseline(order=5)}, {"a": 1, "b": 2})
