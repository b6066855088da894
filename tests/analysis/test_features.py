"""Hypothesis features from the text alone, and the scores (AUC, correlation) that match cells to them."""

import math

import numpy as np
import pytest

from charlab.analysis import features as ft
from charlab.errors import CharlabError


def bits(a: np.ndarray) -> str:
    return "".join(str(int(v)) for v in a)


def test_quotes_toggle_and_reset_at_a_blank_line():
    text = 'a "bc" d "e\n\n"f"'
    assert bits(ft.in_quotes(text)) == "0011100001110110"  # the first newline is still inside, the second resets


def test_brackets_depth_links_and_the_ramp():
    text = "a [[b [[c]] d]] (x(y))"
    assert bits(ft.depth(text, "[[", "]]")) == "0001111222111100000000"
    assert bits(ft.in_link(text)) == "0001111111111100000000"
    ramp = ft.since_link_open(text)
    assert np.isnan(ramp[2]) and ramp[3] == 0 and ramp[5] == 2  # the second [ is 0
    assert ramp[7] == 0 and ramp[9] == 2  # inner link: counted from its own [[
    assert ramp[11] == 8  # back in the outer link after ]]
    assert np.isnan(ramp[10]) and np.isnan(ramp[14]) and np.isnan(ramp[-1])
    assert bits(ft.FEATURES["inside ( )"].compute(text)) == "0000000000000000111110"
    assert bits(ft.depth(")(", "(", ")")) == "01"  # never below zero


def test_c_lexer_comments_strings_and_code_brackets():
    text = 'a(/* ( */"x\\"(" \'(\' b) // {\nc{'
    comment, string = ft.in_c_comment(text), ft.in_c_string(text)
    assert bits(comment) == "000111110000000000000000111000"  # from /*'s * to */'s *; from //'s second /
    assert bits(string) == "000000000111110000000000000000"  # the escaped quote stays inside; '(' is no string
    paren = ft.FEATURES["inside ( ) (C)"].compute(text)
    assert bits(paren) == "011111111111111111111000000000"  # only the code's ( and ) count
    braces = ft.FEATURES["{ } depth (C)"].compute(text)
    assert braces[-2] == 0 and braces[-1] == 1  # the { in the // comment does not count


def test_urls_www_lines_and_indentation():
    text = "see http://www.a.org/x]] and\n\t\t  foo"
    url = ft.in_url(text)
    assert bits(url) == "0000" + "1" * 18 + "0" * 14  # from http to the x before ]]
    www = ft.since_www(text)
    assert text[11:14] == "www" and www[11] == 0 and www[20] == 9 and np.isnan(www[21]) and np.isnan(www[10])
    pos = ft.line_position(text)
    assert pos[0] == 1 and pos[28] == 0 and pos[29] == 1 and pos[-1] == 7
    ind = ft.indentation(text)
    assert ind[27] == 0 and ind[29] == 1 and ind[30] == 2 and ind[32] == pytest.approx(2.25) and ind[-1] == 2.25


def test_events_are_the_characters_before_an_unusual_step():
    quotes = ft.in_quotes('ab"cd"e')
    assert ft.events(quotes).tolist() == [False, True, False, False, True, False]  # before each quote mark
    pos = ft.line_position("ab\ncd\ne")
    assert ft.events(pos).tolist() == [False, True, False, False, True, False]  # before each newline...
    assert pos[3] == 1  # ...and the step after a newline (0 -> 1) is the usual +1
    ramp = ft.since_link_open("x[[ab]]y")
    assert ft.events(ramp).tolist() == [False, True, False, False, False, True, False]  # before [['s 2nd [, ]]'s 2nd ]


def test_auc_against_hand_computed_answers():
    # The classic example: positives 0.35, 0.8 against negatives 0.1, 0.4: 3 of 4 pairs ordered.
    assert ft.auc(np.array([0.1, 0.4, 0.35, 0.8]), np.array([0, 0, 1, 1])) == pytest.approx(0.75)
    # A tie counts half: positives 1, 2 against negative 1 -> (0.5 + 1) / 2.
    assert ft.auc(np.array([1.0, 1.0, 2.0]), np.array([0, 1, 1])) == pytest.approx(0.75)
    x = np.array([[0.0, 3.0], [1.0, 2.0], [2.0, 1.0], [3.0, 0.0]])
    np.testing.assert_allclose(ft.auc(x, np.array([0, 0, 1, 1])), [1.0, 0.0])
    np.testing.assert_allclose(ft.score(x, np.array([0, 0, 1, 1.0]), binary=True), [1.0, 1.0])
    assert math.isnan(ft.auc(np.arange(3.0), np.zeros(3)))


def test_correlation_uses_only_defined_characters():
    y = np.array([1.0, 2.0, np.nan, 3.0, np.nan])
    x = np.array([[2.0, 5.0, 1.0], [4.0, 5.0, 7.0], [100.0, 5.0, 0.0], [6.0, 5.0, 1.0], [-9.0, 5.0, 3.0]])
    r = ft.correlation(x, y)
    assert r[0] == pytest.approx(1.0) and r[1] == 0.0  # a constant cell codes nothing
    # by hand: x = 1, 7, 1 against y = 1, 2, 3: deviations (-2, 4, -2) and (-1, 0, 1): sum 0 -> r = 0
    assert r[2] == pytest.approx(0.0)
    assert ft.correlation(np.array([1.0, 2.0, 0.0]), np.array([3.0, 2.0, 1.0])) == pytest.approx(0.5)
    assert math.isnan(ft.correlation(np.ones(4), np.array([1.0, 1.0, 1.0, 1.0])))


def test_a_planted_feature_is_found_and_random_cells_stay_below_the_bar():
    rng = np.random.default_rng(0)
    text = "".join(rng.choice(list('ab "'), size=3000, p=[0.45, 0.45, 0.05, 0.05]))
    feats = ft.compute(text, ["inside quotes", "inside [[ ]]"])
    control = rng.normal(size=(3000, 50))
    trained = rng.normal(size=(3000, 50))
    trained[:, 17] = feats["inside quotes"] * 0.8 + rng.normal(scale=0.3, size=3000)  # the planted cell
    bars = ft.thresholds(ft.score_all(control, feats))
    assert 0.5 < bars["inside quotes"] < 0.6  # the best of 50 noise cells is not far above chance
    scores = ft.score_all(trained, feats)
    best = ft.best_cells(scores)
    assert best["inside quotes"][0] == 17 and best["inside quotes"][1] > 0.9
    found = ft.interpretable(scores, bars)
    assert found[17] and found.sum() <= 3  # noise cells cross the bar only by chance (it is the control's max)
    assert set(best) == {"inside quotes"}  # no [[ in the text: that feature is constant, not scored


def test_unknown_feature_is_one_clear_error():
    with pytest.raises(CharlabError, match="unknown feature"):
        ft.compute("abc", ["inside quotes", "inside brackets"])


def test_thresholds_and_interpretable_cells():
    control = {"a": np.array([0.1, 0.5, 0.9]), "b": np.array([np.nan, np.nan, np.nan])}
    assert ft.thresholds(control) == {"a": 0.9, "b": pytest.approx(math.nan, nan_ok=True)}
    assert ft.thresholds(control, quantile=0.5)["a"] == pytest.approx(0.5)
    scores = {"a": np.array([0.95, 0.9, np.nan, 0.2]), "b": np.array([1.0, 1.0, 1.0, 1.0])}
    # strictly above the bar; a feature without a bar (NaN) makes nobody interpretable
    assert ft.interpretable(scores, {"a": 0.9, "b": math.nan}).tolist() == [True, False, False, False]
