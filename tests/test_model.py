import pytest
import torch

from charlab.errors import CharlabError
from charlab.model import CharRNN, ModelConfig


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
@pytest.mark.parametrize("embedding_dim", [0, 8])
def test_shapes_and_step_agrees_with_forward(cell, embedding_dim):
    torch.manual_seed(0)
    m = CharRNN(
        ModelConfig(vocab_size=11, cell=cell, hidden_size=16, num_layers=2, embedding_dim=embedding_dim)
    )
    m.eval()
    ids = torch.randint(0, 11, (3, 7))
    logits, state = m(ids)
    assert logits.shape == (3, 7, 11)
    h = state[0] if cell == "lstm" else state
    assert h.shape == (2, 3, 16)
    # feeding one character at a time with `step` gives the same logits
    s = m.init_state(3)
    for t in range(7):
        step_logits, s = m.step(ids[:, t], s)
        assert torch.allclose(step_logits, logits[:, t], atol=1e-5)


def test_char_rnn_initialisation():
    m = CharRNN(ModelConfig(vocab_size=5, cell="lstm", hidden_size=8, num_layers=1))
    for name, p in m.named_parameters():
        if name == "rnn.bias_ih_l0":
            assert torch.all(p[8:16] == 1.0)
        elif name == "rnn.bias_hh_l0":
            assert torch.all(p[8:16] == 0.0)
        else:
            assert p.abs().max() <= 0.08


def test_bad_config_is_a_clear_error():
    with pytest.raises(CharlabError, match="unknown cell 'gpt'; use one of rnn, gru, lstm, transformer"):
        ModelConfig(vocab_size=5, cell="gpt")


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
@pytest.mark.parametrize("embedding_dim", [0, 3])
def test_gradcheck_float64_through_every_parameter(cell, embedding_dim):
    """Autograd's gradients of the loss match finite differences for every weight of a tiny model."""
    torch.manual_seed(0)
    m = CharRNN(
        ModelConfig(vocab_size=4, cell=cell, hidden_size=3, num_layers=2, embedding_dim=embedding_dim)
    ).double()
    ids, targets = torch.randint(0, 4, (2, 5)), torch.randint(0, 4, (2, 5))
    names = [n for n, _ in m.named_parameters()]
    params = tuple(p.detach().clone().requires_grad_() for p in m.parameters())

    def loss(*ps):
        logits, _ = torch.func.functional_call(m, dict(zip(names, ps, strict=True)), (ids,))
        return torch.nn.functional.cross_entropy(logits.reshape(-1, 4), targets.reshape(-1))

    assert torch.autograd.gradcheck(loss, params, eps=1e-6, atol=1e-5)
