"""The in-page model (lstm.js over model_data's fp16 payload) against torch on the same rounded weights, in
headless Chromium, on small random models whose answers torch gives: logits, argmax samples, seeded sampling,
top-k, and reading a text with characters the model never saw. The real chapters' models are checked on the built
book by tests/browser."""

from __future__ import annotations

import json
from importlib import resources

import numpy as np
import pytest
import torch

from charlab.errors import CharlabError
from charlab.model import CharRNN, ModelConfig
from charlab.sampling import sample
from charlab.text import Vocab
from charlab.widgets.model_data import FORMAT, export_model, payload_bytes, rounded_model

LSTM_JS = resources.files("charlab.widgets").joinpath("lstm.js").read_text("utf-8")
VOCAB = Vocab(tuple("\n ab{}é😀"))  # a character outside the BMP: JavaScript strings are UTF-16


def tiny(embedding_dim: int, layers: int, seed: int = 0) -> CharRNN:
    torch.manual_seed(seed)
    model = CharRNN(ModelConfig(vocab_size=len(VOCAB.chars), hidden_size=12, num_layers=layers,
                                embedding_dim=embedding_dim, init_range=0.8))  # large weights: saturating gates
    return model.eval()


@pytest.fixture(scope="module")
def page(browser):
    page = browser.new_page()
    page.set_content("<html><body></body></html>")
    page.add_script_tag(content=LSTM_JS + "\nwindow.CharLSTM = CharLSTM; window.makeSampler = makeSampler;"
                                          " window.readText = readText;")
    yield page
    page.close()


def js_logits(page, payload: dict, text: str) -> np.ndarray:
    rows = page.evaluate("([p, text]) => { const m = new CharLSTM(p); return m.logitsOf(m.encode(text).ids)"
                         ".map(r => Array.from(r)); }", [payload, text])
    return np.array(rows)


def js_sample(page, payload: dict, **options) -> str:
    return page.evaluate("([p, o]) => { const s = makeSampler(new CharLSTM(p), o); let t = ''; "
                         "while (!s.done) t += s.next(7); return t; }", [payload, options])


def test_payload_round_trips_fp16_weights():
    model = tiny(4, 2)
    payload = export_model(model, VOCAB)
    assert payload["format"] == FORMAT and payload["vocab"] == "".join(VOCAB.chars)
    back, vocab = rounded_model(json.loads(json.dumps(payload)))
    assert vocab.chars == VOCAB.chars
    for (name, a), b in zip(model.state_dict().items(), back.state_dict().values(), strict=True):
        assert torch.equal(a.half().float(), b), name  # exactly the fp16 rounding, nothing more
    assert payload_bytes(payload) >= len(payload["data"]) == 4 * -(-2 * model.num_parameters() // 3)


@pytest.mark.parametrize(("embedding_dim", "layers"), [(4, 1), (0, 2), (5, 3)])
def test_logits_match_torch_on_the_rounded_weights(page, embedding_dim, layers):
    payload = export_model(tiny(embedding_dim, layers), VOCAB)
    model, vocab = rounded_model(payload)
    text = "ab {a}\né😀 b" * 20
    with torch.no_grad():
        want = model(torch.tensor(vocab.encode(text))[None])[0][0].numpy()
    got = js_logits(page, payload, text)
    assert got.shape == want.shape
    assert np.abs(got - want).max() < 1e-4


def test_argmax_sample_is_charlab_sample_at_temperature_zero(page):
    payload = export_model(tiny(4, 2, seed=3), VOCAB)
    model, vocab = rounded_model(payload)
    for prime in ("", "{a b", "😀"):
        want = sample(model, vocab, 60, temperature=0.0, prime=prime)[0]
        assert js_sample(page, payload, prime=prime, length=60, temperature=0) == want
        assert page.evaluate("([p, prime]) => new CharLSTM(p).sample({prime, length: 60, temperature: 0})",
                             [payload, prime]) == want  # the one-call form tests/browser uses


def test_seeded_sampling_repeats_and_top_k_keeps_to_the_likeliest(page):
    payload = export_model(tiny(4, 1, seed=5), VOCAB)
    a = js_sample(page, payload, prime="ab", length=200, temperature=1.0, seed=7)
    assert a == js_sample(page, payload, prime="ab", length=200, temperature=1.0, seed=7)
    assert a != js_sample(page, payload, prime="ab", length=200, temperature=1.0, seed=8)
    assert len(a) == 200 and set(a) <= set(VOCAB.chars)
    # top-k 1 is the argmax, whatever the temperature and seed
    assert js_sample(page, payload, prime="ab", length=80, temperature=1.5, topK=1, seed=9) == \
        js_sample(page, payload, prime="ab", length=80, temperature=0)


def test_unknown_prime_is_refused_and_read_text_skips_unknown_characters(page):
    payload = export_model(tiny(4, 1), VOCAB)
    with pytest.raises(Exception, match="never saw"):
        js_sample(page, payload, prime="aXb", length=5, temperature=0)
    got = page.evaluate("([p, text]) => { const r = readText(new CharLSTM(p), text); return {unknown: r.unknown, "
                        "guesses: r.guesses, nan: Array.from(r.firing).map(Number.isNaN)}; }", [payload, "abXa"])
    assert got["unknown"] == ["X"] and got["guesses"][2] is None
    assert got["nan"] == [False] * 12 + [False] * 12 + [True] * 12 + [False] * 12
    model, vocab = rounded_model(payload)
    with torch.no_grad():  # the character after the unknown one is read as if it were not there
        logits = model(torch.tensor(vocab.encode("aba"))[None])[0][0, -1]
    top = torch.softmax(logits, -1).topk(5)
    assert [g[0] for g in got["guesses"][3]] == [vocab.chars[i] for i in top.indices]
    assert np.allclose([g[1] for g in got["guesses"][3]], top.values.numpy(), atol=1e-5)


def test_export_refuses_what_the_page_cannot_run():
    with pytest.raises(CharlabError, match="LSTM only"):
        export_model(CharRNN(ModelConfig(vocab_size=len(VOCAB.chars), cell="gru", hidden_size=4)), VOCAB)
    with pytest.raises(CharlabError, match="over the"):
        export_model(tiny(4, 1), VOCAB, max_bytes=100)
    with pytest.raises(CharlabError, match="vocabulary has"):
        export_model(tiny(4, 1), Vocab(tuple("ab")))
    with pytest.raises(CharlabError, match="not an in-page model"):
        rounded_model({"format": "other"})
