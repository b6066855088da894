"""Generic measures of a text sample: words, diversity, entropy and "mistakes".

The post makes qualitative claims about samples ("higher temperature gives more diversity but more mistakes",
"the model learned words"). These helpers turn such claims into numbers that a chapter can plot. They are
deliberately simple, count-based and documented, so a reader can check what each number means:

* `words` is the one tokenizer every measure shares, so "a word" means the same thing everywhere.
* `distinct_ngram_ratio` is the "distinct-n" diversity score (distinct n-grams / all n-grams).
* `char_entropy_bits` is the plug-in (empirical) entropy of the characters, optionally conditioned on the
  preceding characters.
* `unknown_word_share` counts sampled words that never occur in the training text: the "mistakes".
* `random_windows` draws real text the size of a set of samples, `nan_mean` averages measures that may be NaN,
  and `codepoints` is the array view of a text that the numpy measures (cycles, n-grams) work on.

All ratios return NaN (not 0) when there is nothing to count, so an empty sample shows up as a gap in a plot
instead of a misleading value.
"""

from __future__ import annotations

import math
import random
import re
from collections import Counter
from collections.abc import Iterable
from typing import Literal

import numpy as np

from charlab.errors import CharlabError

# A word is a run of letters (any script; `[^\W\d_]` is "word character but not digit or underscore"),
# possibly joined by apostrophes inside it ("don't", "Velzonski's", "o'er"). A leading or trailing apostrophe
# is not part of the word, because in these corpora it is as often a quotation mark ('faithful slave,') as an
# elision ('tis). Hyphens split words ("father-in-law" is three words), so hyphenated compounds the model
# invents are judged by their parts.
_WORD_RE = re.compile(r"[^\W\d_]+(?:['\u2019][^\W\d_]+)*")


def words(text: str) -> list[str]:
    """Split `text` into words: runs of (unicode) letters with inner apostrophes; anything else splits."""
    return _WORD_RE.findall(text)


def word_set(text: str, case_insensitive: bool = True) -> set[str]:
    """The vocabulary of `text` as a set of words (lower-cased when `case_insensitive`)."""
    ws = words(text)
    return {w.lower() for w in ws} if case_insensitive else set(ws)


def ngrams(text: str, n: int, unit: Literal["word", "char"] = "word") -> list[tuple[str, ...]] | list[str]:
    """All overlapping n-grams of `text`: tuples of words (unit="word") or substrings (unit="char")."""
    if n < 1:
        raise CharlabError(f"n must be >= 1, got {n}")
    if unit == "char":
        return [text[i : i + n] for i in range(len(text) - n + 1)]
    if unit == "word":
        ws = words(text)
        return [tuple(ws[i : i + n]) for i in range(len(ws) - n + 1)]
    raise CharlabError(f"unit must be 'word' or 'char', got {unit!r}")


def distinct_ngram_ratio(text: str, n: int, unit: Literal["word", "char"] = "word") -> float:
    """Distinct n-grams divided by all n-grams ("distinct-n"); 1.0 = nothing repeats, near 0 = a loop.

    The ratio falls as texts get longer (more chances to repeat), so compare samples of equal length only.
    Returns NaN when the text has no n-gram at all.
    """
    grams = ngrams(text, n, unit)
    return len(set(grams)) / len(grams) if grams else math.nan


def _entropy_bits(counts: Iterable[int]) -> float:
    c = [x for x in counts if x > 0]
    total = sum(c)
    return -sum(x / total * math.log2(x / total) for x in c) if total else math.nan


def char_entropy_bits(text: str, order: int = 0) -> float:
    """Empirical entropy of the next character in bits, given the `order` characters before it.

    order=0 is the unigram entropy H(X) of the character frequencies (how spread out the alphabet use is).
    order=k>0 is the conditional entropy H(X_t | X_{t-k..t-1}) = H(k+1-grams) - H(k-grams), both counted over
    the same positions. These are plug-in estimates: on short texts they are biased low (a 2,000-character
    sample cannot show more than log2(2000) ~ 11 bits, and high orders see each context about once), so use
    them to compare samples of equal length, not as absolute truths. NaN if the text is too short.
    """
    if order < 0:
        raise CharlabError(f"order must be >= 0, got {order}")
    if len(text) <= order:
        return math.nan
    joint = Counter(text[i : i + order + 1] for i in range(len(text) - order))
    if order == 0:
        return _entropy_bits(joint.values())
    context = Counter(text[i : i + order] for i in range(len(text) - order))
    return _entropy_bits(joint.values()) - _entropy_bits(context.values())


def unknown_word_share(sample: str, reference_words: set[str], case_insensitive: bool = True) -> float:
    """Share of the sample's words (tokens, by `words`) that never occur in `reference_words`: the "mistakes".

    Build `reference_words` with `word_set(training_text)`. With `case_insensitive`, "Startup" and "startup"
    are the same word (the reference set is lower-cased here too, so a case-sensitive set also works). A
    made-up word that happens to be real counts as correct, and a real word the corpus never used counts as a
    mistake: this measures "words the model could have copied", not English. NaN when the sample has no words.
    """
    ws = words(sample)
    if not ws:
        return math.nan
    if case_insensitive:
        ref = {w.lower() for w in reference_words}
        ws = [w.lower() for w in ws]
    else:
        ref = reference_words
    return sum(w not in ref for w in ws) / len(ws)


def codepoints(text: str) -> np.ndarray:
    """The text as an array of Unicode code points (uint32), one per character."""
    return np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)


def nan_mean(values: Iterable[float]) -> float:
    """Mean of the values that are not NaN; NaN when none is (a measure undefined on every sample)."""
    finite = [v for v in values if not math.isnan(v)]
    return sum(finite) / len(finite) if finite else math.nan


def nan_percentile(values: Iterable[float], q: float) -> float:
    """The `q`-th percentile (0-100, linear interpolation as numpy's default) of the values that are not NaN;
    NaN when none is."""
    finite = sorted(v for v in values if not math.isnan(v))
    if not finite:
        return math.nan
    pos = (len(finite) - 1) * q / 100
    lo, hi = math.floor(pos), math.ceil(pos)
    return finite[lo] + (finite[hi] - finite[lo]) * (pos - lo)


def random_windows(text: str, num: int, length: int, seed: int = 0, line_start: bool = False) -> list[str]:
    """`num` windows of `length` characters of `text` at seeded random places (with replacement).

    The same amount of real text as a set of samples, so a measure computed on both differs only by what the
    model got wrong, not by sample size. With `line_start` every window starts at the start of a line (as a
    sample primed with a newline does).
    """
    if length < 1 or num < 1:
        raise CharlabError(f"num and length must be positive (got {num}, {length})")
    if length > len(text):
        raise CharlabError(f"the text has {len(text):,} characters, fewer than one window of {length:,}")
    rng = random.Random(seed)
    if not line_start:
        return [text[s : s + length] for s in (rng.randrange(len(text) - length + 1) for _ in range(num))]
    starts = [0] + [m.end() for m in re.finditer("\n", text) if m.end() + length <= len(text)]
    return [text[s : s + length] for s in (rng.choice(starts) for _ in range(num))]
