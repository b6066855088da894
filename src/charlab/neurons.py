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
CHUNK = 128  # steps whose predictions are computed together (speed and memory, not the result)


@dataclass
class Recording:
    """What a model did at every character of `text` (arrays indexed [layer, character, unit])."""

    text: str
    chars: tuple[str, ...]  # the model's vocabulary
    h: np.ndarray  # (layers, T, H) hidden state after reading each character
    c: np.ndarray  # (layers, T, H) cell state
    gates: dict[str, np.ndarray]  # "i", "f", "g", "o" -> (layers, T, H)
    loss: np.ndarray  # (T - 1,) nats: the loss of predicting character t + 1 after reading character t
    top_ids: np.ndarray  # (T, k) the k likeliest next characters after each character, likeliest first
    top_p: np.ndarray  # (T, k) their probabilities

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

    def top(self) -> tuple[list[list[str]], np.ndarray]:
        """The likeliest next characters after each character (as characters), and their probabilities (T, k)."""
        return [[self.chars[v] for v in row] for row in self.top_ids], self.top_p


def _check(model: CharRNN, vocab: Vocab, text: str, context: str) -> torch.Tensor:
    if model.config.cell != "lstm":
        raise CharlabError(f"cell states and gates exist for LSTM models only; this model is a {model.config.cell}")
    if len(text) < 2:
        raise CharlabError(f"need at least 2 characters of text to record, got {len(text)}")
    return torch.as_tensor(vocab.encode(context + text))


@torch.no_grad()
def _run(model: CharRNN, ids: torch.Tensor, clamp: torch.Tensor | None = None,
         values: tuple[torch.Tensor, torch.Tensor] | None = None, keep: bool = False,
         k: int = 0) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor] | None, dict]:
    """The LSTM one step at a time on ids (B, T). clamp (B, layers, H) bool: those cells' (h, c) are replaced at
    every step by values = (h (layers, H), c (layers, H)). Returns the loss of predicting each next character
    (B, T - 1); with k, the top-k next characters and their probabilities (B, T, k) each; with `keep`,
    {"h", "c", "i", "f", "g", "o"} -> (layers, B, T, H)."""
    model.eval()
    cfg, lstm = model.config, model.rnn
    L, H = cfg.num_layers, cfg.hidden_size
    B, T = ids.shape
    dev, dtype = model.head.weight.device, model.head.weight.dtype
    w_ih = [getattr(lstm, f"weight_ih_l{j}").T.contiguous() for j in range(L)]
    w_hh = [getattr(lstm, f"weight_hh_l{j}").T.contiguous() for j in range(L)]
    bias = [getattr(lstm, f"bias_ih_l{j}") + getattr(lstm, f"bias_hh_l{j}") for j in range(L)]
    # Layer 0's input term depends only on the character: one row per vocabulary entry.
    table = model._inputs(torch.arange(cfg.vocab_size, device=dev)) @ w_ih[0] + bias[0]
    ids = ids.to(dev)
    if clamp is not None:
        clamp, values = clamp.to(dev), (values[0].to(dev), values[1].to(dev))
    h = torch.zeros(L, B, H, device=dev, dtype=dtype)
    c = torch.zeros_like(h)
    names = ("h", "c", *GATES)
    kept = {name: [[] for _ in range(L)] for name in names} if keep else {}
    loss = torch.empty(B, T, device=dev, dtype=dtype)
    top = (torch.empty(B, T, k, dtype=torch.long), torch.empty(B, T, k, dtype=dtype)) if k else None
    outs = []
    for t in range(T):
        x = None
        for j in range(L):
            z = (table[ids[:, t]] if j == 0 else x @ w_ih[j] + bias[j]) + h[j] @ w_hh[j]
            i, f, g, o = z.chunk(4, dim=1)
            i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
            cj = f * c[j] + i * g
            hj = o * torch.tanh(cj)
            if clamp is not None:
                cj = torch.where(clamp[:, j], values[1][j], cj)
                hj = torch.where(clamp[:, j], values[0][j], hj)
            c[j], h[j] = cj, hj
            x = hj
            if keep:
                for name, v in zip(names, (hj, cj, i, f, g, o), strict=True):
                    kept[name][j].append(v)
        outs.append(x)
        if len(outs) == CHUNK or t == T - 1:  # predictions for the last len(outs) steps at once
            t0 = t + 1 - len(outs)
            logp = F.log_softmax(model.head(model.drop(torch.stack(outs, 1))), dim=-1)  # (B, n, V)
            nxt = ids[:, t0 + 1:t + 2]
            if nxt.shape[1] < len(outs):  # the last character has no next one: a dummy, dropped below
                nxt = F.pad(nxt, (0, 1))
            loss[:, t0:t + 1] = -logp.gather(2, nxt[..., None])[..., 0]
            if k:
                p, v = logp.topk(k, dim=-1)
                top[0][:, t0:t + 1], top[1][:, t0:t + 1] = v.cpu(), p.exp().cpu()
            outs = []
    stacked = {name: torch.stack([torch.stack(steps, 1) for steps in per_layer]).cpu()
               for name, per_layer in kept.items()}
    return loss[:, :-1].cpu(), top, stacked


def record(model: CharRNN, vocab: Vocab, text: str, context: str = "", k: int = 5) -> Recording:
    """Every layer's h, c and gates after each character of `text`, the loss of each next character and the k
    likeliest guesses for it. `context` is read first (from a zero state) and not recorded: a warmed-up state for
    the first character."""
    ids = _check(model, vocab, text, context)
    loss, (top_ids, top_p), kept = _run(model, ids[None], keep=True, k=k)
    n = len(context)
    arr = {name: v[:, 0, n:].numpy() for name, v in kept.items()}
    return Recording(text, tuple(vocab.chars), arr["h"], arr["c"], {g: arr[g] for g in GATES}, loss[0, n:].numpy(),
                     top_ids[0, n:].numpy(), top_p[0, n:].numpy())


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
    out = []
    for start in range(0, len(cell_sets), BATCH):
        m = masks[start:start + BATCH]
        loss, _, _ = _run(model, ids[None].expand(len(m), -1), m, values)
        out.append(loss[:, len(context):])
    return torch.cat(out).numpy() if out else np.zeros((0, len(text) - 1), dtype=np.float32)
