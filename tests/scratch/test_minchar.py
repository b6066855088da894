"""min-char-rnn: the gist's math, its traps reproduced on purpose, and their fixes."""

import math

import numpy as np
import pytest

from charlab.errors import CharlabError
from charlab.scratch import hello, minchar

TEXT = "the cat sat on the mat. the dog sat on the log. " * 8


def small(**kw):
    kw = {"hidden_size": 16, "seq_length": 10, "seed": 0} | kw
    return minchar.MinCharRNN(TEXT, **kw)


def test_vocab_is_sorted_and_set_order_depends_on_hash_seed():
    assert minchar.build_vocab("banana") == ["a", "b", "n"]
    orders = minchar.set_order_in_fresh_interpreters("abcdefghijklmnop", hash_seeds=(0, 1, 2, 3))
    assert all(sorted(o) == list("abcdefghijklmnop") for o in orders)
    assert len(set(orders)) > 1  # restarts number the characters differently
    with pytest.raises(CharlabError, match="unknown vocabulary order"):
        minchar.build_vocab("abc", order="sortd")


def test_short_text_is_a_clear_error_not_an_index_error():
    with pytest.raises(IndexError):
        minchar.buggy_first_iteration("hello", seq_length=25)
    with pytest.raises(CharlabError, match="seq_length"):
        minchar.MinCharRNN("hello", seq_length=25)
    with pytest.raises(CharlabError):
        minchar.MinCharRNN("a" * 25, seq_length=25)
    m = minchar.MinCharRNN("a" * 26 + "b", seq_length=25)  # seq_length + 1 characters are enough
    assert np.isfinite(m.step())


def test_reset_rule_gt_trains_the_last_chunk_ge_skips_it():
    n = 2 * 25 + 1  # two chunks fit exactly
    assert minchar.chunk_starts(n, 25, ">") == [0, 25]
    assert minchar.chunk_starts(n, 25, ">=") == [0]
    assert minchar.never_targets(n, 25, ">") == 0
    assert minchar.never_targets(n, 25, ">=") == 25
    assert minchar.never_targets(60, 25, ">") == 9  # the tail that does not fill a chunk


def test_model_walks_all_chunks_with_gt():
    m = minchar.MinCharRNN("abcdefghijk", seq_length=5, hidden_size=4)  # 11 chars: chunks at 0 and 5
    starts = []
    for _ in range(5):
        m.step()
        starts.append(m.p - m.seq_length)  # where the chunk just trained on began
    assert starts == [0, 5, 0, 5, 0]
    g = minchar.MinCharRNN("abcdefghijk", seq_length=5, hidden_size=4, reset_rule=">=")
    starts = []
    for _ in range(3):
        g.step()
        starts.append(g.p - g.seq_length)
    assert starts == [0, 0, 0]  # the gist's >= never reaches the chunk that ends on the last character


def test_first_loss_is_seq_length_log_vocab_and_training_lowers_it():
    m = small()
    first = m.step()
    assert first == pytest.approx(10 * math.log(m.vocab_size), rel=1e-3)
    assert m.smooth_loss == pytest.approx(m.initial_loss, rel=1e-3)
    losses = m.train(400, progress=False)
    assert losses[-50:].mean() < 0.5 * first


def test_lossfun_gradients_match_finite_differences_and_clip():
    m = small(init_scale=0.3)
    inputs, targets = m.data[:10], m.data[1:11]
    h0 = np.zeros((16, 1))
    loss, grads, _ = minchar.lossfun(m.params, inputs, targets, h0, clip=None)
    W = m.params["Whh"]
    old = W[3, 4]
    W[3, 4] = old + 1e-5
    lp = minchar.lossfun(m.params, inputs, targets, h0)[0]
    W[3, 4] = old - 1e-5
    lm = minchar.lossfun(m.params, inputs, targets, h0)[0]
    W[3, 4] = old
    assert (lp - lm) / 2e-5 == pytest.approx(grads["Whh"][3, 4], rel=1e-5)
    _, clipped, _ = minchar.lossfun(m.params, inputs, targets, h0, clip=0.01)
    assert max(np.abs(g).max() for g in clipped.values()) <= 0.01


def test_clip_by_rebinding_is_a_no_op():
    grads = {"a": np.array([10.0, -10.0])}
    minchar.buggy_clip_by_rebinding(grads, 5.0)
    assert grads["a"].tolist() == [10.0, -10.0]
    minchar.clip_grads(grads, 5.0)
    assert grads["a"].tolist() == [5.0, -5.0]


def test_softmax_is_stable_where_the_gists_overflows():
    y = np.array([[1000.0], [999.0], [0.0]])
    assert np.isnan(minchar.buggy_softmax(y)).any()  # exp(1000) = inf, inf/inf = nan
    p = minchar.softmax(y)
    assert np.isclose(p.sum(), 1.0) and p[0, 0] > p[1, 0] > p[2, 0]


def test_sampling_temperature():
    m = small()
    m.train(300, progress=False)
    greedy = [m.sample(40, "t", temperature=0) for _ in range(2)]
    assert greedy[0] == greedy[1]  # argmax is deterministic
    cold = m.sample(400, "t", temperature=0.3)
    hot = m.sample(400, "t", temperature=2.0)
    def trigrams(s):
        return len({s[i : i + 3] for i in range(len(s) - 2)})

    assert trigrams(cold) < trigrams(hot)  # a low temperature repeats itself, a high one wanders
    with pytest.raises(ValueError):  # the gist's softmax at a low temperature: nan probabilities
        m.sample(5, "t", temperature=1e-4, stable=False)
    with pytest.raises(CharlabError):
        m.sample(5, "Z")


def test_checkpoint_resumes_exactly(tmp_path):
    ref = small()
    ref.train(60, progress=False)
    a = small()
    a.train(30, progress=False)
    path = a.save(tmp_path / "run.npz")
    b = minchar.MinCharRNN.load(path, TEXT)
    b.train(30, progress=False)
    for k in minchar.PARAM_NAMES:
        np.testing.assert_array_equal(b.params[k], ref.params[k])
    assert (b.n, b.p, b.smooth_loss) == (ref.n, ref.p, ref.smooth_loss)
    assert b.sample(30, "t") == ref.sample(30, "t")  # the sampling generator was saved too


def test_params_only_checkpoint_loses_the_run_state(tmp_path):
    a = small()
    a.train(300, progress=False)
    full = minchar.MinCharRNN.load(a.save(tmp_path / "full.npz"), TEXT)
    thin = minchar.MinCharRNN.load(a.save(tmp_path / "thin.npz", params_only=True), TEXT)
    assert thin.n == 0 and thin.smooth_loss == thin.initial_loss
    assert all(not v.any() for v in thin.mem.values())
    # fresh Adagrad memory: the first update moves every touched weight by lr, and the loss jumps
    full.step()
    thin.step()
    assert full.step() < thin.step()


def test_checkpoint_on_other_text_is_refused(tmp_path):
    a = small()
    path = a.save(tmp_path / "run.npz")
    with pytest.raises(CharlabError, match="different text"):
        minchar.MinCharRNN.load(path, TEXT + "x")
    with pytest.raises(CharlabError, match="no such checkpoint"):
        minchar.MinCharRNN.load(tmp_path / "nope.npz", TEXT)


def test_smooth_matches_the_models_smooth_loss():
    m = small()
    losses = m.train(50, progress=False)
    assert minchar.smooth(losses, m.initial_loss)[-1] == pytest.approx(m.smooth_loss)


def test_hello_learns_ello():
    m = hello.make_model(seed=0)
    assert m.vocab == ["h", "e", "l", "o"] and m.hidden_size == 3
    inputs, targets = hello.io(m)
    before = hello.scores(m.params, inputs)
    after = hello.scores(hello.gradient_step(m.params, inputs, targets, lr=0.05), inputs)
    assert before.shape == (4, 4)
    loss_before = minchar.lossfun(m.params, inputs, targets, np.zeros((3, 1)))[0]
    stepped = hello.gradient_step(m.params, inputs, targets, lr=0.05)
    assert minchar.lossfun(stepped, inputs, targets, np.zeros((3, 1)))[0] < loss_before
    rose, fell = hello.count_changes(before, after, targets)
    assert 0 <= rose <= 4 and 0 <= fell <= 12
    run = hello.train(m, 200)
    assert run.first_ello is not None and run.predictions[-1] == "ello"


def test_carry_dhnext_switch_changes_the_update():
    a, b = small(), small(carry_dhnext=False)
    a.train(5, progress=False)
    b.train(5, progress=False)
    assert not np.array_equal(a.params["Whh"], b.params["Whh"])
