"""A count-based character n-gram model: the straw man the RNN has to beat.

Users asked whether a simple baseline does as well as the RNN; Yoav Goldberg answered with an unsmoothed
character n-gram model ("order 4 is readable, 7-10 passable on Shakespeare"). This is that model, with
optional add-alpha smoothing so that it can also be scored on held-out text:

    P(c | context) = (count(context + c) + alpha) / (count(context) + alpha * V)

where the context is the previous `order - 1` characters and V the vocabulary size. `order=2` is a bigram
model. alpha=0 is Goldberg's unsmoothed model: it reproduces training n-grams only, and its loss on text with
an unseen n-gram is infinite.

How it stays fast: characters become integer ids, and every window of `order` characters becomes one uint64
key by a polynomial rolling hash computed with a few whole-array numpy operations. Counts are `np.unique`
over those keys (one sort), and lookups are `np.searchsorted` into the sorted keys. While (V+1)^order < 2^63
the key is an exact base-(V+1) number; for longer orders it wraps modulo 2^64 (a hash), where two different
windows collide with probability about (number of windows)^2 / 2^65, negligible for texts of a few MB.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from charlab.analysis.textstats import codepoints
from charlab.errors import CharlabError

_MASK = (1 << 64) - 1
_HASH_BASE = 0x9E3779B97F4A7C15  # an odd 64-bit constant (golden ratio), used once exact keys would overflow



class NGramModel:
    """Character n-gram model of a given `order` (context of order-1 characters) with add-`alpha` smoothing.

    The vocabulary is `vocab` when given (pass the RNN's vocabulary, a `charlab.text.Vocab` or any iterable
    of characters, so both models score the same symbols with the same sorted ids), otherwise the characters
    of the text passed to `fit`.
    """

    def __init__(self, order: int, alpha: float = 1.0, vocab: Iterable[str] | None = None):
        if order < 1:
            raise CharlabError(f"n-gram order must be at least 1, got {order}")
        if alpha < 0:
            raise CharlabError(f"smoothing alpha must be >= 0, got {alpha}")
        self.order = order
        self.alpha = float(alpha)
        chars = getattr(vocab, "chars", vocab)  # a charlab Vocab keeps its characters in .chars
        self.vocab: list[str] | None = sorted(set(chars)) if chars is not None else None
        self._tables: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = {}
        self._train_ids: np.ndarray | None = None

    # -- encoding -------------------------------------------------------------------------------------------
    @property
    def vocab_size(self) -> int:
        return len(self._require_vocab())

    def _require_vocab(self) -> list[str]:
        if self.vocab is None:
            raise CharlabError("the n-gram model has no vocabulary yet: call fit(text) first")
        return self.vocab

    def encode(self, text: str) -> np.ndarray:
        """Map characters to ids (int64); a character outside the vocabulary is an error."""
        vocab = self._require_vocab()
        table = np.array([ord(c) for c in vocab], dtype=np.uint32)
        cps = codepoints(text)
        ids = np.searchsorted(table, cps)
        bad = (ids >= len(table)) | (table[np.minimum(ids, len(table) - 1)] != cps)
        if bad.any():
            c = text[int(np.argmax(bad))]
            raise CharlabError(f"character {c!r} is not in the n-gram model's vocabulary of {len(vocab)} "
                               "characters: build the model with vocab= covering every text you score")
        return ids.astype(np.int64)

    @property
    def _base(self) -> int:
        v1 = self.vocab_size + 1
        return v1 if self.order * math.log2(v1) < 63 else _HASH_BASE

    def _window_keys(self, ids: np.ndarray, k: int) -> np.ndarray:
        """Key of every window of k characters, for windows ending at positions k-1 .. len(ids)-1."""
        base = np.uint64(self._base)
        digits = ids.astype(np.uint64) + np.uint64(1)  # 0 is reserved for "no character" (the empty context)
        keys = np.zeros(len(ids) - k + 1, dtype=np.uint64)
        for j in range(k):
            keys = keys * base + digits[j : len(ids) - k + 1 + j]
        return keys

    def _extend(self, keys: np.ndarray, c: np.ndarray | int) -> np.ndarray:
        digit = np.asarray(c, dtype=np.uint64) + np.uint64(1)
        return np.asarray(keys, dtype=np.uint64) * np.uint64(self._base) + digit

    # -- counting -------------------------------------------------------------------------------------------
    def _table(self, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Counts for order k: sorted window keys + counts, sorted context keys + counts (cached)."""
        if k not in self._tables:
            if self._train_ids is None:
                raise CharlabError("the n-gram model is not fitted yet: call fit(text) first")
            ids = self._train_ids
            windows, window_counts = np.unique(self._window_keys(ids, k), return_counts=True)
            if k == 1:
                contexts, context_counts = np.zeros(1, np.uint64), np.array([len(ids)])
            else:  # contexts that are followed by a character: all but the last window of length k-1
                contexts, context_counts = np.unique(self._window_keys(ids[:-1], k - 1), return_counts=True)
            self._tables[k] = (windows, window_counts, contexts, context_counts)
        return self._tables[k]

    @staticmethod
    def _lookup(sorted_keys: np.ndarray, counts: np.ndarray, keys: np.ndarray) -> np.ndarray:
        idx = np.minimum(np.searchsorted(sorted_keys, keys), len(sorted_keys) - 1)
        return np.where(sorted_keys[idx] == keys, counts[idx], 0)

    def fit(self, text: str) -> NGramModel:
        """Count all n-grams of `text` (the vocabulary becomes its characters unless `vocab` was given)."""
        if len(text) < self.order:
            raise CharlabError(f"need at least {self.order} characters to fit an order-{self.order} model, "
                               f"got {len(text)}")
        if self.vocab is None:
            self.vocab = sorted(set(text))
        self._train_ids = self.encode(text)
        self._tables = {}
        self._table(self.order)
        return self

    # -- scoring --------------------------------------------------------------------------------------------
    def _probs(self, window_counts: np.ndarray, context_counts: np.ndarray) -> np.ndarray:
        num = window_counts + self.alpha
        den = context_counts + self.alpha * self.vocab_size
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(den > 0, num / np.where(den > 0, den, 1), 0.0)

    def loss(self, text: str, context: str = "") -> float:
        """Mean negative log-likelihood of `text` in nats per character (inf if some character has p = 0).

        Each character is predicted from the `order - 1` characters before it. Those can come from `context`
        (e.g. the end of the training text when `text` is the validation split); the first characters of
        `text` that lack a full context are not scored, so the average runs over
        len(text) - max(0, order - 1 - len(context)) characters (negligible on a validation split).
        """
        k = self.order
        context = context[len(context) - (k - 1):] if k > 1 else ""
        ids = self.encode(context + text)
        if len(ids) < k:
            raise CharlabError(f"text too short to score with an order-{k} model: need {k} characters "
                               "including context")
        windows, window_counts, contexts, context_counts = self._table(k)
        wkeys = self._window_keys(ids, k)
        ckeys = self._window_keys(ids[:-1], k - 1) if k > 1 else np.zeros(len(wkeys), np.uint64)
        p = self._probs(self._lookup(windows, window_counts, wkeys),
                        self._lookup(contexts, context_counts, ckeys))
        with np.errstate(divide="ignore"):
            return float(-np.log(p).mean())

    def next_char_probs(self, context: str, temperature: float = 1.0) -> np.ndarray:
        """Distribution over the vocabulary for the character after `context` (its last order-1 characters).

        Temperature reshapes the smoothed probabilities as p**(1/T) (T=0: all mass on the most likely
        character). A context never seen in training gives the uniform distribution when alpha > 0; with
        alpha = 0 the model backs off to the longest suffix of the context that was seen (ultimately unigram
        counts), as Goldberg's generator effectively does.
        """
        if temperature < 0:
            raise CharlabError(f"temperature must be >= 0 (0 means argmax), got {temperature}")
        V = self.vocab_size
        ids = self.encode(context[len(context) - (self.order - 1):] if self.order > 1 else "")
        for k in range(len(ids) + 1, 0, -1):  # order k uses the last k-1 characters
            ctx = ids[len(ids) - (k - 1):] if k > 1 else ids[:0]
            ckey = self._window_keys(ctx, k - 1) if k > 1 else np.zeros(1, np.uint64)
            windows, window_counts, contexts, context_counts = self._table(k)
            total = self._lookup(contexts, context_counts, ckey)[0]
            if total > 0 or self.alpha > 0:
                counts = self._lookup(windows, window_counts, self._extend(np.repeat(ckey, V), np.arange(V)))
                p = self._probs(counts, np.full(V, total))
                break
        if temperature <= 0:
            out = np.zeros(V)
            out[int(np.argmax(p))] = 1.0
            return out
        logp = np.log(np.maximum(p, 1e-300)) / temperature
        logp[p == 0] = -np.inf
        q = np.exp(logp - logp.max())
        return q / q.sum()

    def sample(self, length: int, seed: int = 0, temperature: float = 1.0, prime: str = "", burn_in: int = 0) -> str:
        """Generate `length` characters (returned without the prime), reproducibly for a given seed.

        `burn_in` characters are generated first and dropped, so the sample starts mid-stream, as a window cut
        from real text does (see `charlab.sampling.sample`).

        Without a prime, the first context is the order-1 characters at a seeded random position of the
        training text (not included in the output). Temperature as in `next_char_probs` (0 = always the
        likeliest character). For readable samples use alpha=0 (Goldberg's model): add-alpha smoothing is for
        scoring held-out text, and at high orders it gives unseen characters so much mass that samples derail
        into noise once they reach a context the training text never had.
        """
        rng = np.random.default_rng(seed)
        vocab = self._require_vocab()
        if self._train_ids is None:
            raise CharlabError("the n-gram model is not fitted yet: call fit(text) first")
        text = prime
        if not prime and self.order > 1:
            start = int(rng.integers(0, len(self._train_ids) - (self.order - 1) + 1))
            text = "".join(vocab[i] for i in self._train_ids[start : start + self.order - 1])
        out = []
        for _ in range(burn_in + length):
            p = self.next_char_probs(text[-(self.order - 1):] if self.order > 1 else "", temperature)
            c = vocab[int(rng.choice(len(p), p=p))]
            out.append(c)
            text = (text + c)[-max(self.order - 1, 1):]
        return "".join(out[burn_in:])


@dataclass(frozen=True)
class NGramResult:
    order: int
    alpha: float
    val_loss: float  # nats/char


ALPHAS = (0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0)


def tuned_losses(train: str, val: str, vocab: Iterable[str], orders: Iterable[int],
                 alphas: Iterable[float] = ALPHAS) -> list[NGramResult]:
    """For each order, an add-alpha n-gram model counted on `train` and scored on `val` (nats/char, the context of
    the first characters being the end of `train`); the smoothing alpha is the one of `alphas` with the lowest
    validation loss, the way a trained RNN's best checkpoint is chosen. Pass the RNN's vocabulary (every
    character of the corpus) so both models predict the same symbols."""
    vocab, alphas = sorted(set(getattr(vocab, "chars", vocab))), list(alphas)
    if not alphas:
        raise CharlabError("tuned_losses needs at least one smoothing alpha")
    results = []
    for order in orders:
        model = NGramModel(order, vocab=vocab).fit(train)
        losses = []
        for alpha in alphas:
            model.alpha = float(alpha)  # the counts do not depend on alpha: refit-free scoring
            losses.append(model.loss(val, context=train))
        best = int(np.argmin(losses))
        results.append(NGramResult(order, float(alphas[best]), losses[best]))
    return results
