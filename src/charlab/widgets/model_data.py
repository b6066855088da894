"""A trained LSTM as data for the page: its weights rounded to fp16, with its vocabulary, for the in-page forward
pass (lstm.js) of the temperature widget and the neuron browser.

The payload is a plain JSON-able dict embedded in the widget's state, so it travels with the executed notebook
into the built book and needs no server, no extra file and no network:

    {"format": "charlab-lstm-fp16/1", "vocab": "<the characters, in id order>",
     "config": {"vocab_size", "hidden_size", "num_layers", "embedding_dim"},
     "tensors": [[name, [shape...]], ...],   # in order, each a slice of `data`
     "data": "<base64 of every tensor's fp16 values, little-endian, row-major, concatenated>"}

fp16 rather than bf16: the same two bytes per weight, and 10 bits of mantissa instead of 7, so the page's model is
closer to the trained one (the weights of these models are far inside fp16's range). `rounded_model` rebuilds a
CharRNN with exactly the page's weights, in fp32: that is what the page's logits are compared with.
"""

from __future__ import annotations

import base64
import math

import numpy as np
import torch

from charlab.errors import CharlabError
from charlab.model import CharRNN, ModelConfig
from charlab.text import Vocab

FORMAT = "charlab-lstm-fp16/1"
MAX_BYTES = 5 * 1024 * 1024  # at most 5 MiB of model data (the base64 text) per page


def _tensor_names(c: ModelConfig) -> list[str]:
    names = ["embed.weight"] if c.embedding_dim > 0 else []
    for k in range(c.num_layers):
        names += [f"rnn.weight_ih_l{k}", f"rnn.weight_hh_l{k}", f"rnn.bias_ih_l{k}", f"rnn.bias_hh_l{k}"]
    return names + ["head.weight", "head.bias"]


def export_model(model: CharRNN, vocab: Vocab, max_bytes: int = MAX_BYTES) -> dict:
    """The page's payload for a trained LSTM `model` with vocabulary `vocab`, weights rounded to fp16.

    Raises CharlabError for a model the page cannot run (not an LSTM, a byte-level vocabulary, weights outside
    fp16's range) or whose payload would be over `max_bytes`."""
    if not isinstance(model, CharRNN) or model.config.cell != "lstm":
        what = model.config.cell if isinstance(model, CharRNN) else type(model).__name__
        raise CharlabError(f"is not an LSTM ({what}): the in-page model runs charlab's LSTM only")
    if vocab.byte_level:
        raise CharlabError("the in-page model reads characters; a byte-level model cannot be exported")
    c = model.config
    if len(vocab.chars) != c.vocab_size:
        raise CharlabError(f"the vocabulary has {len(vocab.chars)} characters, the model {c.vocab_size}")
    state = model.state_dict()
    names = _tensor_names(c)
    parts, tensors = [], []
    for name in names:
        w = state[name].detach().to("cpu", torch.float32)
        if not torch.isfinite(w).all() or w.abs().max().item() > 65504:
            raise CharlabError(f"{name} has values that fp16 cannot hold (NaN, infinite or above 65504)")
        parts.append(w.numpy().astype("<f2").tobytes())
        tensors.append([name, list(w.shape)])
    size = 4 * math.ceil(sum(map(len, parts)) / 3)
    if size > max_bytes:
        raise CharlabError(f"is {size / 2**20:.1f} MiB as page data, over the {max_bytes / 2**20:.1f} MiB a page may "
                           f"carry ({model.num_parameters():,} parameters); export a smaller model")
    return {
        "format": FORMAT,
        "vocab": "".join(vocab.chars),
        "config": {"vocab_size": c.vocab_size, "hidden_size": c.hidden_size, "num_layers": c.num_layers,
                   "embedding_dim": c.embedding_dim},
        "tensors": tensors,
        "data": base64.b64encode(b"".join(parts)).decode("ascii"),
    }


def check_payload(payload: object) -> dict:
    """`payload` as a widget's `model` trait: {} for None, the payload itself when it is one, else CharlabError."""
    if payload is None or payload == {}:
        return {}
    if not isinstance(payload, dict) or payload.get("format") != FORMAT or not isinstance(payload.get("data"), str):
        raise CharlabError(f"model must be the payload of charlab.widgets.model_data.export_model (format {FORMAT!r})")
    return payload


def payload_bytes(payload: dict) -> int:
    """How many bytes the payload adds to the page (its JSON, dominated by the base64 weights)."""
    return len(payload["data"]) + len(payload["vocab"].encode("utf-8")) + 200


def rounded_model(payload: dict) -> tuple[CharRNN, Vocab]:
    """The CharRNN (fp32, eval mode) holding exactly the payload's fp16 weights, and its vocabulary."""
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CharlabError(f"not an in-page model payload (format {FORMAT!r})")
    cfg = payload["config"]
    config = ModelConfig(vocab_size=cfg["vocab_size"], cell="lstm", hidden_size=cfg["hidden_size"],
                         num_layers=cfg["num_layers"], embedding_dim=cfg["embedding_dim"])
    raw = np.frombuffer(base64.b64decode(payload["data"]), dtype="<f2")
    weights, at = {}, 0
    for name, shape in payload["tensors"]:
        n = int(np.prod(shape))
        weights[name] = torch.from_numpy(raw[at:at + n].astype(np.float32).reshape(shape))
        at += n
    if at != raw.size or [n for n, _ in payload["tensors"]] != _tensor_names(config):
        raise CharlabError("the payload's tensors do not match its config")
    model = CharRNN(config)
    model.load_state_dict(weights)
    return model.eval(), Vocab(tuple(payload["vocab"]))
