import pytest

from charlab.analysis.plays import speaker_names
from charlab.errors import CharlabError
from charlab.playformat import (
    longest_speech,
    pick_speaker,
    play_layout,
    real_excerpts,
    speaker_prime,
    speeches,
)

COLON = """First Citizen:
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

GUTENBERG = """ACT I. SCENE I.

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
    assert play_layout(COLON) == "colon"
    assert play_layout(GUTENBERG) == "gutenberg"


def test_prime_opens_a_speech_the_tagger_recognises():
    for layout, name in (("colon", "DUKE VINCENTIO"), ("gutenberg", "PANDARUS")):
        prime = speaker_prime(name, layout)
        assert speaker_names(prime + "Well.\n", layout) == [name]
    with pytest.raises(CharlabError):
        speaker_prime("X", "xml")  # type: ignore[arg-type]


def test_pick_speaker_prefers_candidates_in_order_and_keeps_the_text_spelling():
    assert pick_speaker(["PANDARUS", "duke vincentio", "VIOLA"], COLON, "colon") == "DUKE VINCENTIO"
    assert pick_speaker(["NOBODY"], GUTENBERG, "gutenberg") in {"BER", "FRAN", "HAMLET", "Ham", "KING"}
    with pytest.raises(CharlabError):
        pick_speaker(["A"], "no tags at all", "colon")


def test_colon_speeches_lines_and_completeness():
    got = speeches(COLON, "colon")
    assert [s.speaker for s in got] == ["First Citizen", "All", "KING RICHARD III", "DUKE VINCENTIO", "VIOLA"]
    assert got[2].lines == ("Say no more:", "So shall I be, and lose my crown.", "And more beside.")
    assert [s.complete for s in got] == [True, True, True, True, False]
    assert got[4].lines == ("I'll drink it.",)  # the clipped last line is not counted
    assert COLON[got[1].start : got[1].end] == "All:\nSpeak, speak.\n"


def test_gutenberg_speeches_take_four_space_continuations():
    got = speeches(GUTENBERG, "gutenberg")
    assert [s.speaker for s in got] == ["BER", "FRAN", "HAMLET", "Ham", "KING"]
    assert got[2].num_lines == 4  # tag line, two verse lines, the stage direction
    assert got[2].lines[1] == "    Whether 'tis nobler in the mind to suffer"
    assert [s.complete for s in got] == [True, True, True, True, False]
    # a speech whose last line ends the text cannot be known complete; one followed by a new tag can
    assert not speeches("  KING. Once more.\n", "gutenberg")[0].complete
    assert not speeches("  KING. Once more.\n  ", "gutenberg")[0].complete
    assert speeches("  KING. Once more.\n  YORK", "gutenberg")[0].complete


def test_longest_complete_speech_across_texts():
    i, s = longest_speech(["  A. one\n  B. two\n", GUTENBERG], "gutenberg")
    assert (i, s.speaker, s.num_lines) == (1, "HAMLET", 4)
    assert longest_speech(["VIOLA:\nI'll drink it.\nand more"], "colon") is None  # only an incomplete one


def test_real_excerpts_start_at_lines_and_are_reproducible():
    text = "".join(f"line number {i}\n" for i in range(200))
    a = real_excerpts(text, 5, 40, seed=3)
    assert a == real_excerpts(text, 5, 40, seed=3) and a != real_excerpts(text, 5, 40, seed=4)
    assert all(len(x) == 40 and x.startswith("line number ") for x in a)
    with pytest.raises(CharlabError):
        real_excerpts("short", 1, 40)
