"""Measures of a War and Peace sample, to test the post's story of how samples evolve during training.

The post reads its samples at iterations 100...2000 and says: the model first learns that words are separated
by spaces (though it sometimes inserts two, and does not know a comma is almost always followed by a
space), then quotes and full stops, then short common words, then longer words, quotes and ?/! marks. Each
measure below turns one of those sentences into a number, so a chapter can plot them against iteration and see
whether the order of events holds. Apply the same function to a slice of the real novel to get the value to
aim for.
"""

from __future__ import annotations

import math
import random
import re
from collections import Counter

from charlab.analysis.textstats import words
from charlab.errors import CharlabError

# Name -> (short label for plots, what it measures). Chapters can use these for axis labels and tables.
MEASURES: dict[str, tuple[str, str]] = {
    "real_word_share": ("real words", "share of word tokens that occur in the novel (case-insensitive)"),
    "mean_real_word_length": ("real word length", "mean length in letters of the word tokens that are real"),
    "double_space_rate": ("double spaces", "share of runs of spaces (gaps between words) longer than one"),
    "comma_space_share": ("comma + space", "share of commas followed by a space or a line break"),
    "quote_rate": ("quotes / 1000 chars", 'double-quote characters (") per 1,000 characters'),
    "sentence_end_rate": ("sentence ends / word",
                          "sentence-ending marks (. ! ?) after a letter and before a capital (or the end), per word"),
    "question_exclamation_rate": ("?! / 1000 chars", "question and exclamation marks per 1,000 characters"),
}

_SPACE_RUN = re.compile(r" +")
# A sentence end: one or more of . ! ? (so "..." and "?!" count once) right after a letter or closing quote /
# bracket, then (after any closing quotes or brackets) either the end of the text or whitespace and the
# capital letter that starts the next sentence (an opening quote or bracket may come first). A full stop inside
# jumbled text ("ao. lin") is not a sentence end. "Mr. Smith" counts: we measure the form, not grammar.
_SENTENCE_END = re.compile(r"(?<=[^\W\d_]|[\"')])[.!?]+(?=[\"')]*(?:\s+[\"'(]*[A-Z]|\s*\Z))")


def evolution_measures(sample: str, reference_words: set[str]) -> dict[str, float]:
    """Compute every measure in `MEASURES` for one sample (see there for the definitions).

    `reference_words` is the novel's vocabulary, `word_set(novel)` (lower-cased; it is lower-cased here again
    so a case-sensitive set works too, at a small cost). Words are tokens of `textstats.words`. A measure
    whose denominator is zero (no words, no commas, no spaces) is NaN, so it shows as a gap in a plot instead
    of a misleading 0. Rates per 1,000 characters use the sample's full length, newlines included.

    Caveat: single letters ("a", "I", and stray ones like "e" or "t" that the novel also contains) count as
    real words, so even random jumbles have a real-word share well above zero; `mean_real_word_length` is the
    measure that separates "short words first" from "long words later".
    """
    ref = {w.lower() for w in reference_words}
    ws = words(sample)
    real = [w for w in ws if w.lower() in ref]
    gaps = [len(m.group()) for m in _SPACE_RUN.finditer(sample)]
    commas = [i for i, c in enumerate(sample) if c == "," and i + 1 < len(sample)]
    spaced = sum(sample[i + 1] in " \n" for i in commas)
    per_kchar = 1000 / len(sample) if sample else math.nan
    return {
        "real_word_share": len(real) / len(ws) if ws else math.nan,
        "mean_real_word_length": sum(map(len, real)) / len(real) if real else math.nan,
        "double_space_rate": sum(g > 1 for g in gaps) / len(gaps) if gaps else math.nan,
        "comma_space_share": spaced / len(commas) if commas else math.nan,
        "quote_rate": sample.count('"') * per_kchar,
        "sentence_end_rate": len(_SENTENCE_END.findall(sample)) / len(ws) if ws else math.nan,
        "question_exclamation_rate": (sample.count("?") + sample.count("!")) * per_kchar,
    }


def jumble(text: str, length: int, seed: int = 0, by_frequency: bool = True) -> str:
    """`length` characters drawn independently from the characters of `text`: by their frequency in it
    (`by_frequency`) or uniformly from its alphabet. What an untrained model writes, near enough: the chance level
    of every measure above."""
    if not text or length < 0:
        raise CharlabError(f"a jumble needs a non-empty text and a length >= 0 (got {len(text)} characters, {length})")
    rng = random.Random(seed)
    if by_frequency:
        counts = Counter(text)
        return "".join(rng.choices(list(counts), weights=list(counts.values()), k=length))
    alphabet = sorted(set(text))
    return "".join(rng.choice(alphabet) for _ in range(length))
