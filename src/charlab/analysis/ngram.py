"""A count-based character n-gram model: the straw man the RNN has to beat.

Users asked whether a simple baseline does as well as the RNN; Yoav Goldberg answered with an unsmoothed
character n-gram model ("order 4 is readable, 7-10 passable on Shakespeare"). This is that model, with
optional add-alpha smoothing so that it can also be scored on held-out text:

    P(c | context) = (count(context + c) + alpha) / (count(context) + alpha * V)

where the context is the previous `order - 1` characters and V the vocabulary size. `order=2` is a bigram
model. alpha=0 is Goldberg's unsmoothed model: it reproduces training n-grams only, and its loss on text with
an unseen n-gram is infinite.

`KneserNey` is the smoothing to score n-grams with: interpolated Kneser-Ney (a discount per order, continuation
counts below the top order), whose held-out loss is far lower than add-alpha's at the higher orders; `kn_losses`
scores a range of orders from one set of counts.

How it stays fast: characters become integer ids, and every window of `order` characters becomes one uint64
key by a polynomial rolling hash computed with a few whole-array numpy operations. Counts are `np.unique`
over those keys (one sort), and lookups are `np.searchsorted` into the sorted keys. While (V+1)^order < 2^63
the key is an exact base-(V+1) number; for longer orders it wraps modulo 2^64 (a hash), where two different
windows collide with probability about (number of windows)^2 / 2^65, negligible for texts of a few MB.
"""

from __future__ import annotations

import math
import time
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

    def _remember(self, text: str) -> None:
        """Keep `text` as ids (the vocabulary becomes its characters unless `vocab` was given); drop old counts."""
        if len(text) < self.order:
            raise CharlabError(f"need at least {self.order} characters to fit an order-{self.order} model, "
                               f"got {len(text)}")
        if self.vocab is None:
            self.vocab = sorted(set(text))
        self._train_ids = self.encode(text)
        self._tables = {}

    def fit(self, text: str) -> NGramModel:
        """Count all n-grams of `text` (the vocabulary becomes its characters unless `vocab` was given)."""
        self._remember(text)
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
        context = context[max(0, len(context) - (k - 1)):] if k > 1 else ""
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
        ids = self.encode(context[max(0, len(context) - (self.order - 1)):] if self.order > 1 else "")
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


# ------------------------------------------------------------------------------------------ Kneser-Ney
@dataclass(frozen=True)
class _Level:
    """Counts of one order k (predicting a character from the k-1 before it), sorted by key for lookups.

    `grams`/`gram_counts`: the distinct k-grams hc and their counts (raw counts c(hc) at the top order,
    continuation counts N1+(.hc) below it). `contexts`: the distinct (k-1)-grams h with `totals` (the sum of
    gram_counts over c) and `followers` (the number of distinct c with a positive count). `discount`: D_k."""

    grams: np.ndarray
    gram_counts: np.ndarray
    contexts: np.ndarray
    totals: np.ndarray
    followers: np.ndarray
    discount: float


def _group(keys: np.ndarray, weights: np.ndarray | None = None
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    """The distinct `keys` (sorted), the index of one occurrence of each, how often each occurs and, with
    `weights`, the sum of their weights: one argsort (np.unique(return_index=True) sorts stably, which is slower;
    any occurrence will do here, since every occurrence of an n-gram has the same prefix and suffix)."""
    order = np.argsort(keys)
    ordered = keys[order]
    starts = np.flatnonzero(np.concatenate([[True], ordered[1:] != ordered[:-1]]))
    sizes = np.diff(np.append(starts, len(keys)))
    sums = np.add.reduceat(weights[order], starts) if weights is not None else None
    return ordered[starts], order[starts], sizes, sums


def _find(sorted_keys: np.ndarray, queries: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each query, an index into `sorted_keys` and whether the key there is the query. The queries are
    looked up in sorted order (about 8x faster than in text order on millions of keys: each search starts
    near the last one, and memory is read in order)."""
    if len(queries) > 1:
        order = np.argsort(queries)
        idx = np.empty(len(queries), dtype=np.intp)
        idx[order] = np.searchsorted(sorted_keys, queries[order])
    else:
        idx = np.searchsorted(sorted_keys, queries)
    idx = np.minimum(idx, len(sorted_keys) - 1)
    return idx, sorted_keys[idx] == queries


def kn_discount(counts: np.ndarray) -> float:
    """Ney's estimate D = n1 / (n1 + 2 n2) from how many n-grams occur once (n1) and twice (n2), clipped to
    [0.05, 0.95] (the formula gives 0 or 1 on degenerate counts); 0.5 when there are neither."""
    n1, n2 = int(np.count_nonzero(counts == 1)), int(np.count_nonzero(counts == 2))
    return 0.5 if n1 + 2 * n2 == 0 else float(np.clip(n1 / (n1 + 2 * n2), 0.05, 0.95))


class KneserNey(NGramModel):
    """Interpolated Kneser-Ney character n-gram model (Kneser & Ney 1995; Chen & Goodman 1999, eq. 17 with one
    discount per order), for scoring held-out text.

    With h the k-1 characters before c and h' = h without its first character:

        P_k(c | h) = max(n_k(hc) - D_k, 0) / n_k(h.)  +  D_k * N1+(h.) / n_k(h.) * P_{k-1}(c | h')
        P_0(c)     = 1 / V   (the uniform distribution over the vocabulary: no character has probability 0)

    At the model's order, n_k(hc) is the count of hc in the training text; at every lower order it is the
    *continuation count* N1+(.hc), the number of distinct characters that precede hc (Kneser-Ney's point: a
    lower order is only consulted when the longer context is rare, so it should model how many contexts a
    string continues, not how often it occurs). n_k(h.) is the sum of n_k(hc) over c, N1+(h.) the number of c
    with n_k(hc) > 0, and a context with n_k(h.) = 0 passes P_{k-1} through unchanged. The discounts are
    D_k = n1 / (n1 + 2 n2) of that order's counts (`kn_discount`), or `discount` for every order. Because
    0 < D_k <= 1, each P_k sums to 1 over the vocabulary for every context, seen or not.

    Speed: one argsort of the training text's windows per length, everything else on the distinct
    n-grams, and scoring is vectorised over all held-out positions (a `searchsorted` per order). One model of
    order 12 scores every order from 1 to 12 (`loss(..., order=k)`, `kn_losses`) from the same cached counts.
    Measured on a 2-core machine (numpy, one process): orders 1 to 12, all of them, on the first 4.0 MB of the
    complete Shakespeare (counted on 3.6 MB, scored on 0.4 MB) in 21 s, and on War and Peace (3.2 MB) in 18 s;
    an order takes 0.5 to 4 s, growing with the order (memory was not measured).
    """

    def __init__(self, order: int, vocab: Iterable[str] | None = None, discount: float | None = None):
        super().__init__(order, alpha=0.0, vocab=vocab)
        if discount is not None and not 0 < discount <= 1:
            raise CharlabError(f"a Kneser-Ney discount must be in (0, 1], got {discount}")
        self.discount = discount
        self._levels: dict[tuple[int, bool], _Level] = {}
        self._last_types: tuple[int, tuple[np.ndarray, np.ndarray, np.ndarray]] | None = None

    def fit(self, text: str) -> KneserNey:
        """Remember `text` (as ids); the counts of each order are made when first needed, then cached."""
        self._remember(text)
        self._levels, self._last_types = {}, None
        return self

    # -- counting -------------------------------------------------------------------------------------------
    def _keys_from(self, ids: np.ndarray, k: int, starts: np.ndarray) -> np.ndarray:
        """Keys of the k-character windows of `ids` starting at `starts` (k = 0: the empty context, key 0)."""
        if k == 0:
            return np.zeros(len(starts), np.uint64)
        return self._window_keys(ids, k)[starts]

    def _level(self, k: int, top: bool) -> _Level:
        """The counts of order k: raw counts when `top` (k is the order being scored), else continuation counts."""
        key = (k, top)
        if key in self._levels:
            return self._levels[key]
        ids = self._require_ids()
        m = k if top else k + 1  # raw counts come from the k-grams, continuation counts from the (k+1)-gram types
        if m > len(ids):
            raise CharlabError(f"the training text is too short for order {m}")
        types, first, counts = self._types(m)
        if top:  # grams are the k-gram types; their context is their first k-1 characters
            grams, gram_counts = types, counts
            ctx = self._keys_from(ids, k - 1, first)
        else:  # grams are the suffixes hc of the (k+1)-gram types, counted once per distinct preceding character
            suffix = self._keys_from(ids, k, first + 1)
            grams, gi, gram_counts, _ = _group(suffix)
            first = first[gi] + 1  # where each hc starts
            ctx = self._keys_from(ids, k - 1, first)
            counts = gram_counts
        contexts, _, followers, totals = _group(ctx, counts)
        d = self.discount if self.discount is not None else kn_discount(gram_counts)
        level = _Level(grams, gram_counts.astype(np.int64), contexts, totals, followers.astype(np.int64), d)
        self._levels[key] = level
        return level

    def _types(self, m: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The distinct m-grams of the training text (sorted keys), where one of each starts, and their counts.
        The last length asked for is kept: order k's raw counts and order k-1's continuation counts both come
        from the k-grams."""
        if self._last_types is not None and self._last_types[0] == m:
            return self._last_types[1]
        types, one, counts, _ = _group(self._window_keys(self._require_ids(), m))
        self._last_types = (m, (types, one, counts))
        return types, one, counts

    def _require_ids(self) -> np.ndarray:
        if self._train_ids is None:
            raise CharlabError("the n-gram model is not fitted yet: call fit(text) first")
        return self._train_ids

    def discounts(self, order: int | None = None) -> list[float]:
        """D_1 .. D_order as used when scoring at `order` (the model's order by default)."""
        n = self._check_order(order)
        return [self._level(k, k == n).discount for k in range(1, n + 1)]

    def forget(self, order: int) -> None:
        """Drop the cached top-order counts of `order` (a sweep over orders needs each of them once)."""
        self._levels.pop((order, True), None)

    def _check_order(self, order: int | None) -> int:
        n = self.order if order is None else int(order)
        if not 1 <= n <= self.order:
            raise CharlabError(f"order must be between 1 and the model's order {self.order}, got {order}")
        return n

    # -- scoring --------------------------------------------------------------------------------------------
    def _interpolate(self, gram_keys: list[np.ndarray], context_keys: list[np.ndarray]) -> np.ndarray:
        """P_n(c | h) for each query, given per order k = 1..n the keys of hc and of h (lists of equal arrays)."""
        n = len(gram_keys)
        p = np.full(len(gram_keys[0]), 1.0 / self.vocab_size)
        for k in range(1, n + 1):
            lv = self._level(k, k == n)
            idx, seen = _find(lv.grams, gram_keys[k - 1])
            num = np.where(seen, lv.gram_counts[idx], 0)
            idx, seen = _find(lv.contexts, context_keys[k - 1])
            den = np.where(seen, lv.totals[idx], 0)
            fol = np.where(seen, lv.followers[idx], 0)
            d = lv.discount
            with np.errstate(divide="ignore", invalid="ignore"):
                p = np.where(den > 0, (np.maximum(num - d, 0.0) + d * fol * p) / np.where(den > 0, den, 1), p)
        return p

    def probs(self, text: str, context: str = "", order: int | None = None) -> np.ndarray:
        """P(c | the order-1 characters before it) for every character c of `text` that has a full context in
        `context` + `text` (all of them when `context` has at least order-1 characters)."""
        n = self._check_order(order)
        context = context[max(0, len(context) - (n - 1)):] if n > 1 else ""
        ids = self.encode(context + text)
        if len(ids) < n:
            raise CharlabError(f"text too short to score with an order-{n} model: need {n} characters "
                               "including context")
        starts_n = np.arange(len(ids) - n + 1)  # the n-gram ending at each scored position starts here
        grams, ctxs = [], []
        for k in range(1, n + 1):
            s = starts_n + (n - k)  # the k-gram ending at the same position
            grams.append(self._keys_from(ids, k, s))
            ctxs.append(self._keys_from(ids, k - 1, s))
        return self._interpolate(grams, ctxs)

    def passage_probs(self, passages: list[str], order: int | None = None) -> np.ndarray:
        """Each passage read on its own, from nothing: (P passages of L characters) -> (P, L - 1) probabilities,
        where [p, j] is P(character j + 1 | the characters of passage p before it). A character with fewer than
        order - 1 characters before it in its passage uses the order its context allows (raw counts at that
        order), as `next_char_probs` does; the first character is not scored (as `charlab.evaluate.score_passages`
        does for a network read from the zero state)."""
        n = self._check_order(order)
        L = len(passages[0]) if passages else 0
        if L < 2 or any(len(p) != L for p in passages):
            raise CharlabError("passage_probs needs passages of one length, at least 2 characters each")
        ids = self.encode("".join(passages))
        at = np.arange(len(passages))[:, None] * L  # where each passage starts in `ids`
        out = np.empty((len(passages), L - 1))
        for m in range(2, n + 1):  # the order used at position j is min(j + 1, n)
            js = np.arange(m - 1, L) if m == n else np.array([m - 1] if m - 1 < L else [], dtype=np.int64)
            if not len(js):
                continue
            starts = (at + js[None, :] - m + 1).ravel()  # where the m-gram ending at each position starts
            grams = [self._keys_from(ids, k, starts + (m - k)) for k in range(1, m + 1)]
            ctxs = [self._keys_from(ids, k - 1, starts + (m - k)) for k in range(1, m + 1)]
            out[:, js - 1] = self._interpolate(grams, ctxs).reshape(len(passages), len(js))
        if n == 1:
            starts = (at + np.arange(1, L)[None, :]).ravel()
            out[:] = self._interpolate([self._keys_from(ids, 1, starts)], [self._keys_from(ids, 0, starts)]
                                       ).reshape(len(passages), L - 1)
        return out

    def loss(self, text: str, context: str = "", order: int | None = None) -> float:
        """Mean -log P in nats per character over the scored characters of `text` (see `probs`): the held-out
        loss of the order-`order` model (default: the model's order) when `context` is the training text."""
        return float(-np.log(self.probs(text, context, order)).mean())

    def next_char_probs(self, context: str, temperature: float = 1.0, order: int | None = None) -> np.ndarray:
        """The Kneser-Ney distribution over the vocabulary after `context` (its last order-1 characters; a
        shorter context uses the order it allows), reshaped by temperature as in `NGramModel.next_char_probs`."""
        if temperature < 0:
            raise CharlabError(f"temperature must be >= 0 (0 means argmax), got {temperature}")
        n = self._check_order(order)
        ctx = self.encode(context[max(0, len(context) - (n - 1)):] if n > 1 else "")
        n = len(ctx) + 1
        V = self.vocab_size
        grams, ctxs = [], []
        for k in range(1, n + 1):
            h = self._window_keys(ctx[len(ctx) - (k - 1):], k - 1)[:1] if k > 1 else np.zeros(1, np.uint64)
            ctxs.append(np.repeat(h, V))
            grams.append(self._extend(ctxs[-1], np.arange(V)))
        p = self._interpolate(grams, ctxs)
        if temperature <= 0:
            out = np.zeros(V)
            out[int(np.argmax(p))] = 1.0
            return out
        logp = np.log(p) / temperature
        q = np.exp(logp - logp.max())
        return q / q.sum()


@dataclass(frozen=True)
class KNResult:
    order: int
    val_loss: float  # nats/char
    discount: float  # D of the top order
    seconds: float  # counting + scoring this order, cumulative cache effects included


def kn_losses(train: str, val: str, vocab: Iterable[str], orders: Iterable[int]) -> list[KNResult]:
    """Held-out loss of interpolated Kneser-Ney models of each order, counted on `train` and scored on `val`
    (nats/char; the context of the first characters is the end of `train`). One model of the highest order
    serves all orders: the continuation counts of an order are shared by every higher one."""
    orders = sorted(set(orders))
    if not orders:
        raise CharlabError("kn_losses needs at least one order")
    model = KneserNey(max(orders), vocab=sorted(set(getattr(vocab, "chars", vocab)))).fit(train)
    results = []
    for n in orders:
        t0 = time.perf_counter()
        loss = model.loss(val, context=train, order=n)
        d = model.discounts(n)[-1]
        model.forget(n)
        results.append(KNResult(n, loss, d, time.perf_counter() - t0))
    return results


@dataclass(frozen=True)
class KNBaseline:
    """The book's one counting baseline: interpolated Kneser-Ney, its order chosen on the first half of the held-out
    text (`tuned`) and its loss reported on the second half (`report`), which the choice never saw. A model
    compared with it is scored on the same second half, read after everything before it (`report_context`)."""

    order: int
    loss: float  # nats/char on the report half
    tuned: list[KNResult]  # every order's loss on the tuning half
    report: str  # the second half of the held-out text
    report_context: str  # the training text and the tuning half, which precede it
    model: KneserNey | None = None  # counted on the training text (score it at order=`order`)

    def text(self) -> str:
        others = ", ".join(f"{r.order}: {r.val_loss:.3f}" for r in self.tuned)
        return (f"Kneser-Ney order {self.order} (chosen on the first half of the held-out text, orders {others} "
                f"nats/char there): {self.loss:.3f} nats/char on the second half ({len(self.report):,} characters)")


def kn_baseline(train: str, held_out: str, vocab: Iterable[str], orders: Iterable[int] = (2, 3, 4, 5, 6, 7, 8, 10)
                ) -> KNBaseline:
    """Count `train`, choose the order with the lowest loss on the first half of `held_out` and report that
    order's loss on the second half (see `KNBaseline`)."""
    if len(held_out) < 2:
        raise CharlabError("kn_baseline needs at least 2 held-out characters (one to tune on, one to report)")
    half = len(held_out) // 2
    tune, report = held_out[:half], held_out[half:]
    orders = sorted(set(orders))
    if not orders:
        raise CharlabError("kn_baseline needs at least one order")
    model = KneserNey(max(orders), vocab=sorted(set(getattr(vocab, "chars", vocab)))).fit(train)
    tuned = []
    for n in orders:
        t0 = time.perf_counter()
        tuned.append(KNResult(n, model.loss(tune, context=train, order=n), model.discounts(n)[-1],
                              time.perf_counter() - t0))
    best = min(tuned, key=lambda r: r.val_loss).order
    context = train + tune
    return KNBaseline(best, model.loss(report, context=context, order=best), tuned, report, context, model)
