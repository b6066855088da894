import math
from collections import Counter

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


@pytest.fixture(scope="module")
def megabyte():
    """A megabyte of memoryless random text: 30 characters, space twice as likely as each of the others."""
    rng = np.random.default_rng(0)
    return "".join(rng.choice(list("abcdefghijklmnopqrstuvwxyz  \n.,"), size=1_000_000))


def test_a_megabyte_gives_the_loss_of_a_plain_dict_model(megabyte):
    # Speed is measured against the same plain-Python model in benchmarks/analysis_speed.py, not here.
    n, alpha, scored = 5, 0.1, megabyte[:100_000]
    grams = Counter(megabyte[i : i + n] for i in range(len(megabyte) - n + 1))
    contexts = Counter(megabyte[i : i + n - 1] for i in range(len(megabyte) - n + 1))
    expected = -np.mean([math.log((grams[w] + alpha) / (contexts[w[:-1]] + alpha * 30))
                         for w in (scored[i : i + n] for i in range(len(scored) - n + 1))])
    m = NGramModel(n, alpha=alpha).fit(megabyte)
    assert m.vocab_size == 30
    assert m.loss(scored) == pytest.approx(expected, rel=1e-12)


# ------------------------------------------------------------------------------------------ Kneser-Ney
from charlab.analysis.ngram import KneserNey, kn_discount, kn_losses  # noqa: E402


def test_kneser_ney_by_hand():
    # "abab", vocabulary abc, D = 1/2. Bigrams ab:2, ba:1. Continuation counts of the unigrams (distinct
    # bigram types ending in c): a:1 (ba), b:1 (ab), c:0, of 2 types, and 2 characters have one:
    #   P1(a) = P1(b) = (1 - 1/2)/2 + 1/2 * 2/2 * 1/3 = 5/12,  P1(c) = 1/2 * 2/2 * 1/3 = 2/12
    #   P2(b|a) = (2 - 1/2)/2 + 1/2 * 1/2 * 5/12 = 41/48,  P2(a|a) = 1/4 * 5/12 = 5/48,  P2(c|a) = 1/4 * 2/12 = 2/48
    m = KneserNey(2, vocab="abc", discount=0.5).fit("abab")
    assert m.next_char_probs("a") == pytest.approx(np.array([5, 41, 2]) / 48)
    assert m.next_char_probs("c") == pytest.approx(np.array([5, 5, 2]) / 12)  # unseen context: the lower order
    # "b" after "b" never happened: P2(b|b) = 0 + 1/2 * 1/1 * 5/12 (context b seen once, one follower)
    assert m.next_char_probs("b") == pytest.approx(np.array([(1 - 0.5) / 1 + 0.5 * 5 / 12, 0.5 * 5 / 12,
                                                             0.5 * 2 / 12]))
    # order 1 on its own uses raw counts (a:2, b:2 of 4): P(a) = (2 - 1/2)/4 + 1/2 * 2/4 * 1/3 = 11/24
    assert m.next_char_probs("", order=1) == pytest.approx(np.array([11, 11, 2]) / 24)
    assert m.loss("ab") == pytest.approx(-math.log(41 / 48))
    assert m.loss("b", context="a") == pytest.approx(-math.log(41 / 48))


def test_kn_discount_is_neys_estimate():
    assert kn_discount(np.array([1, 1, 1, 2, 5])) == pytest.approx(3 / (3 + 2))
    assert kn_discount(np.array([3, 4])) == 0.5  # no singletons or pairs
    assert kn_discount(np.array([1, 1])) == 0.95  # clipped: D = 1 would leave nothing for seen n-grams' own mass


@pytest.fixture(scope="module")
def markov_text():
    """Words of a small lexicon drawn Zipf-like, with punctuation: structure at several orders, like text."""
    rng = np.random.default_rng(0)
    lexicon = ["the", "cat", "sat", "on", "mat", "and", "a", "dog", "ran", "to", "bed", "of", "each", "day"]
    p = 1 / np.arange(1, len(lexicon) + 1)
    chosen = rng.choice(lexicon, 900, p=p / p.sum())
    return "".join(w + rng.choice([" ", " ", " ", ". ", ".\n"]) for w in chosen)


def test_kneser_ney_sums_to_one_for_every_context_and_order(markov_text):
    vocab = set(markov_text) | set("xyz")  # three characters the training text never has
    for discount in (None, 0.3, 1.0):
        m = KneserNey(7, vocab=vocab, discount=discount).fit(markov_text)
        rng = np.random.default_rng(1)
        contexts = ["", "a", "xyz", "zzzzzz", markov_text[-6:], markov_text[100:106]]
        contexts += ["".join(rng.choice(sorted(vocab), 6)) for _ in range(20)]
        for ctx in contexts:
            for order in range(1, 8):
                p = m.next_char_probs(ctx, order=order)
                assert p.sum() == pytest.approx(1.0, abs=1e-12) and (p > 0).all()


def test_kneser_ney_loss_is_the_mean_of_minus_log_p(markov_text):
    train, val = markov_text[:3500], markov_text[3500:]
    m = KneserNey(5, vocab=set(markov_text)).fit(train)
    for order in (1, 3, 5):
        full = train + val
        p = [m.next_char_probs(full[len(train) + i - (order - 1): len(train) + i], order=order)[m.vocab.index(c)]
             for i, c in enumerate(val)]
        assert m.loss(val, context=train, order=order) == pytest.approx(float(-np.mean(np.log(p))))


def test_kneser_ney_beats_add_alpha_and_the_sweep_matches_single_models(markov_text):
    train, val = markov_text[:3500], markov_text[3500:]
    vocab = set(markov_text)
    rows = kn_losses(train, val, vocab, orders=(1, 2, 4))
    assert [r.order for r in rows] == [1, 2, 4]
    for r in rows:
        assert r.val_loss == pytest.approx(KneserNey(r.order, vocab=vocab).fit(train).loss(val, context=train))
        assert 0 < r.discount < 1 and r.seconds >= 0
    best_alpha = {r.order: r.val_loss for r in tuned_losses(train, val, vocab, orders=(2, 4))}
    assert rows[2].val_loss < best_alpha[4]  # smoothing by backing off beats adding alpha at a sparse order


def test_kneser_ney_hashed_orders_and_sampling():
    text = "the cat sat on the mat and the cat ate the rat; " * 20
    m = KneserNey(20, vocab=set(text) | set("xyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ!?")).fit(text)
    assert m._base > 2**32  # hashed keys
    assert m.loss(text[100:400], context=text[:100]) < 0.05  # a deterministic text is almost free
    assert m.sample(30, seed=0, temperature=0, prime=text[:19]) == text[19:49]
    assert m.sample(40, seed=2) == m.sample(40, seed=2)


def test_kneser_ney_user_errors():
    with pytest.raises(CharlabError, match="discount"):
        KneserNey(3, discount=0)
    m = KneserNey(3).fit("abcabc")
    with pytest.raises(CharlabError, match="order"):
        m.loss("abc", order=4)
    with pytest.raises(CharlabError, match="fit"):
        KneserNey(3, vocab="abc").discounts()
    with pytest.raises(CharlabError, match="at least one order"):
        kn_losses("abc", "abc", "abc", orders=())


def test_kneser_ney_on_a_megabyte_of_memoryless_text(megabyte):
    # Speed is measured against a plain-Python Kneser-Ney in benchmarks/analysis_speed.py, not here.
    train, val = megabyte[:900_000], megabyte[900_000:]
    m = KneserNey(8).fit(train)
    p = np.array([1 / 31] * 29 + [2 / 31])  # the source: no character depends on the ones before it
    assert m.loss(val, context=train, order=1) == pytest.approx(float(-(p * np.log(p)).sum()), abs=0.003)
    probs = m.probs(val, context=train)  # order 8, vectorised over all 100,000 positions
    assert len(probs) == len(val) and m.loss(val, context=train) == pytest.approx(float(-np.log(probs).mean()))
    assert m.loss(val, context=train) > m.loss(val, context=train, order=1)  # no context helps: longer ones overfit
    full = train[-7:] + val
    for i in np.random.default_rng(2).integers(0, len(val), 20):  # the per-context path agrees at this scale
        assert probs[i] == pytest.approx(m.next_char_probs(full[i : i + 7])[m.vocab.index(val[i])], rel=1e-12)


def test_kn_baseline_tunes_on_one_half_and_reports_on_the_other(markov_text):
    from charlab.analysis.ngram import kn_baseline

    train, held = markov_text[:2800], markov_text[2800:3601]
    assert len(held) == 801
    vocab = set(markov_text)
    b = kn_baseline(train, held, vocab, orders=(1, 2, 4))
    tune, report = held[:400], held[400:]
    losses = {o: KneserNey(o, vocab=vocab).fit(train).loss(tune, context=train) for o in (1, 2, 4)}
    assert [r.order for r in b.tuned] == [1, 2, 4]
    assert [r.val_loss for r in b.tuned] == pytest.approx([losses[o] for o in (1, 2, 4)])
    assert b.order == min(losses, key=losses.get) and b.order > 1  # a first-order Markov text: more than unigrams
    assert b.report == report and b.report_context == train + tune
    assert b.loss == pytest.approx(KneserNey(b.order, vocab=vocab).fit(train).loss(report, context=train + tune))
    assert f"order {b.order}" in b.text()
    with pytest.raises(CharlabError, match="at least 2 held-out"):
        kn_baseline(train, "a", vocab)


def test_kneser_ney_passage_probs_read_each_passage_from_nothing(markov_text):
    m = KneserNey(5, vocab=set(markov_text) | {"x"}).fit(markov_text[:3500])
    rng = np.random.default_rng(0)
    passages = [markov_text[s:s + 9] for s in rng.integers(3500, len(markov_text) - 9, 6)] + ["x" * 9]
    for order in (1, 2, 5):
        got = m.passage_probs(passages, order=order)
        assert got.shape == (7, 8)
        for p, text in enumerate(passages):
            for j in range(8):  # character j + 1 after the (at most order - 1) characters of its passage before it
                ctx = text[max(0, j + 1 - (order - 1)): j + 1] if order > 1 else ""
                want = m.next_char_probs(ctx, order=order)[m.vocab.index(text[j + 1])]
                assert got[p, j] == pytest.approx(want, rel=1e-12), (order, p, j)
    with pytest.raises(CharlabError, match="one length"):
        m.passage_probs(["abc", "ab"])


def test_a_context_shorter_than_the_order_is_read_whole():
    """A context of c < order - 1 characters is all used; Python's context[c - (order - 1):] would keep only its
    last few characters when (order - 1) / 2 < c (a bug until 2026-12)."""
    text = "abcabdabcabdxbcaxcab" * 30
    for model in (NGramModel(6, alpha=0.1, vocab=set(text)).fit(text), KneserNey(6, vocab=set(text)).fit(text)):
        assert not np.allclose(model.next_char_probs("xab"), model.next_char_probs("ab"))  # "x" is read
