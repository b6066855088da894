"""The step-by-step LSTM of charlab.neurons against nn.LSTM, its gates, its guesses and cell clamping."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from charlab import neurons
from charlab.errors import CharlabError
from charlab.model import CharRNN, ModelConfig
from charlab.neurons import ablate, record
from charlab.text import Vocab

TEXT = "the cat (sat) on [[the mat]] and the dog (ran (far)) away. " * 3


def model_for(embedding_dim: int, num_layers: int = 2, hidden: int = 12, seed: int = 0) -> tuple[CharRNN, Vocab]:
    torch.manual_seed(seed)
    vocab = Vocab.from_text(TEXT)
    model = CharRNN(ModelConfig(len(vocab), "lstm", hidden, num_layers, embedding_dim=embedding_dim, init_range=0.5))
    return model, vocab


@pytest.mark.parametrize("embedding_dim", [0, 5])
def test_recording_reproduces_nn_lstm(embedding_dim):
    model, vocab = model_for(embedding_dim)
    ids = torch.as_tensor(vocab.encode(TEXT))[None]
    with torch.no_grad():
        logits, (h_n, c_n) = model(ids)
        top, _ = model.rnn(model._inputs(ids), model.init_state(1))
    rec = record(model, vocab, TEXT)
    assert rec.h.shape == rec.c.shape == (2, len(TEXT), 12) and rec.loss.shape == (len(TEXT) - 1,)
    np.testing.assert_allclose(rec.h[-1], top[0].numpy(), atol=1e-5)
    np.testing.assert_allclose(rec.h[:, -1], h_n[:, 0].numpy(), atol=1e-5)
    np.testing.assert_allclose(rec.c[:, -1], c_n[:, 0].numpy(), atol=1e-5)
    logp = F.log_softmax(logits[0], -1)
    np.testing.assert_allclose(rec.loss, -logp[:-1].gather(1, ids[0, 1:, None])[:, 0].numpy(), atol=1e-5)
    best = logp.topk(5, dim=-1)
    np.testing.assert_allclose(rec.top_p, best.values.exp().numpy(), atol=1e-5)
    assert (rec.top_ids[:, 0] == best.indices[:, 0].numpy()).all()
    # Every layer's intermediate states too: nn.LSTM run on a prefix ends in the recorded state at that character.
    with torch.no_grad():
        _, (h_20, c_20) = model(ids[:, :20])
    np.testing.assert_allclose(rec.c[:, 19], c_20[:, 0].numpy(), atol=1e-5)
    np.testing.assert_allclose(rec.h[:, 19], h_20[:, 0].numpy(), atol=1e-5)


def test_gates_obey_the_lstm_update():
    model, vocab = model_for(0)
    rec = record(model, vocab, TEXT)
    i, f, g, o = (rec.gates[k] for k in "ifgo")
    assert i.min() >= 0 and i.max() <= 1 and g.min() >= -1 and g.max() <= 1
    np.testing.assert_allclose(rec.c[:, 1:], f[:, 1:] * rec.c[:, :-1] + i[:, 1:] * g[:, 1:], atol=1e-6)
    np.testing.assert_allclose(rec.h, o * np.tanh(rec.c), atol=1e-6)
    np.testing.assert_allclose(rec.c[:, 0], (i * g)[:, 0], atol=1e-6)  # from a zero state
    cells = rec.flat()
    assert cells.shape == (len(TEXT), 24)
    np.testing.assert_allclose(cells[:, 12 + 3], np.tanh(rec.c[1, :, 3]))  # cell 15 = layer 1, unit 3
    np.testing.assert_allclose(rec.flat("f")[:, 2], f[0, :, 2])


def test_context_warms_the_state_and_is_not_recorded():
    model, vocab = model_for(0)
    full = record(model, vocab, TEXT)
    tail = record(model, vocab, TEXT[30:], context=TEXT[:30])
    np.testing.assert_allclose(tail.c, full.c[:, 30:], atol=1e-6)
    np.testing.assert_allclose(tail.loss, full.loss[30:], atol=1e-6)
    np.testing.assert_allclose(tail.top_p, full.top_p[30:], atol=1e-6)


def test_losses_and_top_guesses_over_several_prediction_chunks(monkeypatch):
    """Predictions are computed CHUNK steps at a time; chunks of 7 must give what one pass gives."""
    model, vocab = model_for(0)
    rec = record(model, vocab, TEXT, k=3)
    monkeypatch.setattr(neurons, "CHUNK", 7)
    chunked = record(model, vocab, TEXT, k=3)
    np.testing.assert_allclose(chunked.loss, rec.loss, atol=1e-6)
    np.testing.assert_allclose(chunked.top_p, rec.top_p, atol=1e-6)
    guesses, probs = rec.top()
    assert len(guesses) == len(TEXT) and all(len(g) == 3 for g in guesses) and probs.shape == (len(TEXT), 3)
    assert np.all(np.diff(probs, axis=1) <= 0)  # likeliest first
    assert guesses[3][0] == vocab.chars[rec.top_ids[3, 0]]


def test_ablating_nothing_is_the_model_and_batching_does_not_change_a_row():
    model, vocab = model_for(5)
    rec = record(model, vocab, TEXT)
    rows = ablate(model, vocab, TEXT, [[], [3], [3, 20], list(range(24))], rec)
    assert rows.shape == (4, len(TEXT) - 1)
    np.testing.assert_allclose(rows[0], rec.loss, atol=1e-5)
    alone = ablate(model, vocab, TEXT, [[3, 20]], rec)
    np.testing.assert_allclose(alone[0], rows[2], atol=1e-6)
    assert not np.allclose(rows[1], rows[0])


def test_clamping_every_cell_leaves_a_constant_prediction():
    """Known answer: with all cells of a one-layer model held at their means, h is the mean h at every step, so
    every prediction is softmax(head(mean h))."""
    model, vocab = model_for(0, num_layers=1)
    rec = record(model, vocab, TEXT)
    loss = ablate(model, vocab, TEXT, [list(range(12))], rec)[0]
    with torch.no_grad():
        logp = F.log_softmax(model.head(torch.as_tensor(rec.h[0].mean(0))), -1).numpy()
    np.testing.assert_allclose(loss, -logp[vocab.encode(TEXT[1:])], atol=1e-5)


def test_mistakes_are_one_clear_error():
    model, vocab = model_for(0)
    rec = record(model, vocab, TEXT)
    with pytest.raises(CharlabError, match="LSTM models only"):
        record(CharRNN(ModelConfig(len(vocab), "gru", 8, 1)), vocab, TEXT)
    with pytest.raises(CharlabError, match="not in the model's vocabulary"):
        record(model, vocab, "zzz!")
    with pytest.raises(CharlabError, match="at least 2 characters"):
        record(model, vocab, "t")
    with pytest.raises(CharlabError, match=r"must be in \[0, 24\)"):
        ablate(model, vocab, TEXT, [[24]], rec)
    other, _ = model_for(0, num_layers=1)
    with pytest.raises(CharlabError, match="recorded from a 1x12 model"):
        ablate(model, vocab, TEXT, [[0]], record(other, vocab, TEXT))
    with pytest.raises(CharlabError, match="unknown state"):
        rec.flat("x")
