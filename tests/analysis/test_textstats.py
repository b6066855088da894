import math

import pytest

from charlab.analysis.textstats import (
    char_entropy_bits,
    distinct_ngram_ratio,
    nan_mean,
    nan_percentile,
    ngrams,
    random_windows,
    unknown_word_share,
    word_set,
    words,
)
from charlab.errors import CharlabError


def test_words_keeps_inner_apostrophes_and_unicode_letters():
    assert words("Don't stop, Velzonski's café!") == ["Don't", "stop", "Velzonski's", "café"]
    assert words("'faithful slave,' 1805--father-in-law") == ["faithful", "slave", "father", "in", "law"]
    assert words("x_1 42 ...") == ["x"]


def test_word_set_case():
    assert word_set("The the THE cat") == {"the", "cat"}
    assert word_set("The the", case_insensitive=False) == {"The", "the"}


def test_distinct_ngram_ratio_known_values():
    assert distinct_ngram_ratio("a b c d", 1) == 1.0
    assert distinct_ngram_ratio("a b a b", 1) == 0.5
    assert distinct_ngram_ratio("a b a b", 2) == pytest.approx(2 / 3)  # (a b), (b a), (a b)
    assert distinct_ngram_ratio("abab", 2, unit="char") == pytest.approx(2 / 3)
    assert math.isnan(distinct_ngram_ratio("one", 2))
    with pytest.raises(CharlabError):
        ngrams("abc", 0)
    with pytest.raises(CharlabError):
        ngrams("abc", 1, unit="byte")  # type: ignore[arg-type]


def test_char_entropy_known_values():
    assert char_entropy_bits("aaaa") == 0.0
    assert char_entropy_bits("abab") == pytest.approx(1.0)
    assert char_entropy_bits("abcd" * 10) == pytest.approx(2.0)
    # "abab...": the next character is fully determined by the previous one
    assert char_entropy_bits("ab" * 50, order=1) == pytest.approx(0.0, abs=1e-12)
    # uniform pairs: each of 4 letters follows each letter equally often -> 2 bits even given the last one
    seq = "".join(a + b for a in "abcd" for b in "abcd") * 20
    assert char_entropy_bits(seq, order=0) == pytest.approx(2.0)
    assert 0.5 < char_entropy_bits(seq, order=1) < 2.0
    assert math.isnan(char_entropy_bits("a", order=1))


def test_unknown_word_share():
    ref = word_set("the cat sat on the mat")
    assert unknown_word_share("The cat sat", ref) == 0.0
    assert unknown_word_share("the dog sat on a mat", ref) == pytest.approx(2 / 6)
    assert unknown_word_share("The Cat", {"the", "cat"}, case_insensitive=False) == 1.0
    assert unknown_word_share("the Cat", {"The", "cat"}) == 0.0  # a case-sensitive set is lower-cased too
    assert math.isnan(unknown_word_share("123 ...", ref))


def test_random_windows_at_line_starts_are_reproducible():
    text = "".join(f"line number {i}\n" for i in range(200))
    a = random_windows(text, 5, 40, seed=3, line_start=True)
    assert a == random_windows(text, 5, 40, seed=3, line_start=True)
    assert a != random_windows(text, 5, 40, seed=4, line_start=True)
    assert all(len(x) == 40 and x.startswith("line number ") for x in a)
    with pytest.raises(CharlabError):
        random_windows("short", 1, 40)


def test_nan_aware_statistics_skip_nan_and_match_numpy():
    import numpy as np

    values = [3.0, math.nan, 1.0, 2.0, 10.0]
    assert nan_mean(values) == 4.0
    for q in (0, 10, 50, 90, 100):
        assert nan_percentile(values, q) == pytest.approx(np.nanpercentile(values, q))
    assert math.isnan(nan_mean([math.nan])) and math.isnan(nan_percentile([], 50))
