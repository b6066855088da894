"""Inside a trained LSTM: every cell's state and gates at every character, its guesses, and what clamping cells costs.

`nn.LSTM` returns the top layer's hidden state per step and only the last (h, c); the post's figures need the cell
state `c` of every cell at every character, and the paper's need the gates. So `record` recomputes the LSTM one
step at a time from the model's own weights, in PyTorch's gate order (input i, forget f, cell candidate g, output o):

    i, f, o = sigmoid(W x + U h + b) ...,  g = tanh(W_g x + U_g h + b_g)
    c' = f * c + i * g,   h' = o * tanh(c')

tests/test_neurons.py checks that this reproduces `nn.LSTM`'s outputs and states. A *cell* is one unit of one layer,
numbered across layers: cell `j` is unit `j % hidden_size` of layer `j // hidden_size` (`Recording.flat`).

`ablate` runs the same recurrence with chosen cells clamped: their `c` and `h` held at their mean over the text at
every step, so the rest of the network sees a constant where the cell was, and returns the loss on every character.
Many sets of cells are run side by side as one batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from .errors import CharlabError
from .model import CharRNN
from .text import Vocab

GATES = ("i", "f", "g", "o")  # PyTorch's order of the four blocks of an LSTM layer's weights
BATCH = 32  # cell sets ablated side by side (memory, not the result)


@dataclass
class Recording:
    """What a model did at every character of `text` (arrays indexed [layer, character, unit])."""

    text: str
    chars: tuple[str, ...]  # the model's vocabulary: column v of `logp` is chars[v]
    h: np.ndarray  # (layers, T, H) hidden state after reading each character
    c: np.ndarray  # (layers, T, H) cell state
    gates: dict[str, np.ndarray]  # "i", "f", "g", "o" -> (layers, T, H)
    logp: np.ndarray  # (T, V) log-probabilities of the next character, after each character

    @property
    def num_cells(self) -> int:
        return self.c.shape[0] * self.c.shape[2]

    def flat(self, what: str = "cells") -> np.ndarray:
        """(T, layers * H): column j is cell j. `what`: "cells" (tanh(c), in [-1, 1], what the post colours),
        "c", "h" or a gate name."""
        arrays = {"cells": None, "c": self.c, "h": self.h, **self.gates}
        if what not in arrays:
            raise CharlabError(f"unknown state {what!r}; use one of {', '.join(arrays)}")
        a = np.tanh(self.c) if what == "cells" else arrays[what]
        return a.transpose(1, 0, 2).reshape(a.shape[1], -1)

    def losses(self) -> np.ndarray:
        """(T - 1,) the loss in nats of predicting character t + 1 after reading character t."""
        index = {ch: v for v, ch in enumerate(self.chars)}
        ids = np.array([index[ch] for ch in self.text[1:]], dtype=np.int64)
        return -self.logp[np.arange(len(ids)), ids]

    def top(self, k: int = 5) -> tuple[list[list[str]], np.ndarray]:
        """The k likeliest next characters after each character, and their probabilities (T, k), likeliest first."""
        order = np.argsort(-self.logp, axis=1, kind="stable")[:, :k]
        probs = np.exp(np.take_along_axis(self.logp, order, axis=1))
        return [[self.chars[v] for v in row] for row in order], probs


def _check(model: CharRNN, vocab: Vocab, text: str, context: str) -> torch.Tensor:
    if model.config.cell != "lstm":
        raise CharlabError(f"cell states and gates exist for LSTM models only; this model is a {model.config.cell}")
    if len(text) < 2:
        raise CharlabError(f"need at least 2 characters of text to record, got {len(text)}")
    return torch.as_tensor(vocab.encode(context + text))


@torch.no_grad()
def _run(model: CharRNN, ids: torch.Tensor, clamp: torch.Tensor | None = None,
         values: tuple[torch.Tensor, torch.Tensor] | None = None, keep: bool = False) -> tuple[torch.Tensor, dict]:
    """The LSTM one step at a time on ids (B, T). clamp (B, layers, H) bool: those cells' (h, c) are replaced at
    every step by values = (h (layers, H), c (layers, H)). Returns log-probabilities (B, T, V) and, with `keep`,
    {"h", "c", "i", "f", "g", "o"} -> (layers, B, T, H)."""
    model.eval()
    cfg, lstm = model.config, model.rnn
    L, H = cfg.num_layers, cfg.hidden_size
    B, T = ids.shape
    dev, dtype = model.head.weight.device, model.head.weight.dtype
    w_ih = [getattr(lstm, f"weight_ih_l{k}") for k in range(L)]
    w_hh = [getattr(lstm, f"weight_hh_l{k}") for k in range(L)]
    bias = [getattr(lstm, f"bias_ih_l{k}") + getattr(lstm, f"bias_hh_l{k}") for k in range(L)]
    # Layer 0's input term depends only on the character: one row per vocabulary entry.
    table = model._inputs(torch.arange(cfg.vocab_size, device=dev)) @ w_ih[0].T + bias[0]
    ids = ids.to(dev)
    if clamp is not None:
        clamp, values = clamp.to(dev), (values[0].to(dev), values[1].to(dev))
    h = torch.zeros(L, B, H, device=dev, dtype=dtype)
    c = torch.zeros_like(h)
    logp = torch.empty(B, T, cfg.vocab_size, device=dev, dtype=dtype)
    kept = {k: torch.empty(L, B, T, H, dtype=dtype) for k in ("h", "c", *GATES)} if keep else {}
    for t in range(T):
        x = None
        for k in range(L):
            z = table[ids[:, t]] if k == 0 else x @ w_ih[k].T + bias[k]
            z = z + h[k] @ w_hh[k].T
            i, f, g, o = z.chunk(4, dim=1)
            i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
            ck = f * c[k] + i * g
            hk = o * torch.tanh(ck)
            if clamp is not None:
                ck = torch.where(clamp[:, k], values[1][k], ck)
                hk = torch.where(clamp[:, k], values[0][k], hk)
            c[k], h[k] = ck, hk
            x = hk
            if keep:
                for name, v in zip(("h", "c", *GATES), (hk, ck, i, f, g, o), strict=True):
                    kept[name][k, :, t] = v.cpu()
        logp[:, t] = F.log_softmax(model.head(model.drop(x)), dim=-1)
    return logp.cpu(), kept


def record(model: CharRNN, vocab: Vocab, text: str, context: str = "") -> Recording:
    """Every layer's h, c and gates, and the next-character log-probabilities, after each character of `text`.
    `context` is read first (from a zero state) and not recorded: a warmed-up state for the first character."""
    ids = _check(model, vocab, text, context)
    logp, kept = _run(model, ids[None], keep=True)
    n = len(context)
    arr = {k: v[:, 0, n:].numpy() for k, v in kept.items()}
    return Recording(text, tuple(vocab.chars), arr["h"], arr["c"], {g: arr[g] for g in GATES}, logp[0, n:].numpy())


def ablate(model: CharRNN, vocab: Vocab, text: str, cell_sets: Sequence[Sequence[int]], means: Recording,
           context: str = "") -> np.ndarray:
    """Per-character losses (len(cell_sets), T - 1) with each set of cells (numbered as in `Recording.flat`)
    clamped to its mean over `means` (a recording of the same model) while the model reads `context` + `text`.
    An empty set is the unclamped model. Row k, column t: the loss of predicting text[t + 1]."""
    ids = _check(model, vocab, text, context)
    L, H = model.config.num_layers, model.config.hidden_size
    if means.c.shape[0] != L or means.c.shape[2] != H:
        raise CharlabError(f"the means were recorded from a {means.c.shape[0]}x{means.c.shape[2]} model, "
                           f"not this {L}x{H} one")
    dtype = model.head.weight.dtype
    values = (torch.as_tensor(means.h.mean(axis=1), dtype=dtype), torch.as_tensor(means.c.mean(axis=1), dtype=dtype))
    masks = np.zeros((len(cell_sets), L * H), dtype=bool)
    for row, cells in enumerate(cell_sets):
        cells = np.asarray(cells, dtype=np.int64)
        if cells.size and (cells.min() < 0 or cells.max() >= L * H):
            raise CharlabError(f"cell numbers must be in [0, {L * H}), got {cells.min()}..{cells.max()}")
        masks[row, cells] = True
    masks = torch.as_tensor(masks).reshape(len(cell_sets), L, H)
    targets = ids[len(context) + 1:]
    out = []
    for start in range(0, len(cell_sets), BATCH):
        m = masks[start:start + BATCH]
        logp, _ = _run(model, ids[None].expand(len(m), -1), m, values)
        logp = logp[:, len(context):-1]
        out.append(-logp.gather(2, targets[None, :, None].expand(len(m), -1, 1))[..., 0])
    return torch.cat(out).numpy() if out else np.zeros((0, len(text) - 1), dtype=np.float32)
