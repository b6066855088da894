import math
import random

import numpy as np
import pytest

import charlab.analysis.copying as copying
from charlab.analysis.copying import SubstringIndex, copied_share, longest_shared_substring
from charlab.errors import CharlabError


def brute_longest(sample: str, reference: str) -> int:
    best = 0
    for i in range(len(sample)):
        while i + best < len(sample) and sample[i : i + best + 1] in reference:
            best += 1
    return best


def brute_copied_share(sample: str, reference: str, min_len: int) -> float:
    covered = [False] * len(sample)
    for j in range(len(sample) - min_len + 1):
        if sample[j : j + min_len] in reference:
            covered[j : j + min_len] = [True] * min_len
    return sum(covered) / len(sample) if sample else math.nan


def test_longest_shared_substring_known_values():
    assert longest_shared_substring("xxhello worldyy", "say hello world!") == len("hello world")
    assert longest_shared_substring("abc", "xyz") == 0
    assert longest_shared_substring("", "xyz") == 0
    assert longest_shared_substring("abc", "") == 0
    reference = "static int foo(void)\n{\n\treturn 0;\n}\n" * 3
    assert longest_shared_substring(reference[5:40], reference) == 35  # all of it: above the anchor length
    assert longest_shared_substring("qq" + reference[:30] + "qq", SubstringIndex(reference, anchor=4)) == 30


def test_copied_share_known_value():
    reference = "the quick brown fox jumps over the lazy dog"
    sample = "quick brown" + "#" * 9  # 11 copied characters out of 20
    assert copied_share(sample, reference, min_len=5) == pytest.approx(11 / 20)
    assert copied_share(sample, reference, min_len=12) == 0.0
    assert copied_share(sample[:4], reference, min_len=5) == 0.0  # shorter than min_len
    assert math.isnan(copied_share("", reference))
    # two copied pieces, each long enough, separated by junk
    assert copied_share("jumps over#lazy dog", reference, min_len=5) == pytest.approx(18 / 19)


@pytest.mark.parametrize("anchor", [1, 3, 8])
def test_matches_brute_force_on_random_strings(anchor):
    rng = random.Random(1234)
    for _ in range(150):
        reference = "".join(rng.choice("ab") for _ in range(rng.randrange(0, 60)))
        sample = "".join(rng.choice("abc") for _ in range(rng.randrange(0, 40)))
        index = SubstringIndex(reference, anchor=anchor)
        assert index.longest(sample) == brute_longest(sample, reference)
        for min_len in (1, 2, 5):
            expected = brute_copied_share(sample, reference, min_len)
            got = index.copied_share(sample, min_len)
            assert (math.isnan(expected) and math.isnan(got)) or got == pytest.approx(expected)


def test_hash_collisions_cannot_give_wrong_answers(monkeypatch):
    # With base 1 the "hash" of a window is the sum of its characters: collisions everywhere ("ab" == "ba").
    monkeypatch.setattr(copying, "_BASE", 1)
    monkeypatch.setattr(copying, "_INVERSE", 1)
    assert SubstringIndex("ba").occurs("ab", 2).tolist() == [False]
    rng = random.Random(7)
    for _ in range(100):
        reference = "".join(rng.choice("abc") for _ in range(rng.randrange(1, 50)))
        sample = "".join(rng.choice("abc") for _ in range(rng.randrange(1, 30)))
        index = SubstringIndex(reference, anchor=rng.choice([1, 2, 4]))
        assert index.longest(sample) == brute_longest(sample, reference)
        assert index.copied_share(sample, 3) == pytest.approx(brute_copied_share(sample, reference, 3))


def test_occurs_per_start_and_errors():
    index = SubstringIndex("abcabd", anchor=2)
    assert index.occurs("xabcx", 3).tolist() == [False, True, False]
    assert index.occurs("ab", 3).tolist() == []
    assert isinstance(index.occurs("ab", 1), np.ndarray)
    with pytest.raises(CharlabError):
        index.occurs("ab", 0)
    with pytest.raises(CharlabError):
        SubstringIndex("abc", anchor=0)


def test_repetitive_samples_are_handled_by_the_anchor_path():
    reference = "x" + " " * 300 + "y" + "\t" * 40
    index = SubstringIndex(reference, anchor=16)
    assert index.longest(" " * 1000) == 300
    assert index.longest("\t" * 100) == 40
    assert index.copied_share(" " * 400, 50) == 1.0
