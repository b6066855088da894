import os
import pickle

import pytest
import torch

from charlab.checkpoint import load_checkpoint, save_checkpoint
from charlab.errors import CharlabError
from charlab.model import CharRNN, ModelConfig
from charlab.sampling import beam_search, sample, start_ids, warm_up
from charlab.text import Vocab


@pytest.fixture
def model_and_vocab():
    torch.manual_seed(0)
    vocab = Vocab.from_text("abcdefgh \n")
    return CharRNN(ModelConfig(vocab_size=len(vocab), hidden_size=16, num_layers=2)), vocab


def test_checkpoint_round_trip(tmp_path, model_and_vocab):
    model, vocab = model_and_vocab
    opt = torch.optim.Adam(model.parameters())
    model(torch.zeros(1, 3, dtype=torch.long))[0].sum().backward()
    opt.step()
    path = save_checkpoint(tmp_path / "c.safetensors", model, vocab, {"iter": 5}, opt, model.init_state(2))
    ckpt = load_checkpoint(path)
    assert ckpt.vocab == vocab and ckpt.meta["iter"] == 5
    for a, b in zip(model.state_dict().values(), ckpt.model.state_dict().values(), strict=True):
        assert torch.equal(a, b)
    assert not list(tmp_path.glob("*.tmp"))


class Evil:
    def __reduce__(self):
        return (os.system, (f"touch {EVIL_MARKER}",))


EVIL_MARKER = "/tmp/charlab-evil-marker"


@pytest.mark.parametrize("name", ["evil.pt", "evil.safetensors", "run/best.safetensors"])
def test_malicious_pickle_is_refused_and_never_executed(tmp_path, name):
    if os.path.exists(EVIL_MARKER):
        os.remove(EVIL_MARKER)
    path = tmp_path / name
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(pickle.dumps({"state_dict": Evil()}))
    with pytest.raises(CharlabError, match="never unpickles"):
        load_checkpoint(path.parent if name.startswith("run") else path)
    assert not os.path.exists(EVIL_MARKER)


def test_seeded_sampling_is_deterministic(model_and_vocab):
    model, vocab = model_and_vocab
    a = sample(model, vocab, 50, temperature=1.0, num=3, seed=42)
    b = sample(model, vocab, 50, temperature=1.0, num=3, seed=42)
    assert a == b and len(a) == 3 and all(len(s) == 50 for s in a)
    assert sample(model, vocab, 50, num=3, seed=43) != a


def test_burn_in_drops_the_first_characters_of_the_same_stream(model_and_vocab):
    model, vocab = model_and_vocab
    whole = sample(model, vocab, 60, num=2, seed=7)
    windows = sample(model, vocab, 45, num=2, seed=7, burn_in=15)
    assert windows == [w[15:] for w in whole]
    with pytest.raises(CharlabError, match="burn_in"):
        sample(model, vocab, 10, burn_in=-1)


def test_temperature_zero_is_argmax_and_matches_beam_of_one(model_and_vocab):
    model, vocab = model_and_vocab
    greedy = sample(model, vocab, 30, temperature=0, prime="abc", num=2)
    assert greedy[0] == greedy[1]
    assert beam_search(model, vocab, 30, beam_width=1, prime="abc") == greedy[0]
    assert len(beam_search(model, vocab, 30, beam_width=4, prime="abc")) == 30


def test_top_k_one_is_argmax(model_and_vocab):
    model, vocab = model_and_vocab
    assert sample(model, vocab, 20, temperature=1.5, top_k=1, seed=1) == sample(
        model, vocab, 20, temperature=0
    )


def test_sampling_errors(model_and_vocab):
    model, vocab = model_and_vocab
    with pytest.raises(CharlabError, match="temperature must be >= 0"):
        sample(model, vocab, 10, temperature=-1)
    with pytest.raises(CharlabError, match="not in the model's vocabulary: 'z'"):
        sample(model, vocab, 10, prime="abz")


def _peak_rss_during(fn):
    """Bytes the process's peak resident memory rose above its current size while `fn` ran (Linux)."""
    def status(key):
        return int(next(x for x in open("/proc/self/status") if x.startswith(key)).split()[1]) * 1024
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # resets the peak (VmHWM) to the current RSS
    before = status("VmRSS")
    fn()
    return status("VmHWM") - before


def test_a_long_prime_warms_up_in_chunks_in_bounded_memory(model_and_vocab):
    model, vocab = model_and_vocab
    model.eval()
    ids = torch.randint(0, len(vocab), (20_000,), generator=torch.Generator().manual_seed(0)).tolist()
    logits, state = warm_up(model, ids, 3, torch.device("cpu"))
    with torch.no_grad():
        whole_logits, whole_state = model(torch.tensor(ids)[None])  # the definition: one pass over the prime
    assert logits.shape == (3, len(vocab)) and state[0].shape == (2, 3, 16)
    for row in range(3):
        torch.testing.assert_close(logits[row], whole_logits[0, -1], atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(state[1][:, row], whole_state[1][:, 0], atol=1e-5, rtol=1e-5)
    # 64 copies of a 20,000-character prime run at once held ~64 x 20,000 x (one-hot + outputs + logits) floats
    extra = _peak_rss_during(lambda: warm_up(model, ids, 64, torch.device("cpu")))
    assert extra < 30_000_000, f"warming up took {extra:,} bytes"


def test_a_byte_level_model_reads_the_prime_as_utf8_bytes():
    text = "héllo 世界\n"
    vocab = Vocab.from_text(text.encode("utf-8").decode("latin-1"), byte_level=True)
    assert start_ids(vocab, "é") == [vocab.chars.index("\xc3"), vocab.chars.index("\xa9")]
    assert vocab.decode(start_ids(vocab, "世界")) == "世界".encode().decode("latin-1")
    torch.manual_seed(0)
    model = CharRNN(ModelConfig(vocab_size=len(vocab), hidden_size=8, num_layers=1))
    assert len(sample(model, vocab, 5, prime="世界", seed=0)) == 1
    with pytest.raises(CharlabError, match="not in the model's vocabulary"):
        start_ids(vocab, "ü")  # its bytes C3 BC: BC was never seen
