import math

import pytest

from charlab.analysis.names import (
    is_novel,
    name_alphabet,
    name_set,
    novelty_rate,
    split_names,
    well_formed,
    well_formed_rate,
)

TRAINING = ["Aaron", "Jean-Luc", "Jo Ann", "E'Lane", "Gale ", "Zoe", ""]


def test_novelty_of_training_names_is_zero_and_of_new_names_one():
    assert novelty_rate(TRAINING, TRAINING) == 0.0
    assert novelty_rate(["AARON", " zoe", "jean-luc"], TRAINING) == 0.0  # case-insensitive, trimmed
    assert novelty_rate(["Killie", "Saddie"], TRAINING) == 1.0
    assert novelty_rate(["Aaron", "Killie", "", "Mars"], TRAINING) == pytest.approx(2 / 3)  # empty left out
    assert math.isnan(novelty_rate(["", "  "], TRAINING))
    assert is_novel("Mars", name_set(TRAINING)) and not is_novel("gale", name_set(TRAINING))


def test_alphabet_is_derived_from_the_corpus():
    alphabet = name_alphabet(TRAINING)
    assert alphabet.punctuation == {"-", " ", "'"}
    assert "Z" in alphabet.letters and "q" not in alphabet.letters


def test_well_formed():
    alphabet = name_alphabet(TRAINING + ["abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ"])
    assert well_formed("Killie", alphabet)
    assert well_formed("Jo-Ann", alphabet) and well_formed("D'Arcy ", alphabet)
    assert not well_formed("", alphabet)
    assert not well_formed("killie", alphabet)  # not capitalised
    assert not well_formed("-Ann", alphabet)
    assert not well_formed("Ann.", alphabet)  # "." never occurs in the training names
    assert not well_formed("Ann3", alphabet)
    assert well_formed_rate(["Killie", "", "x", "Mars"], alphabet) == pytest.approx(0.5)
    assert math.isnan(well_formed_rate([], alphabet))


def test_split_names_keeps_empty_lines_and_drops_clipped_tail():
    assert split_names("Anna\n\n Bob \nCarl") == ["Anna", "", "Bob"]
