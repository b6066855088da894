"""Verbatim copying: how much of a sample is the training text, character for character.

A model that memorised its 11 MB of kernel code would write correct C by pasting; these measures tell pasting
from writing. `longest_shared_substring` is the length of the longest substring of the sample that occurs
verbatim in the reference; `copied_share` is the share of the sample's characters that lie inside some
substring of at least `min_len` characters occurring verbatim in the reference.

How it stays fast: `SubstringIndex(reference)` hashes the reference once. With prefix sums
P[i] = sum_{k<i} (c_k + 1) B^k (mod 2^64, numpy wraps) the hash of any window [i, i+L) is
(P[i+L] - P[i]) B^-i, for any L, in O(1) (B is odd, so B^-1 exists mod 2^64). All windows of `anchor`
characters are sorted by hash. To ask whether a sample window of L >= anchor characters occurs, the index looks
up the window's rarest anchor-length piece and compares the window's hash with the reference windows around
that piece's occurrences only; shorter lengths scan every reference window (seconds on 11 MB, needed only when
the sample shares nothing of anchor length). Equal hashes are confirmed by comparing the strings (and a failed
confirmation falls back to `reference.find`), so a hash collision can cost time but never give a wrong answer.
"Some substring of length L occurs" is monotone in L, so the longest shared length is found by binary search.
"""

from __future__ import annotations

import math

import numpy as np

from charlab.analysis.textstats import codepoints
from charlab.errors import CharlabError

_BASE = 0x9E3779B97F4A7C15  # odd, so invertible modulo 2^64
_INVERSE = pow(_BASE, -1, 1 << 64)
_CHUNK = 1 << 22  # candidate reference positions compared per numpy step


def _powers(n: int, base: int) -> np.ndarray:
    out = np.full(n, base, dtype=np.uint64)
    out[:1] = 1
    return np.cumprod(out)  # base^k mod 2^64 (uint64 arithmetic wraps)


class _Hashes:
    """Prefix hashes of a text: `window(starts, L)` hashes the windows [s, s+L) of it."""

    def __init__(self, text: str):
        digits = codepoints(text).astype(np.uint64) + np.uint64(1)
        self.n = len(digits)
        self._prefix = np.concatenate([np.zeros(1, np.uint64), np.cumsum(digits * _powers(self.n, _BASE))])
        self._inverse = _powers(self.n + 1, _INVERSE)

    def window(self, starts: np.ndarray, length: int) -> np.ndarray:
        return (self._prefix[starts + length] - self._prefix[starts]) * self._inverse[starts]


class SubstringIndex:
    """A reference text indexed for verbatim-substring queries (build once, query many samples)."""

    def __init__(self, reference: str, anchor: int = 16):
        if anchor < 1:
            raise CharlabError(f"anchor length must be >= 1, got {anchor}")
        self.reference, self.anchor = reference, anchor
        self._hashes = _Hashes(reference)
        keys = self._hashes.window(np.arange(max(len(reference) - anchor + 1, 0)), anchor)
        order = np.argsort(keys)
        self._anchor_keys, self._anchor_pos = keys[order], order.astype(np.int64)

    def occurs(self, sample: str, length: int) -> np.ndarray:
        """For every start j, whether sample[j : j+length] occurs in the reference (bool array)."""
        if length < 1:
            raise CharlabError(f"substring length must be >= 1, got {length}")
        if length > len(sample):
            return np.zeros(0, dtype=bool)
        sample_hashes = _Hashes(sample)
        keys = sample_hashes.window(np.arange(len(sample) - length + 1), length)
        unique, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
        witness = np.full(len(unique), -1, dtype=np.int64)  # a reference start with the same hash, or -1
        if length <= len(self.reference):
            starts, owners = (self._anchored(sample_hashes, unique, first, length) if length >= self.anchor
                              else self._scanned(unique, length))
            hit_owners, hit_first = np.unique(owners, return_index=True)
            witness[hit_owners] = starts[hit_first]
        # Confirm by comparing strings. Without a witness, the window that stood for its hash (`first`) was
        # searched exhaustively; another window with that hash but other characters asks str.find, as does a
        # window whose witness turns out to be a hash collision.
        out = np.zeros(len(keys), dtype=bool)
        for j, (w, rep) in enumerate(zip(witness[inverse].tolist(), first[inverse].tolist(), strict=True)):
            if w < 0 and rep == j:
                continue
            window = sample[j : j + length]
            if w >= 0 and self.reference[w : w + length] == window:
                out[j] = True
            elif w >= 0 or window != sample[rep : rep + length]:
                out[j] = self.reference.find(window) >= 0
        return out

    def _scanned(self, unique: np.ndarray, length: int) -> tuple[np.ndarray, np.ndarray]:
        """(reference starts, index into `unique`) of every reference window whose hash is in `unique`."""
        ref_keys = self._hashes.window(np.arange(len(self.reference) - length + 1), length)
        idx = np.minimum(np.searchsorted(unique, ref_keys), len(unique) - 1)
        starts = np.flatnonzero(unique[idx] == ref_keys)
        return starts, idx[starts]

    def _anchored(self, sample_hashes: _Hashes, unique: np.ndarray, first: np.ndarray,
                  length: int) -> tuple[np.ndarray, np.ndarray]:
        """Like `_scanned`, but only around the occurrences of each window's rarest anchor-length piece."""
        k = self.anchor
        pieces = sample_hashes.window(np.arange(sample_hashes.n - k + 1), k)
        lo = np.searchsorted(self._anchor_keys, pieces, side="left")
        count = np.searchsorted(self._anchor_keys, pieces, side="right") - lo
        rarest = first + np.lib.stride_tricks.sliding_window_view(count, length - k + 1)[first].argmin(axis=1)
        n_cand = count[rarest]
        bounds = np.concatenate([[0], np.cumsum(n_cand)])  # window u's candidates are bounds[u] .. bounds[u+1]
        found_starts, found_owners = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)]
        a = 0
        while a < len(unique):  # windows a .. b-1 at a time, about _CHUNK candidates
            b = max(a + 1, int(np.searchsorted(bounds, bounds[a] + _CHUNK, side="right")) - 1)
            owners = np.repeat(np.arange(a, b), n_cand[a:b])
            nth = np.arange(len(owners)) - (bounds[owners] - bounds[a])  # which occurrence of the piece
            starts = self._anchor_pos[lo[rarest[owners]] + nth] - (rarest[owners] - first[owners])
            ok = (starts >= 0) & (starts <= len(self.reference) - length)
            starts, owners = starts[ok], owners[ok]
            same = self._hashes.window(starts, length) == unique[owners]
            found_starts.append(starts[same])
            found_owners.append(owners[same])
            a = b
        return np.concatenate(found_starts), np.concatenate(found_owners)

    def longest(self, sample: str) -> int:
        """Length of the longest substring of `sample` that occurs verbatim in the reference."""
        lo, hi = 0, min(len(sample), len(self.reference))
        if self.anchor <= hi:  # one probe at the anchor length decides whether any slow scan is needed
            lo, hi = (self.anchor, hi) if self.occurs(sample, self.anchor).any() else (0, self.anchor - 1)
        while lo < hi:
            mid = (lo + hi + 1) // 2
            lo, hi = (mid, hi) if self.occurs(sample, mid).any() else (lo, mid - 1)
        return lo

    def copied_share(self, sample: str, min_len: int = 50) -> float:
        """Share of the sample's characters inside a substring of >= `min_len` characters found verbatim in the
        reference; NaN for an empty sample."""
        if not sample:
            return math.nan
        starts = np.flatnonzero(self.occurs(sample, min_len))
        cover = np.zeros(len(sample) + 1, dtype=np.int64)
        np.add.at(cover, starts, 1)
        np.add.at(cover, starts + min_len, -1)
        return float((np.cumsum(cover[:-1]) > 0).mean())


def longest_shared_substring(sample: str, reference: str | SubstringIndex) -> int:
    """Length of the longest substring of `sample` occurring verbatim in `reference` (pass a `SubstringIndex`
    to query many samples against one big reference)."""
    index = reference if isinstance(reference, SubstringIndex) else SubstringIndex(reference)
    return index.longest(sample)


def copied_share(sample: str, reference: str | SubstringIndex, min_len: int = 50) -> float:
    """Share of the sample's characters covered by substrings of >= `min_len` characters that occur verbatim
    in `reference` (a string or a `SubstringIndex`); NaN for an empty sample."""
    index = reference if isinstance(reference, SubstringIndex) else SubstringIndex(reference)
    return index.copied_share(sample, min_len)
