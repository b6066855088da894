import math

import numpy as np
import pytest

from charlab.analysis.plays import (
    compare_lengths,
    line_lengths,
    longest_speech,
    pick_speaker,
    play_layout,
    real_speaker_share,
    speaker_names,
    speaker_prime,
    speeches,
)
from charlab.errors import CharlabError

TINY = """First Citizen:
Before we proceed any further, hear me speak.

All:
Speak, speak.

KING RICHARD III:
Say no more:
Ghost of King Henry VI:
this line follows a verse line, so it is not a tag.

Ghost of LADY ANNE:
Sleep, Richmond.
"""

GUTENBERG = """ACT I. Scene I.

  Ber. Who's there.?
  Fran. Nay, answer me. Stand and unfold yourself.
  Ham. Speak. I am bound to hear.
    And I am sick at heart.
  KING HENRY. Once more unto the breach,
  MRS. OVERDONE. Well, well!
  Lady P. O, my good lord.
      Enter Horatio and Marcellus.
   GHOST. three spaces is not a tag.
"""


def test_colon_style_tags_need_a_blank_line_before():
    assert speaker_names(TINY) == ["First Citizen", "All", "KING RICHARD III", "Ghost of LADY ANNE"]


def test_gutenberg_style_tags():
    assert speaker_names(GUTENBERG) == ["Ber", "Fran", "Ham", "KING HENRY", "MRS. OVERDONE", "Lady P"]
    assert speaker_names(GUTENBERG, style="colon") == []
    with pytest.raises(CharlabError):
        speaker_names(TINY, style="xml")  # type: ignore[arg-type]


def test_real_speaker_share():
    ref = set(speaker_names(TINY))
    sample = "ALL:\nYes.\n\nKING RICHARD III:\nNo.\n\nDUKE OF NOWHERE:\nHm.\n\nFirst Citizen:\nAy.\n"
    assert real_speaker_share(sample, ref) == pytest.approx(3 / 4)  # "ALL" matches "All" case-insensitively
    assert real_speaker_share(sample, ref, case_insensitive=False) == pytest.approx(2 / 4)
    assert math.isnan(real_speaker_share("no tags here", ref))


def test_line_lengths_skip_blank_and_clipped_last_line():
    text = "abc\n\nde\nclipped"
    assert line_lengths(text).tolist() == [3, 2]
    assert line_lengths(text, skip_blank=False).tolist() == [3, 0, 2]
    assert line_lengths(text, complete_only=False).tolist() == [3, 2, 7]
    assert line_lengths("").tolist() == []


def test_compare_lengths_identical_and_disjoint():
    a = np.array([10, 20, 30, 40])
    same = compare_lengths(a, a.copy())
    assert same.tv == 0.0 and same.ks == 0.0 and same.mean_sample == same.mean_reference == 25.0
    far = compare_lengths(np.array([1, 2, 3]), np.array([50, 60]))
    assert far.tv == pytest.approx(1.0) and far.ks == pytest.approx(1.0)
    half = compare_lengths(np.array([5, 5, 9, 9]), np.array([5, 5, 5, 5]))
    assert half.tv == pytest.approx(0.5) and half.ks == pytest.approx(0.5)
    assert half.p.sum() == pytest.approx(1.0) and half.q.sum() == pytest.approx(1.0)
    binned = compare_lengths(np.array([5, 9]), np.array([5, 6]), bin_width=10)
    assert binned.tv == 0.0 and binned.ks == pytest.approx(0.5)
    with pytest.raises(CharlabError):
        compare_lengths(np.array([]), a)


# -- layouts, primes and whole speeches -------------------------------------------------------------------

PLAY_COLON = """First Citizen:
Before we proceed any further, hear me speak.

All:
Speak, speak.

KING RICHARD III:
Say no more:
So shall I be, and lose my crown.
And more beside.

DUKE VINCENTIO:
Well, your wit is in the care of side and that.

VIOLA:
I'll drink it.
And the rest is cut"""

PLAY_GUTENBERG = """ACT I. SCENE I.

  BER. Who's there?
  FRAN. Nay, answer me. Stand and unfold yourself.
  HAMLET. To be, or not to be, that is the question;
    Whether 'tis nobler in the mind to suffer
    The slings and arrows of outrageous fortune.
                                                  Exit
  Ham. Speak. I am bound to hear.

  KING. Once more unto the breach,
    dear friends"""


def test_layout_of_each_style():
    assert play_layout(PLAY_COLON) == "colon"
    assert play_layout(PLAY_GUTENBERG) == "gutenberg"


def test_prime_opens_a_speech_the_tagger_recognises():
    for layout, name in (("colon", "DUKE VINCENTIO"), ("gutenberg", "PANDARUS")):
        prime = speaker_prime(name, layout)
        assert speaker_names(prime + "Well.\n", layout) == [name]
    with pytest.raises(CharlabError):
        speaker_prime("X", "xml")  # type: ignore[arg-type]


def test_pick_speaker_prefers_candidates_in_order_and_keeps_the_text_spelling():
    assert pick_speaker(["PANDARUS", "duke vincentio", "VIOLA"], PLAY_COLON, "colon") == "DUKE VINCENTIO"
    assert pick_speaker(["NOBODY"], PLAY_GUTENBERG, "gutenberg") in {"BER", "FRAN", "HAMLET", "Ham", "KING"}
    with pytest.raises(CharlabError):
        pick_speaker(["A"], "no tags at all", "colon")


def test_colon_speeches_lines_and_completeness():
    got = speeches(PLAY_COLON, "colon")
    assert [s.speaker for s in got] == ["First Citizen", "All", "KING RICHARD III", "DUKE VINCENTIO", "VIOLA"]
    assert got[2].lines == ("Say no more:", "So shall I be, and lose my crown.", "And more beside.")
    assert [s.complete for s in got] == [True, True, True, True, False]
    assert got[4].lines == ("I'll drink it.",)  # the clipped last line is not counted
    assert PLAY_COLON[got[1].start : got[1].end] == "All:\nSpeak, speak.\n"


def test_gutenberg_speeches_take_four_space_continuations():
    got = speeches(PLAY_GUTENBERG, "gutenberg")
    assert [s.speaker for s in got] == ["BER", "FRAN", "HAMLET", "Ham", "KING"]
    assert got[2].num_lines == 4  # tag line, two verse lines, the stage direction
    assert got[2].lines[1] == "    Whether 'tis nobler in the mind to suffer"
    assert [s.complete for s in got] == [True, True, True, True, False]
    # a speech whose last line ends the text cannot be known complete; one followed by a new tag can
    assert not speeches("  KING. Once more.\n", "gutenberg")[0].complete
    assert not speeches("  KING. Once more.\n  ", "gutenberg")[0].complete
    assert speeches("  KING. Once more.\n  YORK", "gutenberg")[0].complete


def test_longest_complete_speech_across_texts():
    i, s = longest_speech(["  A. one\n  B. two\n", PLAY_GUTENBERG], "gutenberg")
    assert (i, s.speaker, s.num_lines) == (1, "HAMLET", 4)
    assert longest_speech(["VIOLA:\nI'll drink it.\nand more"], "colon") is None  # only an incomplete one
