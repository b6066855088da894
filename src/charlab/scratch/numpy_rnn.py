"""A batched, vectorised numpy vanilla RNN: min-char-rnn's math on many text streams at once.

The gist pushes one 25-character chunk through the network per iteration, one column vector at a time, so
numpy spends its time on Python overhead and tiny matrix-vector products. Here the text is cut into B
contiguous streams (as char-rnn does); every iteration advances all of them by seq_length characters, and
each time step is one (B x H) @ (H x H) product. The output layer, the softmax and most of the backward pass run
once for the whole chunk.

Same model, same parameters (same shapes, same initialisation for the same seed), same truncated BPTT with the
hidden state carried between chunks, same Adagrad and clipping. The loss is the gist's per-chunk *sum* over time,
averaged over the B streams, so with B = 1 loss and gradients are exactly the gist's (a unit test checks it).
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np

from charlab.errors import CharlabError
from charlab.scratch.minchar import PARAM_NAMES, AdagradLoop, Params, build_vocab, init_params, needs_reset, sample

__all__ = ["BatchedRNN", "compare_speed", "loss_and_grads", "per_char_loss"]


def loss_and_grads(
    params: Params,
    inputs: np.ndarray,
    targets: np.ndarray,
    hprev: np.ndarray,
    clip: float | None = 5.0,
    backward: bool = True,
) -> tuple[float, Params | None, np.ndarray]:
    """Forward (and backward) through a (T, B) chunk of input and target indices.

    hprev is (B, H), one hidden state per stream. Returns the loss (sum over time of -log p(target), averaged
    over streams), its gradients (clipped to +-clip unless clip is None; None when backward=False) and the last
    hidden state (B, H). Works on complex parameters too, for the complex-step gradient check.
    """
    dtype = np.result_type(*(params[k] for k in PARAM_NAMES))
    Wxh, Whh, Why, bh, by = (np.asarray(params[k], dtype) for k in PARAM_NAMES)
    T, B = inputs.shape
    H, V = Wxh.shape
    # forward: W_xh x for a one-hot x is a column of W_xh, so gather all T*B of them at once
    xw = Wxh.T[inputs] + bh[:, 0]  # (T, B, H): input term and bias for every step at once
    hs = np.empty((T + 1, B, H), dtype)
    hs[0] = hprev
    WhhT = Whh.T
    for t in range(T):  # h_t = tanh(W_xh x_t + b_h + W_hh h_{t-1}), written in place (no temporaries)
        np.matmul(hs[t], WhhT, out=hs[t + 1])
        hs[t + 1] += xw[t]
        np.tanh(hs[t + 1], out=hs[t + 1])
    hflat = hs[1:].reshape(T * B, H)
    logits = hflat @ Why.T + by[:, 0]  # (T*B, V): the output layer for the whole chunk in one product
    tflat = targets.reshape(T * B)
    rows = np.arange(T * B)
    shifted = logits - logits.max(axis=1, keepdims=True)  # stable softmax
    e = np.exp(shifted)
    s = e.sum(axis=1)
    loss = -(shifted[rows, tflat] - np.log(s)).sum() / B
    if not backward:
        return loss, None, hs[T]
    # backward: same equations as the gist, with the batch dimension along for the ride
    dlogits = e / s[:, None]
    dlogits[rows, tflat] -= 1
    dlogits /= B
    dWhy = dlogits.T @ hflat
    dby = dlogits.sum(axis=0)[:, None]
    dh_out = (dlogits @ Why).reshape(T, B, H)  # gradient into h_t from the output at step t
    dtanh = 1 - hs[1:] * hs[1:]  # tanh'(a_t) = 1 - h_t^2, for all steps at once
    dhraw = np.empty((T, B, H), dtype)
    dhnext = np.zeros((B, H), dtype)
    for t in reversed(range(T)):
        dhnext += dh_out[t]  # the gradient from the output at t plus the one from step t+1
        np.multiply(dtanh[t], dhnext, out=dhraw[t])  # through tanh
        np.matmul(dhraw[t], Whh, out=dhnext)  # into h_{t-1}
    draw = dhraw.reshape(T * B, H)
    dWhh = draw.T @ hs[:-1].reshape(T * B, H)
    dbh = draw.sum(axis=0)[:, None]
    # dW_xh: the transpose of the gather above, i.e. sum the dhraw rows of each input character
    xflat = inputs.reshape(T * B)
    order = np.argsort(xflat, kind="stable")
    chars, starts = np.unique(xflat[order], return_index=True)
    dWxhT = np.zeros((V, H), dtype)
    dWxhT[chars] = np.add.reduceat(draw[order], starts, axis=0)
    grads = {"Wxh": dWxhT.T.copy(), "Whh": dWhh, "Why": dWhy, "bh": dbh, "by": dby}
    if clip is not None:
        for g in grads.values():
            np.clip(g, -clip, clip, out=g)
    return loss, grads, hs[T]


def per_char_loss(params: Params, data: np.ndarray, batch_size: int = 64, seq_length: int = 100) -> float:
    """Mean -log p(next char) in nats over `data` (int indices), read as batch_size streams from a zero state."""
    L = len(data) // batch_size
    if L < 2:
        raise CharlabError(f"{len(data)} characters are too few to evaluate on {batch_size} streams")
    streams = np.asarray(data[: batch_size * L]).reshape(batch_size, L)
    h = np.zeros((batch_size, params["Whh"].shape[0]))
    total, count = 0.0, 0
    for p in range(0, L - 1, seq_length):
        chunk = streams[:, p : min(p + seq_length + 1, L)]
        loss, _, h = loss_and_grads(params, chunk[:, :-1].T, chunk[:, 1:].T, h, backward=False)
        total += float(loss) * batch_size
        count += chunk[:, 1:].size
    return total / count


class BatchedRNN(AdagradLoop):
    """A training run of the batched RNN; mirrors `minchar.MinCharRNN` (same attributes, same step)."""

    def __init__(
        self,
        text: str,
        *,
        batch_size: int = 32,
        hidden_size: int = 100,
        seq_length: int = 25,
        learning_rate: float = 0.1,
        clip: float = 5.0,
        init_scale: float = 0.01,
        seed: int = 0,
        vocab: Sequence[str] | None = None,
        dtype: str = "float64",
    ) -> None:
        """dtype "float64" is the gist's precision; "float32" halves the arithmetic cost (same math)."""
        if dtype not in ("float64", "float32"):
            raise CharlabError(f"dtype must be 'float64' or 'float32', got {dtype!r}")
        if batch_size < 1:
            raise CharlabError(f"batch_size must be at least 1, got {batch_size}")
        stream_len = len(text) // batch_size
        if stream_len <= seq_length:
            raise CharlabError(
                f"{len(text)} characters cut into {batch_size} streams leaves {stream_len} per stream, but one "
                f"chunk needs seq_length + 1 = {seq_length + 1}; use a longer text or a smaller batch_size"
            )
        self.vocab = list(vocab) if vocab is not None else build_vocab(text)
        self.char_to_ix = {ch: i for i, ch in enumerate(self.vocab)}
        missing = sorted(set(text) - set(self.char_to_ix))
        if missing:
            raise CharlabError(f"the text has characters outside the vocabulary: {''.join(missing)!r}")
        ids = np.array([self.char_to_ix[ch] for ch in text], dtype=np.int64)
        self.data = ids[: batch_size * stream_len].reshape(batch_size, stream_len)  # row b = stream b
        self.batch_size, self.hidden_size, self.seq_length = batch_size, hidden_size, seq_length
        self.learning_rate, self.clip = learning_rate, clip
        self.rng = np.random.default_rng(seed)
        self.dtype = np.dtype(dtype)
        params = init_params(len(self.vocab), hidden_size, self.rng, init_scale)  # same draws as the gist
        self.params = {k: v.astype(self.dtype) for k, v in params.items()}
        self.mem = {k: np.zeros_like(v) for k, v in self.params.items()}
        self.hprev = np.zeros((batch_size, hidden_size), self.dtype)
        self.n, self.p = 0, 0
        self.smooth_loss = float(-np.log(1.0 / len(self.vocab)) * seq_length)
        self.train_seconds = 0.0  # wall time spent in train(), for throughput figures
        self.last_train_elapsed = np.empty(0)  # per iteration of the last train() call, seconds

    @property
    def chars_per_iter(self) -> int:
        return self.batch_size * self.seq_length

    def next_chunk(self) -> tuple[np.ndarray, np.ndarray]:
        """(T, B) inputs and targets for this iteration; all streams reset together at the end of a pass."""
        if self.n == 0 or needs_reset(self.p, self.seq_length, self.data.shape[1]):
            self.hprev = np.zeros((self.batch_size, self.hidden_size), self.dtype)
            self.p = 0
        chunk = self.data[:, self.p : self.p + self.seq_length + 1]
        return chunk[:, :-1].T, chunk[:, 1:].T

    postfix_every = 50

    @property
    def progress_label(self) -> str:
        return f"batched RNN (B={self.batch_size})"

    def _loss_and_grads(self, inputs, targets):
        return loss_and_grads(self.params, inputs, targets, self.hprev, self.clip)

    def sample(self, n: int, seed_char: str, temperature: float = 1.0) -> str:
        """Sample n characters from a zero hidden state, after feeding seed_char."""
        if seed_char not in self.char_to_ix:
            raise CharlabError(f"seed character {seed_char!r} is not in the vocabulary")
        h = np.zeros((self.hidden_size, 1))
        ixes = sample(self.params, h, self.char_to_ix[seed_char], n, self.rng, temperature)
        return "".join(self.vocab[i] for i in ixes)


def compare_speed(text: str, batch_size: int = 32, seconds: float = 2.0, rounds: int = 3,
                  seed: int = 0, dtype: str = "float64") -> dict[str, float]:
    """Training throughput in characters per second, faithful vs batched, measured in the same process.

    Each round times both for about `seconds` / `rounds` each, alternating, and the best round of each counts (the
    least disturbed by whatever else the machine is doing). Returns chars/s of both and their ratio.
    """
    from charlab.scratch.minchar import MinCharRNN

    faithful = MinCharRNN(text, seed=seed)
    batched = BatchedRNN(text, batch_size=batch_size, seed=seed, dtype=dtype)
    faithful.train(20, progress=False)  # warm up
    batched.train(2, progress=False)
    best = {"faithful": 0.0, "batched": 0.0}
    for _ in range(rounds):
        for name, model in (("faithful", faithful), ("batched", batched)):
            chars_per_iter = model.seq_length * getattr(model, "batch_size", 1)
            iters, t0 = 0, time.perf_counter()
            while (elapsed := time.perf_counter() - t0) < seconds / rounds:
                model.step()
                iters += 1
            best[name] = max(best[name], iters * chars_per_iter / elapsed)
    return {"faithful_chars_per_s": best["faithful"], "batched_chars_per_s": best["batched"],
            "ratio": best["batched"] / best["faithful"], "batch_size": batch_size, "dtype": dtype}
