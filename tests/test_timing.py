import math
from types import SimpleNamespace

import pytest

from charlab import timing
from charlab.errors import CharlabError
from charlab.presets import get_preset
from charlab.timing import time_per_batch
from charlab.train import build_model


def test_time_per_batch_measures_a_training_step():
    config = get_preset("smoke").with_overrides(hidden_size=16, batch_size=4, seq_len=8)
    seconds = time_per_batch(config, vocab_size=20, iters=2, device="cpu")
    assert 0 < seconds and math.isfinite(seconds)  # no upper bound: how fast is the machine's business
    with pytest.raises(CharlabError, match="iters"):
        time_per_batch(config, vocab_size=20, iters=0)


def test_time_per_batch_is_the_median_after_the_warmup(monkeypatch):
    # A fake clock that each training step moves on by the next of `durations` seconds: the first (warmup)
    # step is not counted, the median of the other four is (0.5 + 2) / 2.
    clock, durations = [100.0], iter([9.0, 0.5, 3.0, 0.25, 2.0])
    real_update = timing.update

    def update(*args, **kwargs):
        real_update(*args, **kwargs)
        clock[0] += next(durations)

    monkeypatch.setattr(timing, "update", update)
    monkeypatch.setattr(timing, "time", SimpleNamespace(perf_counter=lambda: clock[0]))
    config = get_preset("smoke").with_overrides(hidden_size=8, batch_size=2, seq_len=4)
    assert time_per_batch(config, vocab_size=5, iters=4, warmup=1, device="cpu") == 1.25


def test_build_model_matches_the_posts_parameter_count():
    # 2x512 LSTM, one-hot input: 4 gates x (inputs + hidden + 2 biases) per layer, plus the softmax layer.
    vocab, h = 98, 512
    expected = 4 * h * (vocab + h + 2) + 4 * h * (h + h + 2) + (h * vocab + vocab)
    assert build_model(get_preset("pg-blog"), vocab).num_parameters() == expected
    assert 3.3e6 < expected < 3.6e6  # the post's "approx. 3.5 million parameters"
