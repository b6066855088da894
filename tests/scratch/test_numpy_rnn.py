"""The batched numpy RNN: same math as min-char-rnn, many streams at once."""

import numpy as np
import pytest

from charlab.errors import CharlabError
from charlab.scratch import minchar, numpy_rnn
from charlab.scratch.gradcheck import gradcheck

TEXT = "Whan that Aprille with his shoures soote the droghte of March hath perced to the roote. " * 6


def params_and_chunk(B=3, T=10, H=8, scale=0.3, seed=0):
    chars = sorted(set(TEXT))
    rng = np.random.default_rng(seed)
    params = minchar.init_params(len(chars), H, rng, scale)
    params["bh"] += rng.standard_normal(params["bh"].shape) * scale
    params["by"] += rng.standard_normal(params["by"].shape) * scale
    ix = np.array([chars.index(c) for c in TEXT])
    streams = ix[: B * (T + 1)].reshape(B, T + 1)
    h0 = np.tanh(rng.standard_normal((B, H)))
    return params, streams[:, :-1].T.copy(), streams[:, 1:].T.copy(), h0


def test_matches_the_faithful_version_stream_by_stream():
    params, inputs, targets, h0 = params_and_chunk()
    loss, grads, hlast = numpy_rnn.loss_and_grads(params, inputs, targets, h0, clip=None)
    B = inputs.shape[1]
    ref_loss, ref_grads = 0.0, {k: np.zeros_like(v) for k, v in params.items()}
    for b in range(B):  # the batched loss is the mean over streams of the gist's chunk loss
        lb, gb, hb = minchar.lossfun(params, list(inputs[:, b]), list(targets[:, b]), h0[b][:, None], clip=None)
        ref_loss += lb / B
        for k in gb:
            ref_grads[k] += gb[k] / B
        np.testing.assert_allclose(hlast[b], hb[:, 0], rtol=0, atol=1e-14)
    assert loss == pytest.approx(ref_loss, rel=1e-13)
    for k in params:
        np.testing.assert_allclose(grads[k], ref_grads[k], rtol=0, atol=1e-13)


def test_gradcheck_every_entry():
    params, inputs, targets, h0 = params_and_chunk()

    def loss_fn():
        return numpy_rnn.loss_and_grads(params, inputs, targets, h0, clip=None, backward=False)[0]

    _, grads, _ = numpy_rnn.loss_and_grads(params, inputs, targets, h0, clip=None)
    report = gradcheck(loss_fn, params, grads, method="complex")
    assert report.ok(1e-7), report.table()
    central = gradcheck(loss_fn, params, grads, method="central")
    assert np.median(np.concatenate([c.rel_errors for c in central.checks])) < 1e-8


def test_clipping_in_place():
    params, inputs, targets, h0 = params_and_chunk()
    _, grads, _ = numpy_rnn.loss_and_grads(params, inputs, targets, h0, clip=0.01)
    assert max(np.abs(g).max() for g in grads.values()) <= 0.01


def test_same_start_as_faithful_and_training_lowers_loss():
    a = numpy_rnn.BatchedRNN(TEXT, batch_size=4, hidden_size=16, seq_length=10)
    f = minchar.MinCharRNN(TEXT, hidden_size=16, seq_length=10)
    for k in minchar.PARAM_NAMES:
        np.testing.assert_array_equal(a.params[k], f.params[k])
    assert a.chars_per_iter == 40
    first = a.step()
    assert first == pytest.approx(10 * np.log(len(a.vocab)), rel=1e-3)
    losses = a.train(300, progress=False)
    assert losses[-30:].mean() < 0.6 * first
    ids = np.array([a.char_to_ix[c] for c in TEXT])
    assert numpy_rnn.per_char_loss(a.params, ids, batch_size=4, seq_length=20) < 0.6 * np.log(len(a.vocab))
    assert set(a.sample(50, "W")) <= set(a.vocab)


def test_streams_advance_and_reset_together():
    text = "abcdefghijklmnopqrstuvwxyz" + "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    a = numpy_rnn.BatchedRNN(text, batch_size=2, hidden_size=4, seq_length=5)
    # 52 chars -> 2 streams of 26; chunks at p = 0, 5, 10, 15, 20 (20+5+1 = 26 fits), then back to 0
    starts = []
    for _ in range(6):
        a.step()
        starts.append(a.p - a.seq_length)
    assert starts == [0, 5, 10, 15, 20, 0]
    inputs, _ = a.next_chunk()
    assert "".join(a.vocab[i] for i in inputs[:, 0]) == "fghij"
    assert "".join(a.vocab[i] for i in inputs[:, 1]) == "FGHIJ"  # stream 1 starts at character 26


def test_too_short_text_is_a_clear_error():
    with pytest.raises(CharlabError, match="batch_size"):
        numpy_rnn.BatchedRNN("x" * 100, batch_size=8, seq_length=25)
    with pytest.raises(CharlabError):
        numpy_rnn.BatchedRNN(TEXT, batch_size=0)
