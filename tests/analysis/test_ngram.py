import math
import time

import numpy as np
import pytest

from charlab.analysis.ngram import NGramModel, tuned_losses
from charlab.errors import CharlabError


def test_bigram_on_alternating_text_has_near_zero_loss():
    m = NGramModel(2, alpha=0.001).fit("ab" * 500)
    assert m.loss("abab" * 20) < 0.01
    assert m.loss("aabb" * 20) > 2.0  # "aa" and "bb" never occur in training


def test_unigram_loss_is_the_entropy_of_the_character_frequencies():
    m = NGramModel(1, alpha=0.0).fit("aaab" * 100)
    p = np.array([0.75, 0.25])
    assert m.loss("aaab" * 10) == pytest.approx(float(-(p * np.log(p)).sum()))


def test_add_alpha_probabilities_match_the_formula():
    m = NGramModel(2, alpha=1.0, vocab="abc").fit("abab")  # pairs: ab, ba, ab -> count(a)=2 as context
    p = m.next_char_probs("a")
    assert p == pytest.approx(np.array([0 + 1, 2 + 1, 0 + 1]) / (2 + 3))
    assert m.next_char_probs("c") == pytest.approx(np.ones(3) / 3)  # unseen context -> uniform
    # the loss of "ab" with context "": only "b" given "a" is scored
    assert m.loss("ab") == pytest.approx(-math.log(3 / 5))
    assert m.loss("b", context="a") == pytest.approx(-math.log(3 / 5))


def test_unsmoothed_model_is_infinite_on_unseen_ngrams_and_backs_off_when_sampling():
    m = NGramModel(3, alpha=0.0).fit("abcabcabc")
    assert m.loss("abcab") == pytest.approx(0.0)
    assert math.isinf(m.loss("acb"))
    # context "cc" never occurs: back off to "c", which is always followed by "a"
    assert m.next_char_probs("cc") == pytest.approx(np.array([1.0, 0.0, 0.0]))
    assert m.sample(9, seed=0, prime="ab") == "cabcabcab"


def test_temperature_and_seed():
    m = NGramModel(2, alpha=0.5).fit("aaaaaaab" * 50)
    hot, cold = m.next_char_probs("a", temperature=2.0), m.next_char_probs("a", temperature=0.5)
    assert cold[0] > m.next_char_probs("a")[0] > hot[0]
    assert m.next_char_probs("a", temperature=0) == pytest.approx(np.array([1.0, 0.0]))
    assert m.sample(50, seed=1) == m.sample(50, seed=1)
    assert m.sample(50, seed=1) != m.sample(50, seed=2)
    assert len(m.sample(50, seed=3, temperature=1.3)) == 50


def test_burn_in_drops_the_start_of_the_same_stream():
    m = NGramModel(3, alpha=0).fit("the cat sat on the mat and the rat ate the hat " * 5)
    assert m.sample(30, seed=4, burn_in=20) == m.sample(50, seed=4)[20:]


def test_tuned_losses_pick_the_best_alpha_per_order():
    train, val = "abcabcabcabd" * 30, "abcabcabd" * 5
    rows = tuned_losses(train, val, set(train), orders=(1, 3), alphas=(1.0, 0.01))
    assert [r.order for r in rows] == [1, 3]
    for r in rows:
        m = NGramModel(r.order, vocab=set(train)).fit(train)
        others = []
        for a in (1.0, 0.01):
            m.alpha = a
            others.append(m.loss(val, context=train))
        assert r.val_loss == pytest.approx(min(others)) and r.alpha == (1.0, 0.01)[int(np.argmin(others))]
    assert rows[1].val_loss < rows[0].val_loss  # the trigram knows the pattern
    with pytest.raises(CharlabError, match="alpha"):
        tuned_losses(train, val, set(train), orders=(2,), alphas=())


def test_long_orders_use_hashed_keys_consistently():
    text = "the cat sat on the mat and the cat ate the rat; " * 20
    m = NGramModel(20, alpha=0.0, vocab=set(text) | set("xyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ!?"))
    m.fit(text)
    assert m._base > 2**32  # (V+1)**20 does not fit in 63 bits
    assert m.loss(text[100:400], context=text[:100]) == pytest.approx(0.0, abs=1e-12)
    assert m.sample(200, seed=0, prime=text[:19]) == text[19:219]  # deterministic text, copied verbatim


def test_user_errors():
    with pytest.raises(CharlabError, match="vocabulary"):
        NGramModel(2).fit("abab").loss("abz")
    with pytest.raises(CharlabError, match="fit"):
        NGramModel(2).sample(10)
    with pytest.raises(CharlabError):
        NGramModel(0)
    with pytest.raises(CharlabError):
        NGramModel(2, alpha=-1)
    with pytest.raises(CharlabError, match="at least"):
        NGramModel(5).fit("abc")
    with pytest.raises(CharlabError, match="temperature"):
        NGramModel(2).fit("abab").sample(5, temperature=-1)


def test_accepts_a_charlab_vocab_and_shares_its_ids():
    text = pytest.importorskip("charlab.text")  # the core's vocabulary (written by another module owner)

    vocab = text.Vocab.from_text("abc\n")
    m = NGramModel(2, vocab=vocab).fit("abab")
    assert m.vocab == list(vocab.chars)
    assert m.encode("cab\n").tolist() == vocab.encode("cab\n").tolist()


def test_fits_a_megabyte_in_seconds():
    rng = np.random.default_rng(0)
    text = "".join(rng.choice(list("abcdefghijklmnopqrstuvwxyz  \n.,"), size=1_000_000))
    t0 = time.perf_counter()
    m = NGramModel(5, alpha=0.1).fit(text)
    m.loss(text[:100_000])
    assert time.perf_counter() - t0 < 5.0
