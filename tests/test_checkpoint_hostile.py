"""Crafted and corrupt checkpoints: every one is a one-line refusal before anything large is allocated, never a
traceback; a run directory falls back to its other checkpoint."""

import json

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from safetensors.torch import save_file

from charlab.checkpoint import BEST, LAST, load_checkpoint, save_checkpoint
from charlab.cli import main
from charlab.errors import CharlabError
from charlab.model import CharRNN, ModelConfig
from charlab.text import Vocab

VOCAB = Vocab(tuple("\nabc"))


def good(tmp_path, name="good.safetensors", **config):
    torch.manual_seed(0)
    model = CharRNN(ModelConfig(vocab_size=len(VOCAB), hidden_size=8, num_layers=1, **config))
    return save_checkpoint(tmp_path / name, model, VOCAB, {"iter": 1}), model


def rewrite(path, out, change_meta=None, change_tensors=None):
    """A copy of checkpoint `path` with its header and tensors changed."""
    from safetensors import safe_open

    with safe_open(str(path), framework="pt") as f:
        meta = json.loads(f.metadata()["charlab"])
        tensors = {k: f.get_tensor(k) for k in f.keys()}
    meta = change_meta(meta) if change_meta else meta
    tensors = change_tensors(tensors) if change_tensors else tensors
    save_file(tensors, str(out), metadata={"charlab": json.dumps(meta)})
    return out


def set_config(**kv):
    def change(meta):
        meta["model_config"].update(kv)
        return meta
    return change


CASES = {
    "header is a list": (lambda m: [m], "not a JSON object"),
    "format missing": (lambda m: {k: v for k, v in m.items() if k != "format"}, "unsupported checkpoint format"),
    "model_config missing": (lambda m: {k: v for k, v in m.items() if k != "model_config"}, "exactly the keys"),
    "extra config key": (set_config(evil=1), "exactly the keys"),
    "hidden_size is a string": (set_config(hidden_size="8"), "hidden_size must be int"),
    "hidden_size is a bool": (set_config(hidden_size=True), "hidden_size must be int"),
    "huge hidden_size": (set_config(hidden_size=20000), "shape"),
    "absurd hidden_size": (set_config(hidden_size=10**9), "out of range"),
    "negative layers": (set_config(num_layers=-1), "out of range"),
    "gru over lstm weights": (set_config(cell="gru"), "shape"),
    "unknown cell": (set_config(cell="gpt"), "invalid"),
    "transformer over lstm weights": (set_config(cell="transformer", heads=2, window=4), "weights do not match"),
    "heads not dividing the width": (set_config(cell="transformer", heads=3), "invalid"),
    "heads a string": (set_config(heads="2"), "heads must be int"),
    "window zero": (set_config(window=0), "out of range"),
    "absurd window": (set_config(window=10**9), "out of range"),
    "dropout 1": (set_config(dropout=1.0), "invalid"),
    "vocab not sorted": (lambda m: {**m, "vocab": {"chars": "cba\n", "byte_level": False}}, "sorted"),
    "vocab repeats": (lambda m: {**m, "vocab": {"chars": "\naab", "byte_level": False}}, "sorted"),
    "vocab a list": (lambda m: {**m, "vocab": {"chars": ["a", "b"], "byte_level": False}}, "string 'chars'"),
    "vocab longer than weights": (lambda m: {**m, "vocab": {"chars": "\nabcd", "byte_level": False}},
                                  "5 characters but the model predicts 4"),
    "vocab shorter": (lambda m: {**m, "vocab": {"chars": "\nab", "byte_level": False}}, "3 characters"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_malformed_headers_are_one_line_refusals(tmp_path, case):
    path, _ = good(tmp_path)
    change, pattern = CASES[case]
    bad = rewrite(path, tmp_path / "bad.safetensors", change_meta=change)
    with pytest.raises(CharlabError, match=pattern) as e:
        load_checkpoint(bad)
    assert "\n" not in str(e.value)


def test_tensor_shapes_dtypes_and_values_are_checked(tmp_path):
    path, _ = good(tmp_path)
    def poison(t):
        return {**t, "model.head.bias": torch.full_like(t["model.head.bias"], float("nan"))}

    nan = rewrite(path, tmp_path / "nan.safetensors", change_tensors=poison)
    with pytest.raises(CharlabError, match="NaN or infinite"):
        load_checkpoint(nan)
    ints = rewrite(path, tmp_path / "int.safetensors",
                   change_tensors=lambda t: {**t, "model.head.bias": t["model.head.bias"].to(torch.int32)})
    with pytest.raises(CharlabError, match="dtype I32"):
        load_checkpoint(ints)
    missing = rewrite(path, tmp_path / "missing.safetensors",
                      change_tensors=lambda t: {k: v for k, v in t.items() if k != "model.head.weight"})
    with pytest.raises(CharlabError, match="missing"):
        load_checkpoint(missing)
    half = rewrite(path, tmp_path / "bf16.safetensors",
                   change_tensors=lambda t: {k: v.to(torch.bfloat16) if k.startswith("model.") else v
                                             for k, v in t.items()})
    assert load_checkpoint(half).model.head.weight.dtype == torch.float32  # bf16 exports load as float32


def test_a_corrupt_checkpoint_falls_back_to_the_other_with_a_note(tmp_path, capsys):
    run = tmp_path / "run"
    run.mkdir()
    good(run, BEST)
    good(run, LAST)
    (run / BEST).write_bytes(b"\x00" * 100)  # a truncated or overwritten file
    ckpt = load_checkpoint(run)
    assert "best.safetensors cannot be loaded" in ckpt.note and "using last.safetensors" in ckpt.note
    assert main(["sample", str(run), "--length", "5", "--seed", "1"]) == 0
    err = capsys.readouterr().err
    assert "using last.safetensors" in err and "Traceback" not in err
    (run / LAST).write_bytes(b"junk")
    with pytest.raises(CharlabError, match="cannot be loaded either"):
        load_checkpoint(run)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(config=st.dictionaries(st.sampled_from(["vocab_size", "cell", "hidden_size", "num_layers", "dropout",
                                               "embedding_dim", "init_range", "other"]),
                              st.one_of(st.integers(-5, 10**7), st.floats(allow_nan=True), st.text(max_size=5),
                                        st.booleans(), st.none(), st.lists(st.integers(), max_size=2))),
       chars=st.one_of(st.text(max_size=6), st.integers(), st.none()),
       shape=st.lists(st.integers(0, 12), min_size=1, max_size=3))
def test_any_header_is_a_clean_refusal_or_a_valid_model(tmp_path, config, chars, shape):
    meta = {"format": "charlab-checkpoint-1", "model_config": config, "vocab": {"chars": chars, "byte_level": False}}
    path = tmp_path / "fuzz.safetensors"
    save_file({"model.head.weight": torch.zeros(shape)}, str(path), metadata={"charlab": json.dumps(meta)})
    try:
        ckpt = load_checkpoint(path)
    except CharlabError as e:
        assert "\n" not in str(e)
    else:  # only a header that matches its tensors exactly can load
        assert ckpt.model.num_parameters() <= 12 ** 3


def test_a_checkpoint_written_before_the_transformer_still_loads(tmp_path):
    path, model = good(tmp_path)
    legacy = rewrite(path, tmp_path / "legacy.safetensors", change_meta=lambda m: {
        **m, "model_config": {k: v for k, v in m["model_config"].items() if k not in ("heads", "window")}})
    loaded = load_checkpoint(legacy).model
    assert loaded.config.cell == "lstm" and torch.equal(loaded.head.weight, model.head.weight)
