import math

import numpy as np
import pytest

from charlab.analysis.plays import compare_lengths, line_lengths, real_speaker_share, speaker_names

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
    with pytest.raises(ValueError):
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
    with pytest.raises(ValueError):
        compare_lengths(np.array([]), a)
