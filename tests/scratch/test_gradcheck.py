"""The gradient check itself, and what it says about min-char-rnn's backward pass."""

import numpy as np
import pytest

from charlab.errors import CharlabError
from charlab.scratch import minchar
from charlab.scratch.gradcheck import buggy_rel_error, gradcheck, rel_error

TEXT = "It is a truth universally acknowledged, that a single man in possession"


def setup(hidden=8, seq=10, scale=0.3, seed=0, text=TEXT):
    """A small model with non-trivial weights, biases and starting state, so every term of the gradient matters."""
    chars = sorted(set(text))
    ix = {c: i for i, c in enumerate(chars)}
    rng = np.random.default_rng(seed)
    params = minchar.init_params(len(chars), hidden, rng, scale)
    params["bh"] += rng.standard_normal(params["bh"].shape) * scale
    params["by"] += rng.standard_normal(params["by"].shape) * scale
    inputs = [ix[c] for c in text[:seq]]
    targets = [ix[c] for c in text[1 : seq + 1]]
    h0 = np.tanh(rng.standard_normal((hidden, 1)))

    def loss_fn():
        return minchar.lossfun(params, inputs, targets, h0, clip=None)[0]

    return params, inputs, targets, h0, loss_fn


def test_relative_error_definition():
    assert rel_error(0.0, 0.0) == 0.0  # both exactly zero: agreement, not nan
    assert rel_error(1.0, -1.0) == 1.0  # opposite signs: the worst possible, but finite
    assert rel_error(1.0, 1.0 + 1e-9) == pytest.approx(5e-10, rel=1e-3)
    assert np.isnan(buggy_rel_error(0.0, 0.0))
    assert np.isinf(buggy_rel_error(1.0, -1.0))


def test_every_parameter_passes_in_float64():
    params, inputs, targets, h0, loss_fn = setup()
    _, grads, _ = minchar.lossfun(params, inputs, targets, h0, clip=None)
    report = gradcheck(loss_fn, params, grads, method="complex")  # every entry of every parameter
    assert [c.name for c in report.checks] == list(minchar.PARAM_NAMES)
    for c in report.checks:
        assert c.n_checked == params[c.name].size
        assert c.max_rel_error <= 1e-7, report.table()
    assert report.ok(1e-7)
    assert report.checks[0].n_both_zero > 0  # Wxh columns of characters absent from the chunk


def test_gist_sized_model_passes_on_sampled_entries():
    params, inputs, targets, h0, loss_fn = setup(hidden=100, seq=25, scale=0.01, text=TEXT)
    _, grads, _ = minchar.lossfun(params, inputs, targets, h0, clip=None)
    report = gradcheck(loss_fn, params, grads, num_checks=12, method="complex")
    assert report.ok(1e-7), report.table()


def test_central_differences_agree_up_to_their_roundoff_floor():
    params, inputs, targets, h0, loss_fn = setup()
    _, grads, _ = minchar.lossfun(params, inputs, targets, h0, clip=None)
    report = gradcheck(loss_fn, params, grads, method="central")
    errs = np.concatenate([c.rel_errors for c in report.checks])
    assert np.median(errs) < 1e-8
    for c in report.checks:  # the absolute disagreement stays near eps*|L|/delta, ~1e-10 here
        assert np.abs(c.analytic - c.numerical).max() < 1e-8


def test_removing_dhnext_breaks_the_check():
    params, inputs, targets, h0, loss_fn = setup()
    _, wrong, _ = minchar.lossfun(params, inputs, targets, h0, clip=None, carry_dhnext=False)
    report = {c.name: c.max_rel_error for c in gradcheck(loss_fn, params, wrong, method="complex").checks}
    assert report["Whh"] > 0.1 and report["Wxh"] > 0.1 and report["bh"] > 0.1
    assert report["Why"] <= 1e-7 and report["by"] <= 1e-7  # the output layer never used dhnext


def test_clipped_analytic_gradient_fails_the_check():
    params, inputs, targets, h0, loss_fn = setup()
    _, clipped, _ = minchar.lossfun(params, inputs, targets, h0, clip=0.05)
    assert not gradcheck(loss_fn, params, clipped, method="complex").ok(1e-7)


def test_gists_relative_error_reports_nan_for_absent_characters():
    params, inputs, targets, h0, loss_fn = setup()
    _, grads, _ = minchar.lossfun(params, inputs, targets, h0, clip=None)
    report = gradcheck(loss_fn, {"Wxh": params["Wxh"]}, grads, method="complex", rel=buggy_rel_error)
    assert np.isnan(report.checks[0].max_rel_error)


def test_parameters_are_restored_and_float32_refused():
    params, inputs, targets, h0, loss_fn = setup()
    before = {k: v.copy() for k, v in params.items()}
    _, grads, _ = minchar.lossfun(params, inputs, targets, h0, clip=None)
    for method in ("central", "complex"):
        gradcheck(loss_fn, params, grads, num_checks=5, method=method)
        for k in params:
            np.testing.assert_array_equal(params[k], before[k])
            assert params[k].dtype == np.float64
    with pytest.raises(CharlabError, match="float64"):
        gradcheck(loss_fn, {"Wxh": params["Wxh"].astype(np.float32)}, grads)
    with pytest.raises(CharlabError, match="method"):
        gradcheck(loss_fn, params, grads, method="forward")
