import numpy as np
import pytest

from charlab.batching import StreamBatcher, split_ids
from charlab.errors import CharlabError


def test_split_is_contiguous_and_val_is_the_tail():
    ids = np.arange(1000)
    s = split_ids(ids, val_frac=0.1)
    assert np.array_equal(np.concatenate([s["train"], s["val"], s["test"]]), ids)
    assert np.array_equal(s["val"], ids[900:])
    s = split_ids(ids, val_frac=0.1, test_frac=0.05)
    assert len(s["train"]) == 850 and len(s["val"]) == 100 and len(s["test"]) == 50


def test_targets_are_next_characters_and_streams_continue_across_chunks():
    ids = np.arange(1001)
    b = StreamBatcher(ids, batch_size=4, seq_len=10)
    assert len(b) == 25
    prev = None
    for x, y in b:
        assert x.shape == (4, 10)
        assert np.array_equal(y.numpy(), x.numpy() + 1)  # arange: next id is +1
        if prev is not None:
            assert np.array_equal(x[:, 0].numpy(), prev[:, -1].numpy() + 1)  # each stream is contiguous
        prev = x
    x0, _ = b.chunk(0)
    assert np.array_equal(x0[:, 0].numpy(), np.array([0, 250, 500, 750]))


def test_too_short_text_says_how_long_it_must_be():
    with pytest.raises(CharlabError, match=r"needs at least 41"):
        StreamBatcher(np.arange(30), batch_size=4, seq_len=10)
