"""A faithful Python 3 port of Karpathy's `min-char-rnn.py`, with its state made explicit.

The gist is one script with globals; here the same math lives in pure functions (`lossfun`, `sample`) and a
small class (`MinCharRNN`) that owns everything a training run depends on: the vocabulary, the five parameter
arrays, Adagrad's memory, the carried hidden state `hprev`, the iteration counter `n`, the data pointer `p` and
`smooth_loss`. Keeping all of it in one object is what makes a checkpoint resume exactly where it stopped.

Hyperparameters default to the gist's (hidden 100, seq_length 25, Adagrad lr 0.1, gradients clipped to +-5,
weights drawn from N(0, 0.01^2)). The fixes for the traps its users hit are the defaults; every trap can be
reproduced on purpose, so the book can show it next to its fix:

- `build_vocab(order="set")` and `set_order_in_fresh_interpreters`: the gist's `list(set(data))` vocabulary;
- `needs_reset(rule=">=")` and `never_targets`: the gist's `>=` that skips the last chunk of a pass;
- `buggy_first_iteration`: the IndexError on text no longer than seq_length;
- `buggy_softmax` / `sample(stable=False)`: the softmax that overflows; `sample(temperature=...)` is the fix;
- `lossfun(carry_dhnext=False)`: the backward pass without `+ dhnext`, for the gradient check to reject;
- `buggy_clip_by_rebinding`: `dparam = np.clip(...)` in a loop, which clips nothing;
- `MinCharRNN.save(params_only=True)`: the weights-only checkpoint whose resumed loss jumps back up.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from charlab.errors import CharlabError

PARAM_NAMES = ("Wxh", "Whh", "Why", "bh", "by")
Params = dict[str, np.ndarray]


# ---------------------------------------------------------------------------------------------------------------
# vocabulary


def build_vocab(text: str, order: str = "sorted") -> list[str]:
    """The characters of `text`, in an order that must be the same every time the text is read.

    `order="sorted"` is the fix. `order="set"` is the gist's `list(set(data))`: within one process it looks
    stable, but Python 3 randomises string hashes per process, so a restarted script numbers the characters
    differently and saved weights silently stop matching their vocabulary.
    """
    if order == "sorted":
        return sorted(set(text))
    if order == "set":
        return list(set(text))
    raise CharlabError(f"unknown vocabulary order {order!r}: use 'sorted' (or 'set' to see the gist's trap)")


def set_order_in_fresh_interpreters(text: str, hash_seeds: Sequence[int] = (0, 1, 2)) -> list[str]:
    """Run the gist's `list(set(text))` in fresh Python processes, one per PYTHONHASHSEED.

    Each process stands for one restart of the training script; the returned strings are the vocabularies
    those restarts would have used.
    """
    code = "import json, sys; print(json.dumps(''.join(list(set(sys.stdin.read())))))"
    orders = []
    for seed in hash_seeds:
        env = {**os.environ, "PYTHONHASHSEED": str(seed)}
        out = subprocess.run([sys.executable, "-c", code], input=text, env=env, capture_output=True,
                             text=True, check=True, encoding="utf-8")
        orders.append(json.loads(out.stdout))
    return orders


# ---------------------------------------------------------------------------------------------------------------
# the math: parameters, softmax, loss and gradients, sampling


def init_params(vocab_size: int, hidden_size: int, rng: np.random.Generator, init_scale: float = 0.01) -> Params:
    """The gist's initialisation: small Gaussian weights, zero biases, all float64."""
    return {
        "Wxh": rng.standard_normal((hidden_size, vocab_size)) * init_scale,  # input to hidden
        "Whh": rng.standard_normal((hidden_size, hidden_size)) * init_scale,  # hidden to hidden
        "Why": rng.standard_normal((vocab_size, hidden_size)) * init_scale,  # hidden to output
        "bh": np.zeros((hidden_size, 1)),  # hidden bias (it also plays the role of an input bias)
        "by": np.zeros((vocab_size, 1)),  # output bias
    }


def softmax(y: np.ndarray, axis: int = 0) -> np.ndarray:
    """Softmax that cannot overflow: subtracting the max changes nothing mathematically, keeps exp() <= 1."""
    e = np.exp(y - np.max(y, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def buggy_softmax(y: np.ndarray) -> np.ndarray:
    """The gist's softmax, `exp(y) / sum(exp(y))`: inf/inf = nan as soon as a score passes ~709."""
    with np.errstate(over="ignore", invalid="ignore"):
        return np.exp(y) / np.sum(np.exp(y))


def clip_grads(grads: Params, clip: float) -> None:
    """Clip every gradient to [-clip, clip] in place (`out=`), as the gist does."""
    for g in grads.values():
        np.clip(g, -clip, clip, out=g)


def buggy_clip_by_rebinding(grads: Params, clip: float) -> None:
    """The multi-layer port from the gist's comments: `dparam = np.clip(dparam, ...)` inside a loop.

    The loop variable is rebound to a new clipped array that is then thrown away; the gradients are unchanged.
    """
    for dparam in grads.values():
        dparam = np.clip(dparam, -clip, clip)  # noqa: F841, B007  (the bug being demonstrated)


def lossfun(
    params: Params,
    inputs: Sequence[int],
    targets: Sequence[int],
    hprev: np.ndarray,
    clip: float | None = 5.0,
    carry_dhnext: bool = True,
) -> tuple[float, Params, np.ndarray]:
    """Forward and backward through one chunk, exactly as the gist's `lossfun`.

    Everything is analytic in the parameters (no abs, no comparisons except the softmax shift, which cancels), so
    it also runs on complex parameters: that is what the complex-step gradient check relies on.

    Returns the loss (a *sum* of -log p(target) over the chunk), the gradients of that sum with respect to every
    parameter (clipped to +-clip unless clip is None) and the last hidden state, to be carried into the next chunk
    as a constant (truncated backpropagation through time).

    `carry_dhnext=False` drops the gradient that flows back from step t+1 into h_t: the gradient check shows
    that this is no longer the gradient of the loss.
    """
    dtype = np.result_type(*(params[k] for k in PARAM_NAMES))  # float64, or complex128 in a complex-step check
    Wxh, Whh, Why, bh, by = (np.asarray(params[k], dtype) for k in PARAM_NAMES)  # no copy unless mixed
    vocab_size = Why.shape[0]
    xs, hs, ps = {}, {}, {}
    hs[-1] = np.array(hprev, dtype=dtype)
    loss = 0.0
    for t in range(len(inputs)):  # forward pass
        xs[t] = np.zeros((vocab_size, 1), dtype)  # 1-of-k encoding of the input character
        xs[t][inputs[t]] = 1
        hs[t] = np.tanh(np.dot(Wxh, xs[t]) + np.dot(Whh, hs[t - 1]) + bh)  # hidden state
        ys = np.dot(Why, hs[t]) + by  # unnormalised log-probabilities of the next character
        ps[t] = softmax(ys)  # probabilities of the next character
        loss += -np.log(ps[t][targets[t], 0])  # cross-entropy = negative log-likelihood of the target
    dWxh, dWhh, dWhy = (np.zeros(W.shape, dtype) for W in (Wxh, Whh, Why))
    dbh, dby = np.zeros(bh.shape, dtype), np.zeros(by.shape, dtype)
    dhnext = np.zeros(hs[0].shape, dtype)
    for t in reversed(range(len(inputs))):  # backward pass
        dy = np.copy(ps[t])
        dy[targets[t]] -= 1  # d loss_t / d y_t = p - onehot(target)
        dWhy += np.dot(dy, hs[t].T)
        dby += dy
        dh = np.dot(Why.T, dy)  # h_t feeds the output at step t ...
        if carry_dhnext:
            dh += dhnext  # ... and the hidden state at step t+1: both gradients add up
        dhraw = (1 - hs[t] * hs[t]) * dh  # through tanh: d tanh(a)/da = 1 - tanh(a)^2
        dbh += dhraw
        dWxh += np.dot(dhraw, xs[t].T)
        dWhh += np.dot(dhraw, hs[t - 1].T)
        dhnext = np.dot(Whh.T, dhraw)
    grads = {"Wxh": dWxh, "Whh": dWhh, "Why": dWhy, "bh": dbh, "by": dby}
    if clip is not None:
        clip_grads(grads, clip)  # mitigate exploding gradients
    return loss, grads, hs[len(inputs) - 1]


def sample(
    params: Params,
    h: np.ndarray,
    seed_ix: int,
    n: int,
    rng: np.random.Generator,
    temperature: float = 1.0,
    stable: bool = True,
) -> list[int]:
    """Sample `n` character indices, feeding each one back in as the next input.

    `temperature` divides the scores before the softmax: below 1 the model plays safe (and repeats itself),
    above 1 it takes more risks; 0 means always take the most likely character (argmax). The gist had no
    temperature and used `buggy_softmax`, which `stable=False` restores.
    """
    if temperature < 0:
        raise CharlabError(f"temperature must be >= 0, got {temperature}")
    Wxh, Whh, Why, bh, by = (params[k] for k in PARAM_NAMES)
    vocab_size = Why.shape[0]
    x = np.zeros((vocab_size, 1))
    x[seed_ix] = 1
    ixes = []
    for _ in range(n):
        h = np.tanh(np.dot(Wxh, x) + np.dot(Whh, h) + bh)
        y = np.dot(Why, h) + by
        if temperature == 0:
            ix = int(np.argmax(y))
        else:
            p = softmax(y / temperature) if stable else buggy_softmax(y / temperature)
            ix = int(rng.choice(vocab_size, p=p.ravel()))
        x = np.zeros((vocab_size, 1))
        x[ix] = 1
        ixes.append(ix)
    return ixes


# ---------------------------------------------------------------------------------------------------------------
# walking through the data: where a chunk starts, when a pass ends


def needs_reset(p: int, seq_length: int, n_chars: int, rule: str = ">") -> bool:
    """Is there no full chunk (seq_length inputs + 1 target beyond) left at position p?

    A chunk at p reads data[p : p+seq_length+1], so it fits exactly when p+seq_length+1 <= n_chars: the right
    test for "start a new pass" is `>`. The gist's `>=` also throws away the chunk that ends on the last character.
    """
    if rule == ">":
        return p + seq_length + 1 > n_chars
    if rule == ">=":
        return p + seq_length + 1 >= n_chars
    raise CharlabError(f"unknown reset rule {rule!r}: use '>' (or '>=' to see the gist's trap)")


def chunk_starts(n_chars: int, seq_length: int, rule: str = ">") -> list[int]:
    """Start positions of the chunks that one pass over the data trains on."""
    starts, p = [0], seq_length
    while not needs_reset(p, seq_length, n_chars, rule):
        starts.append(p)
        p += seq_length
    return starts


def never_targets(n_chars: int, seq_length: int, rule: str = ">") -> int:
    """How many of the n_chars-1 possible targets (characters 1..n-1) a pass never trains on."""
    covered = len(chunk_starts(n_chars, seq_length, rule)) * seq_length
    return n_chars - 1 - covered


def buggy_first_iteration(text: str, seq_length: int = 25, hidden_size: int = 100, seed: int = 0) -> float:
    """The gist's first iteration with no length check: IndexError when len(text) <= seq_length."""
    chars = sorted(set(text))
    ix = {ch: i for i, ch in enumerate(chars)}
    params = init_params(len(chars), hidden_size, np.random.default_rng(seed))
    inputs = [ix[ch] for ch in text[0:seq_length]]
    targets = [ix[ch] for ch in text[1 : seq_length + 1]]  # one shorter than inputs on a short text
    loss, _, _ = lossfun(params, inputs, targets, np.zeros((hidden_size, 1)))
    return float(loss)


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# ---------------------------------------------------------------------------------------------------------------
# the training run as an object


class AdagradLoop:
    """The gist's training loop (Adagrad, smooth_loss, the p/n counters), shared by the faithful RNN here and the
    batched one in `numpy_rnn`, so the two differ only in how they compute the loss and gradients."""

    progress_label = "min-char-rnn"
    postfix_every = 200

    def step(self) -> float:
        """One iteration of the gist's loop; returns the chunk's loss (a sum over seq_length characters)."""
        inputs, targets = self.next_chunk()
        loss, grads, self.hprev = self._loss_and_grads(inputs, targets)
        loss = float(loss)
        self.smooth_loss = self.smooth_loss * 0.999 + loss * 0.001
        for k, param in self.params.items():  # Adagrad, in place
            mem, dparam = self.mem[k], grads[k]
            mem += dparam * dparam
            param += -self.learning_rate * dparam / np.sqrt(mem + 1e-8)
        self.p += self.seq_length
        self.n += 1
        return loss

    def train(self, num_iters: int, progress: bool = True) -> np.ndarray:
        """Run `num_iters` iterations (the gist's `while True`, made finite); return each chunk's loss."""
        losses = np.empty(num_iters)
        self.last_train_elapsed = np.empty(num_iters)
        t0 = time.perf_counter()
        bar = tqdm(range(num_iters), desc=self.progress_label, disable=not progress, mininterval=1.0)
        for i in bar:
            losses[i] = self.step()
            self.last_train_elapsed[i] = time.perf_counter() - t0
            if i % self.postfix_every == 0:
                bar.set_postfix(smooth_loss=f"{self.smooth_loss:.2f}", refresh=False)
        self.train_seconds += time.perf_counter() - t0
        return losses


class MinCharRNN(AdagradLoop):
    """One min-char-rnn training run: the gist's main loop, one `step()` per iteration.

    Everything the next iteration depends on is an attribute, so `save`/`load` can resume a run exactly.
    Sampling uses the run's own random generator (also saved), never NumPy's global one.
    """

    def __init__(
        self,
        text: str,
        *,
        hidden_size: int = 100,
        seq_length: int = 25,
        learning_rate: float = 0.1,
        clip: float = 5.0,
        init_scale: float = 0.01,
        seed: int = 0,
        vocab: Sequence[str] | None = None,
        reset_rule: str = ">",
        carry_dhnext: bool = True,
    ) -> None:
        """Hyperparameters as in the gist; reset_rule=">=" and carry_dhnext=False reproduce two traps."""
        if len(text) <= seq_length:
            raise CharlabError(
                f"the text has {len(text)} characters but seq_length is {seq_length}: one chunk needs "
                f"seq_length + 1 = {seq_length + 1} characters; use a longer text or a smaller seq_length"
            )
        needs_reset(0, seq_length, len(text), reset_rule)  # validates the rule name
        self.vocab = list(vocab) if vocab is not None else build_vocab(text)
        if len(set(self.vocab)) != len(self.vocab):
            raise CharlabError("the vocabulary lists a character twice; give each character once")
        self.char_to_ix = {ch: i for i, ch in enumerate(self.vocab)}
        missing = sorted(set(text) - set(self.char_to_ix))
        if missing:
            raise CharlabError(f"the text has characters outside the vocabulary: {''.join(missing)!r}")
        self.text = text
        self.data = [self.char_to_ix[ch] for ch in text]
        self.hidden_size, self.seq_length = hidden_size, seq_length
        self.learning_rate, self.clip, self.reset_rule = learning_rate, clip, reset_rule
        self.carry_dhnext = carry_dhnext
        self.train_seconds = 0.0  # wall time spent in train(), for throughput figures
        self.last_train_elapsed = np.empty(0)  # per iteration of the last train() call, seconds
        self.rng = np.random.default_rng(seed)
        self.params = init_params(len(self.vocab), hidden_size, self.rng, init_scale)
        self.mem = {k: np.zeros_like(v) for k, v in self.params.items()}  # Adagrad's sums of squared gradients
        self.hprev = np.zeros((hidden_size, 1))
        self.n, self.p = 0, 0
        self.smooth_loss = self.initial_loss  # what a uniform guess would score

    @property
    def vocab_size(self) -> int:
        return len(self.vocab)

    @property
    def initial_loss(self) -> float:
        """seq_length * ln(V): the chunk loss of a model that gives every character probability 1/V."""
        return float(-np.log(1.0 / self.vocab_size) * self.seq_length)

    def next_chunk(self) -> tuple[list[int], list[int]]:
        """Move to the chunk this iteration trains on (resetting p and hprev at the end of a pass)."""
        if self.n == 0 or needs_reset(self.p, self.seq_length, len(self.data), self.reset_rule):
            self.hprev = np.zeros((self.hidden_size, 1))  # reset the RNN's memory
            self.p = 0  # go back to the start of the data
        inputs = self.data[self.p : self.p + self.seq_length]
        targets = self.data[self.p + 1 : self.p + self.seq_length + 1]
        return inputs, targets

    def _loss_and_grads(self, inputs, targets):
        return lossfun(self.params, inputs, targets, self.hprev, self.clip, self.carry_dhnext)

    def sample(self, n: int, seed_char: str | None = None, temperature: float = 1.0,
               h: np.ndarray | None = None, stable: bool = True) -> str:
        """Sample n characters, starting from hidden state h (default: the carried hprev)."""
        if seed_char is None:
            seed_ix = self.data[self.p] if self.p < len(self.data) else self.data[0]
        elif seed_char in self.char_to_ix:
            seed_ix = self.char_to_ix[seed_char]
        else:
            raise CharlabError(f"seed character {seed_char!r} is not in the vocabulary")
        h = self.hprev if h is None else h
        ixes = sample(self.params, h, seed_ix, n, self.rng, temperature, stable)
        return "".join(self.vocab[i] for i in ixes)

    # -- checkpoints -------------------------------------------------------------------------------------------

    def save(self, path: str | os.PathLike, params_only: bool = False) -> Path:
        """Write a checkpoint (.npz) with the vocabulary and the full run state.

        `params_only=True` writes what users of the gist wrote: the weights (and vocabulary) alone. Resuming
        from it restarts Adagrad's memory, `hprev`, `n`, `p` and `smooth_loss`, and the loss jumps back up.
        """
        path = Path(path)
        meta = {
            "format": "charlab.minchar/1",
            "params_only": params_only,
            "hidden_size": self.hidden_size,
            "seq_length": self.seq_length,
            "learning_rate": self.learning_rate,
            "clip": self.clip,
            "reset_rule": self.reset_rule,
            "text_sha256": text_sha256(self.text),
        }
        arrays = {k: v for k, v in self.params.items()}
        if not params_only:
            meta |= {"n": self.n, "p": self.p, "smooth_loss": self.smooth_loss,
                     "rng": self.rng.bit_generator.state}
            arrays |= {f"mem_{k}": v for k, v in self.mem.items()}
            arrays["hprev"] = self.hprev
        with open(path, "wb") as f:
            np.savez(f, vocab=np.array(self.vocab, dtype="<U1"), meta=np.array(json.dumps(meta)), **arrays)
        return path

    @classmethod
    def load(cls, path: str | os.PathLike, text: str) -> MinCharRNN:
        """Resume a run from a checkpoint; `text` must be the text it was trained on."""
        path = Path(path)
        if not path.is_file():
            raise CharlabError(f"{path}: no such checkpoint file")
        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(str(z["meta"]))
            vocab = [str(c) for c in z["vocab"]]
            arrays = {k: z[k].copy() for k in z.files if k not in ("vocab", "meta")}
        if text_sha256(text) != meta["text_sha256"]:
            raise CharlabError(f"{path} was trained on a different text (sha256 {meta['text_sha256'][:12]}...); "
                               "pass the text it was trained on")
        model = cls(text, hidden_size=meta["hidden_size"], seq_length=meta["seq_length"],
                    learning_rate=meta["learning_rate"], clip=meta["clip"], vocab=vocab,
                    reset_rule=meta["reset_rule"])
        model.params = {k: arrays[k] for k in PARAM_NAMES}
        if not meta["params_only"]:
            model.mem = {k: arrays[f"mem_{k}"] for k in PARAM_NAMES}
            model.hprev = arrays["hprev"]
            model.n, model.p, model.smooth_loss = meta["n"], meta["p"], meta["smooth_loss"]
            model.rng.bit_generator.state = meta["rng"]
        return model


def smooth(losses: np.ndarray, start: float, beta: float = 0.999) -> np.ndarray:
    """The gist's display-only moving average, `smooth = smooth*beta + loss*(1-beta)`, for every iteration."""
    out = np.empty(len(losses))
    s = start
    for i, loss in enumerate(losses):
        s = s * beta + loss * (1 - beta)
        out[i] = s
    return out
