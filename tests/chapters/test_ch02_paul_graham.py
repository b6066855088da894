import math

import matplotlib
import pytest

from charlab.analysis import word_set
from charlab.chapters.ch02_paul_graham import (
    MEASURES,
    Sweep,
    describe_loop,
    detect_loop,
    make_sampler,
    measure,
    near_zero,
    plot_sweep,
    reference_measures,
    sweep,
)
from charlab.checkpoint import load_checkpoint
from charlab.errors import CharlabError
from charlab.presets import get_preset
from charlab.sampling import one_thread, sample_across
from charlab.train import train
from charlab.widgets import TemperatureWidget

matplotlib.use("Agg")

UNIT = "the startup is the same thing. "  # 31 characters


@pytest.fixture(scope="module")
def looping_model(tmp_path_factory):
    """A small LSTM trained on one sentence repeated: its most likely continuation is that sentence, forever."""
    d = tmp_path_factory.mktemp("loop")
    path = d / "input.txt"
    path.write_text(UNIT * 300)
    config = get_preset("smoke").with_overrides(max_iters=150, eval_interval=150, lr=1e-2, seed=0)
    with one_thread():  # a tiny model trains faster on one thread, especially on a busy machine
        train(path, config, d / "run", progress=False)
    return load_checkpoint(d / "run"), UNIT * 300


def test_detect_loop_reports_period_and_start():
    text = "Some free-form opening words. " + "we were all the same thing that was a startup, " * 5
    cycle = detect_loop(text)
    assert cycle is not None and cycle.period == 47 and cycle.start <= 30 and cycle.reaches_end
    assert "period 47" in describe_loop(cycle, len(text))
    # short natural repetition is not a loop, and neither is ordinary prose
    assert detect_loop("no, no, no, no! " + "a quick brown fox jumps over the lazy dog " * 2) is None
    assert describe_loop(None).startswith("no loop")


def test_measure_separates_a_loop_from_varied_text(synthetic_text):
    ref = word_set(synthetic_text)
    looped = measure(UNIT * 20, ref)
    varied = measure(synthetic_text[:620], ref)
    assert set(looped) == set(MEASURES)
    assert looped["share in a loop"] == 1.0 and varied["share in a loop"] == 0.0
    assert looped["next-char entropy (bits)"] < 0.6 * varied["next-char entropy (bits)"]
    assert looped["distinct word pairs"] < varied["distinct word pairs"]
    assert varied["unknown words"] == 0.0
    assert measure("xqzv blorp the cat", ref)["unknown words"] == pytest.approx(2 / 4)
    assert math.isnan(measure("... 123 !!!", ref)["unknown words"])  # no words: undefined, not 0


def test_near_zero_temperature_finds_the_loop(looping_model):
    ckpt, _ = looping_model
    results = near_zero(ckpt.model, ckpt.vocab, length=200, temperatures=(0.0, 0.1), beam_width=3)
    assert [r.method for r in results] == ["argmax (T=0)", "sampling at T=0.1", "beam search (width 3)"]
    for r in results:
        assert len(r.text) == 200
        assert r.loop is not None and r.loop.period == len(UNIT) and r.loop.reaches_end, r.describe()
        assert r.loop.start < 2 * len(UNIT)


def test_sweep_higher_temperature_more_diverse_more_mistakes(looping_model):
    ckpt, text = looping_model
    ref = word_set(text)
    sw = sweep(ckpt.model, ckpt.vocab, ref, temperatures=(2.0, 0.2, 1.0), length=200, num=2, seed=3)
    assert sw.temperatures == [0.2, 1.0, 2.0]
    assert all(len(s) == 200 for texts in sw.samples.values() for s in texts)
    assert all(len(sw.samples[t]) == 2 for t in sw.temperatures)
    m = sw.measures
    assert m["unknown words"][0.2] < 0.05 < m["unknown words"][2.0]
    assert m["next-char entropy (bits)"][0.2] < m["next-char entropy (bits)"][2.0]
    assert m["distinct word pairs"][0.2] < m["distinct word pairs"][2.0]
    assert m["share in a loop"][0.2] > 0.9 > m["share in a loop"][2.0]
    assert list(sw.table().index) == ["0.2", "1", "2"]
    assert list(sw.table({n: 0.5 for n in MEASURES}).index)[-1] == "real held-out text"
    # same seed, same samples: the sweep is reproducible
    again = sweep(ckpt.model, ckpt.vocab, ref, temperatures=(2.0, 0.2, 1.0), length=200, num=2, seed=3)
    assert again.samples == sw.samples and sw.samples[1.0][0] != sw.samples[1.0][1]
    # the plain data feeds the widget and the plot as they are
    w = TemperatureWidget(sw.first_samples(), sw.measures, sampler=make_sampler(ckpt.model, ckpt.vocab, 50))
    assert w.temperature == 1.0 and len(w.measures) == len(MEASURES)
    live = w._sampler(0.5, "the ")
    assert live.startswith("the ") and len(live) == 54
    fig = plot_sweep(sw, reference_measures(text, ref, length=200, num=3))
    assert len(fig.axes) == 3


def test_sample_across_shares_random_numbers_between_temperatures(looping_model):
    ckpt, _ = looping_model
    # Two almost equal temperatures read the same random numbers, so they write the same text; a different seed
    # (other random numbers) writes another one.
    got = sample_across(ckpt.model, ckpt.vocab, 300, (1.5, 1.5001), num=2, seed=7)
    assert got[1.5] == got[1.5001]
    assert sample_across(ckpt.model, ckpt.vocab, 300, (1.5,), num=2, seed=8)[1.5] != got[1.5]
    # a prime is read first and not repeated
    primed = sample_across(ckpt.model, ckpt.vocab, 40, (0.2,), prime="the startup ", seed=0)[0.2][0]
    assert len(primed) == 40 and primed.startswith("is the same")


def test_sweep_and_reference_reject_bad_arguments(looping_model):
    ckpt, text = looping_model
    with pytest.raises(CharlabError, match="positive"):
        sweep(ckpt.model, ckpt.vocab, set(), temperatures=(0.0, 1.0))
    with pytest.raises(CharlabError, match="fewer than one window"):
        reference_measures("short", set(), length=100)


def _sweep(per_t: dict[float, dict[str, float]]) -> Sweep:
    temps = sorted(per_t)
    return Sweep(temps, {t: ["x"] for t in temps}, {n: {t: [per_t[t][n]] for t in temps} for n in MEASURES}, 1)


def _row(dwp: float, ent: float, unk: float) -> dict[str, float]:
    return {n: 0.0 for n in MEASURES} | {"distinct word pairs": dwp, "next-char entropy (bits)": ent,
                                         "unknown words": unk}


def test_temperature_verdicts_follow_their_rules():
    from charlab.chapters.ch02_paul_graham import conservative_verdict, mistakes_verdict

    good = _sweep({0.1: _row(0.1, 0.2, 0.01), 0.5: _row(0.5, 0.9, 0.02), 1.0: _row(0.8, 1.5, 0.05),
                   1.5: _row(0.9, 2.0, 0.2), 2.0: _row(0.95, 2.5, 0.5)})
    assert conservative_verdict(good)[0] == "holds"
    assert mistakes_verdict(good, {"unknown words": 0.03})[0] == "holds"
    assert mistakes_verdict(good, {"unknown words": 0.10})[0] == "holds partly"  # T=1 already worse than real
    bumpy = _sweep({0.1: _row(0.1, 0.2, 0.0), 0.3: _row(0.6, 0.1, 0.0), 0.5: _row(0.5, 0.9, 0.0),
                    1.0: _row(0.8, 1.5, 0.0)})
    assert conservative_verdict(bumpy)[0] == "holds partly"  # lower at 0.1, but not rising step by step
    wordless = _sweep({0.02: _row(float("nan"), 0.0, 0.0), 0.1: _row(0.1, 0.2, 0.0), 0.5: _row(0.5, 0.9, 0.0),
                       1.0: _row(0.8, 1.5, 0.0)})
    assert conservative_verdict(wordless)[0] == "holds"  # a loop with no word pair is skipped, not a failure
    flat = _sweep({0.1: _row(0.9, 2.0, 0.0), 1.0: _row(0.8, 1.5, 0.0)})
    assert conservative_verdict(flat)[0] == "contradicted"


def test_parameter_batch_time_and_loop_verdicts():
    from charlab.analysis.cycles import Cycle
    from charlab.chapters.ch02_paul_graham import NearZero, batch_time_verdict, loop_verdict, parameters_verdict

    assert parameters_verdict(3_300_000)[0] == "holds" and parameters_verdict(5_000_000)[0] == "contradicted"
    assert batch_time_verdict(3.1, "CPU AMD EPYC (2 threads)")[0] == "not testable here"
    assert batch_time_verdict(0.01, "GPU NVIDIA H200")[0] == "holds"
    loop = Cycle(period=20, start=10, end=100, unit="the startups are the", reaches_end=True)
    other = Cycle(period=5, start=10, end=100, unit="and t", reaches_end=True)
    assert loop_verdict([NearZero("argmax (T=0)", 0.0, "x", loop)])[0] == "holds"
    assert loop_verdict([NearZero("argmax (T=0)", 0.0, "x", other)])[0] == "holds partly"
    assert loop_verdict([NearZero("argmax (T=0)", 0.0, "x", None)])[0] == "contradicted"


def test_steps_up_counts_rising_steps():
    from charlab.chapters.ch02_paul_graham import steps_up

    assert steps_up([1.0, 2.0, 1.5, 3.0]) == (2, 3) and steps_up([1.0]) == (0, 0)


def _step(model, optimizer, x, y, state, config):
    """charlab's own training step written as the page's `training_step`: it must match charlab exactly."""
    from charlab.train import forward_loss, update

    loss, state = forward_loss(model, x, y, state)
    update(model, optimizer, loss, config)
    return loss.item(), state


def test_compare_with_charlab_finds_no_gap_in_the_same_computation_and_one_in_another(looping_model):
    import copy

    import torch

    from charlab.chapters.ch02_paul_graham import compare_with_charlab
    from charlab.train import build_model

    ckpt, text = looping_model
    config = get_preset("smoke").with_overrides(dropout=0.3)  # dropout: the same random numbers must be drawn
    model = build_model(config, len(ckpt.vocab))
    before = copy.deepcopy(model.state_dict())
    ids = ckpt.vocab.encode(text)
    same = compare_with_charlab(build_model(config, len(ckpt.vocab)), _step, model, ids, config)
    assert same.scores == 0.0 and same.loss == 0.0 and same.weights == 0.0
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())  # a copy took the step

    def double_step(m, optimizer, x, y, state, config):  # another computation: two steps instead of one
        _step(m, optimizer, x, y, state, config)
        return _step(m, optimizer, x, y, state, config)

    other = compare_with_charlab(build_model(config, len(ckpt.vocab)), double_step, model, ids, config)
    assert other.scores == 0.0 and other.weights > 1e-4


def test_post_model_counts_the_posts_lstm_for_the_texts_characters():
    from charlab.experiments import post_model

    text = "abcde" * 10_000  # 5 characters, 45,000 of them in the training split
    post = post_model("pg", text)
    h, v = 512, 5
    lstm = 4 * h * (v + h) + 8 * h + 4 * h * (h + h) + 8 * h  # two layers, PyTorch's two bias vectors per gate
    assert (post.config.num_layers, post.config.hidden_size, post.config.embedding_dim) == (2, 512, 0)
    assert post.vocab_size == 5 and post.parameters == lstm + h * v + v
    assert post.iters_per_epoch == (45_000 - 1) // (100 * 100) == 4


def test_batch_timing_projects_a_full_run_and_describes_it():
    from charlab.chapters.ch02_paul_graham import BatchTiming, time_post_batch
    from charlab.experiments import PostModel

    config = get_preset("smoke")
    post = PostModel(config.with_overrides(max_epochs=50), vocab_size=7, parameters=1, iters_per_epoch=120)
    timing = BatchTiming(post, seconds=0.5, device="CPU test (2 threads)", iters=3, warmup=1)
    assert timing.full_run_s == 0.5 * 120 * 50
    text = timing.describe()
    assert "**0.50 s** on CPU test (2 threads)" in text and "**1.1×** the post's time" in text
    assert "120 batches each" in text and "about **50 min 00 s**" in text
    timed = time_post_batch(PostModel(config, 7, 1, 10), iters=1, warmup=0, device="cpu")
    assert timed.seconds > 0 and timed.device.startswith("CPU") and (timed.iters, timed.warmup) == (1, 0)


def test_near_zero_distinct_pairs_and_committed_metrics(tmp_path, monkeypatch):
    import json

    from charlab.chapters import ch02_paul_graham as ch02

    assert ch02.NearZero("argmax (T=0)", 0.0, "a b a b a b", None).distinct_pairs == pytest.approx(2 / 5)
    monkeypatch.setattr("charlab.experiments.runs_dir", lambda: tmp_path / "runs")
    assert ch02.committed_metrics() == []
    (tmp_path / "results" / "blog" / "pg").mkdir(parents=True)  # results/<scale>/<experiment>/
    rows = [{"iter": 100, "val_loss": 1.5}, {"iter": 200, "val_loss": 1.25}]
    (tmp_path / "results" / "blog" / "pg" / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert ch02.committed_metrics() == rows
    assert ch02.committed_metrics_path() == "results/blog/pg/metrics.jsonl"  # the path the page names is read


def test_page_model_carries_the_run_or_says_why_not(looping_model):
    from charlab.chapters import ch02_paul_graham as ch02
    from charlab.widgets.model_data import rounded_model

    model, vocab = looping_model[0].model, looping_model[0].vocab
    payload, said = ch02.page_model(model, vocab)
    back, back_vocab = rounded_model(payload)
    assert back_vocab.chars == vocab.chars
    for a, b in zip(model.state_dict().values(), back.state_dict().values(), strict=True):
        assert (a.half().float() == b).all()
    assert said.startswith("The page carries this chapter's model") and "fp16" in said
    assert TemperatureWidget({1.0: "x"}, model=payload).model == payload
    none, why = ch02.page_model(model, vocab, max_bytes=100)
    assert none is None and "over the" in why


def test_differences_from_post_states_the_run_and_the_cost_of_the_posts():
    from types import SimpleNamespace

    from charlab.chapters.ch02_paul_graham import DATASET, BatchTiming, differences_from_post
    from charlab.experiments import PostModel

    config = get_preset("smoke")
    run = SimpleNamespace(config=config, parameters=12_345, result=SimpleNamespace(iters=1_800, epoch=2.5),
                          wall_s=245, device="CPU test")
    timing = BatchTiming(PostModel(get_preset("pg-blog"), 90, 3_400_000, 100), 2.0, "CPU test", 1, 0)
    text = differences_from_post(run, timing)
    assert DATASET.differs_from_post in text
    assert f"{config.num_layers}×{config.hidden_size} with 12,345 parameters" in text
    assert "1,800 iterations (2.50 epochs) in 4 min 05 s on CPU test" in text
    assert "at 2.00 s per batch, 50 epochs at its settings would take about 2 h 46 min here" in text


def test_cpu_slowdown_verdict_band_around_ten():
    from charlab.chapters.ch02_paul_graham import cpu_slowdown_verdict

    verdict, value, measured = cpu_slowdown_verdict(1.73, "CPU test (2 threads)", 0.46, "a TITAN Z")
    assert (verdict, value) == ("holds partly", "3.8x")  # slower, but below the 5x-20x band
    assert "3.8 times slower, below the 5x-20x band" in measured
    assert cpu_slowdown_verdict(4.6, "CPU", 0.46, "GPU")[:2] == ("holds", "10.0x")
    assert cpu_slowdown_verdict(2.5, "CPU", 0.5, "GPU")[0] == "holds"  # 5.0x: the band's edge counts
    assert "above the" in cpu_slowdown_verdict(10.0, "CPU", 0.46, "GPU")[2]
    verdict, _, measured = cpu_slowdown_verdict(0.23, "CPU", 0.46, "GPU")
    assert verdict == "contradicted" and "2.0 times faster" in measured
    with pytest.raises(CharlabError):
        cpu_slowdown_verdict(1.0, "CPU", 0.0, "GPU")


def _metrics(iters: list[int], per_iter: int, seconds_per_iter: list[float | None], val: list[float]) -> list[dict]:
    return [{"iter": i, "val_loss": v, "chars_per_s": None if s is None else per_iter / s}
            for i, s, v in zip(iters, seconds_per_iter, val, strict=True)]


def test_train_seconds_and_seconds_per_batch_skip_evaluations_and_the_first_interval():
    from charlab.chapters.ch02_paul_graham import seconds_per_batch, train_seconds

    config = get_preset("smoke").with_overrides(batch_size=2, seq_len=5)  # 10 characters per iteration
    metrics = _metrics([0, 10, 20, 30], 10, [None, 0.5, 0.1, 0.1], [4.0, 3.0, 2.5, 2.2])
    assert train_seconds(metrics, config) == pytest.approx([0.0, 5.0, 6.0, 7.0])
    assert seconds_per_batch(metrics, config) == pytest.approx(0.1)  # the median interval: start-up not counted
    assert math.isnan(seconds_per_batch(metrics[:1], config))


def test_compare_bptt_at_equal_characters_and_equal_time():
    from charlab.chapters.ch02_paul_graham import bptt_verdict, compare_bptt, plot_bptt

    c100 = get_preset("smoke").with_overrides(batch_size=2, seq_len=100)  # 200 characters per iteration
    c50 = c100.with_overrides(seq_len=50)
    runs = {100: (_metrics([0, 5, 10], 200, [None, 1.0, 1.0], [4.0, 3.0, 2.0]), c100),
            50: (_metrics([0, 10, 20], 100, [None, 0.6, 0.6], [4.0, 2.8, 2.02]), c50)}
    c = compare_bptt(runs, train_chars=4000)
    assert (c.long, c.short, c.chars, c.epochs) == (100, 50, 2000, 0.5)
    assert c.time_ratio == pytest.approx(0.6) and c.cost == pytest.approx(0.02)
    assert c.seconds == pytest.approx(10.0)  # BPTT 100 trained 10 s, BPTT 50 12 s
    # BPTT 50 at 10 s: between 6 s (2.8) and 12 s (2.02)
    assert c.loss_at_seconds == pytest.approx({100: 2.0, 50: 2.8 - 0.78 * 4 / 6})
    verdict, value, measured = bptt_verdict(c)
    assert verdict == "holds" and value == "time per batch x0.60, loss +0.020 nats/char"
    assert "BPTT 50's held-out loss is higher than BPTT 100's by 0.020 nats/char (2.020 against 2.000)" in measured
    assert "after the same 10 s of training, BPTT 50's held-out loss is higher" in measured
    assert bptt_verdict(c, post_ratio=0.7)[0] == "holds partly"  # the post's model timed: not halved
    assert "takes 0.70 times as long at BPTT 50" in bptt_verdict(c, post_ratio=0.7)[2]
    worse = {**runs, 50: (_metrics([0, 10, 20], 100, [None, 0.6, 0.6], [4.0, 2.8, 2.2]), c50)}
    assert bptt_verdict(compare_bptt(worse, 4000), post_ratio=0.8)[0] == "contradicted"
    better = {**runs, 50: (_metrics([0, 10, 20], 100, [None, 0.6, 0.6], [4.0, 2.8, 1.9]), c50)}
    assert "lower than BPTT 100's by 0.100" in bptt_verdict(compare_bptt(better, 4000))[2]
    assert len(plot_bptt(runs).axes) == 2
    short = {**runs, 50: (_metrics([0, 10], 100, [None, 0.6], [4.0, 2.8]), c50)}
    with pytest.raises(CharlabError, match="different characters"):
        compare_bptt(short, 4000)


def test_bptt_overrides_read_the_same_characters_at_both_lengths():
    from charlab.chapters.ch02_paul_graham import BPTT, bptt_overrides

    cpu = {k: bptt_overrides("cpu", k) for k in BPTT}
    assert cpu[100] == dict(seq_len=100, max_iters=270, eval_interval=45, eval_max_chunks=16, warmup_iters=32,
                            state_reset_every=10)
    assert cpu[50] == dict(seq_len=50, max_iters=540, eval_interval=90, eval_max_chunks=32, warmup_iters=64,
                           state_reset_every=20)
    for scale in ("smoke", "blog"):
        o = {k: bptt_overrides(scale, k) for k in BPTT}
        assert o[100]["max_iters"] * 100 == o[50]["max_iters"] * 50
        assert o[100]["eval_interval"] * 100 == o[50]["eval_interval"] * 50


def test_cpu_slowdown_claim_uses_a_gpu_when_there_is_one():
    from types import SimpleNamespace

    from charlab.chapters.ch02_paul_graham import BatchTiming, cpu_slowdown_claim
    from charlab.experiments import PostModel

    post = PostModel(get_preset("pg-blog"), 90, 3_400_000, 100)
    cpu = BatchTiming(post, 1.73, "CPU test (2 threads)", 7, 1)
    verdict, value, measured, also = cpu_slowdown_claim(cpu, scale="cpu")
    assert (verdict, value, also) == ("holds partly", "3.8x", [])
    assert "the post's TITAN Z GPU (2015)" in measured and "a GPU of 2015" in measured
    gpu = BatchTiming(post, 0.1, "GPU test", 7, 1)
    verdict, value, measured, _ = cpu_slowdown_claim(cpu, gpu, scale="blog")  # both timed on this machine
    assert (verdict, value) == ("holds", "17.3x") and "0.1 s on GPU test" in measured
    per_iter = 100 * 100
    committed = SimpleNamespace(scale="blog", config=post.config, stamp={"device": "GPU H100", "precision": "bf16"},
                                metrics=_metrics([0, 100, 200], per_iter, [None, 0.25, 0.25], [4.0, 2.0, 1.5]))
    _, _, _, also = cpu_slowdown_claim(cpu, committed=committed, scale="cpu")
    assert [(j.scale, j.verdict, j.value) for j in also] == [("blog", "holds", "6.9x")]
    assert "GPU H100 (the committed blog run, bf16)" in also[0].measured
    other = SimpleNamespace(**{**vars(committed), "config": post.config.with_overrides(seq_len=50)})
    assert cpu_slowdown_claim(cpu, committed=other, scale="cpu")[3] == []  # not the post's batch


def test_post_bptt_ratio_times_the_shorter_batch():
    from charlab.chapters.ch02_paul_graham import post_bptt_ratio
    from charlab.experiments import PostModel

    post = PostModel(get_preset("smoke").with_overrides(seq_len=100), 7, 1, 10)
    timing, ratio = post_bptt_ratio(post, iters=1, warmup=0, device="cpu")
    assert timing.post.config.seq_len == 50 and post.config.seq_len == 100 and ratio > 0


def test_cpu_and_gpu_times_the_cpu_only_on_a_gpu_machine():
    from charlab.chapters.ch02_paul_graham import BatchTiming, cpu_and_gpu
    from charlab.experiments import PostModel

    post = PostModel(get_preset("smoke"), 7, 1, 10)
    on_cpu = BatchTiming(post, 1.0, "CPU test (2 threads)", 1, 0)
    assert cpu_and_gpu(on_cpu, 1, 0) == (on_cpu, None)
    on_gpu = BatchTiming(post, 0.01, "GPU test", 1, 0)
    cpu, gpu = cpu_and_gpu(on_gpu, 1, 0)
    assert gpu is on_gpu and cpu.device.startswith("CPU") and cpu.seconds > 0
