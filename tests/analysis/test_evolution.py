import math

import pytest

from charlab.analysis.evolution import MEASURES, evolution_measures, jumble
from charlab.analysis.textstats import word_set
from charlab.errors import CharlabError

NOVEL = 'Well, Prince, so Genoa and Lucca are now just family estates. "Heavens!" replied the prince. Why?'


def test_every_documented_measure_is_returned():
    m = evolution_measures("the prince", word_set(NOVEL))
    assert set(m) == set(MEASURES)


def test_known_values_on_a_hand_made_sample():
    ref = word_set(NOVEL)
    sample = 'the  princx, said "Well,prince." Why? and  Genoa!'
    m = evolution_measures(sample, ref)
    # words: the princx said Well prince Why and Genoa -> real: the Well prince Why and Genoa
    assert m["real_word_share"] == pytest.approx(6 / 8)
    assert m["mean_real_word_length"] == pytest.approx((3 + 4 + 6 + 3 + 3 + 5) / 6)
    # space runs: "  ", " ", " ", " ", " ", "  " -> 2 of 6 are double
    assert m["double_space_rate"] == pytest.approx(2 / 6)
    # commas: ", " and ",p" -> one of two followed by a space
    assert m["comma_space_share"] == pytest.approx(1 / 2)
    assert m["quote_rate"] == pytest.approx(2 * 1000 / len(sample))
    # sentence ends: 'prince."' (then " Why") and 'Genoa!' (the end) -> 2 per 8 words; 'Why?' is followed by
    # a lower-case "and", so it does not start a new sentence
    assert m["sentence_end_rate"] == pytest.approx(2 / 8)
    jumble = evolution_measures("ao. lin tha. whe! Sow ere.", ref)  # only "whe! Sow" and the final "ere."
    assert jumble["sentence_end_rate"] == pytest.approx(2 / 6)
    assert m["question_exclamation_rate"] == pytest.approx(2 * 1000 / len(sample))


def test_the_real_text_scores_as_real_and_a_jumble_does_not():
    ref = word_set(NOVEL)
    real = evolution_measures(NOVEL, ref)
    assert real["real_word_share"] == 1.0 and real["double_space_rate"] == 0.0
    assert real["comma_space_share"] == 1.0
    jumble = evolution_measures("tyntd-iafhat  lytdws  e ,tfti, astai", ref)
    assert jumble["real_word_share"] < 0.5 and jumble["double_space_rate"] > 0
    assert jumble["comma_space_share"] == 0.5


def test_empty_denominators_are_nan_not_zero():
    m = evolution_measures("...", {"a"})
    for key in ("real_word_share", "mean_real_word_length", "double_space_rate", "comma_space_share",
                "sentence_end_rate"):
        assert math.isnan(m[key]), key
    assert m["quote_rate"] == 0.0
    assert math.isnan(evolution_measures("", {"a"})["quote_rate"])


def test_jumble_draws_the_texts_characters_by_frequency_or_uniformly():
    text = "aaaaaaaaab"
    by_freq = jumble(text, 2000, seed=1)
    assert len(by_freq) == 2000 and set(by_freq) <= {"a", "b"}
    assert 0.85 < by_freq.count("a") / 2000 < 0.95  # 9 in 10 characters of the text are "a"
    uniform = jumble(text, 2000, seed=1, by_frequency=False)
    assert 0.45 < uniform.count("a") / 2000 < 0.55  # two characters, equally likely
    assert jumble(text, 50, seed=3) == jumble(text, 50, seed=3) and jumble(text, 0) == ""
    with pytest.raises(CharlabError):
        jumble("", 5)
