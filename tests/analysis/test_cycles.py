from hypothesis import given, settings
from hypothesis import strategies as st

from charlab.analysis.cycles import find_cycle

UNIT = "is that they were all the same thing that was a startup "


def test_post_infinite_loop_is_found_with_its_period_and_start():
    prefix = "1234567890"  # characters that never occur in the loop, so the loop cannot start earlier
    text = prefix + UNIT * 5 + UNIT[:30]
    c = find_cycle(text)
    assert c is not None
    assert c.period == len(UNIT)
    assert c.start == len(prefix)
    assert c.unit == UNIT
    assert c.reaches_end and c.end == len(text)
    assert c.full_repeats == 5
    assert abs(c.repeats - (5 + 30 / len(UNIT))) < 1e-9


def test_multiple_of_period_is_reduced_to_the_primitive_unit():
    c = find_cycle("xyz" + "abcd" * 20, min_period=2)
    assert c is not None and c.period == 4 and c.unit == "abcd" and c.start == 3


def test_loop_that_stops_before_the_end():
    text = "0123" + "hello world " * 6 + "and then something else entirely different."
    c = find_cycle(text)
    assert c is not None and c.period == 12 and not c.reaches_end
    assert text[c.start : c.end].startswith("hello world ")


def test_short_period_runs_and_natural_text_are_not_loops():
    assert find_cycle("a" + " " * 200 + "b") is None  # primitive period 1 < min_period
    assert find_cycle("The quick brown fox jumps over the lazy dog. " * 1) is None
    assert find_cycle("") is None
    assert find_cycle("no, no, no, no, and then more", min_length=40) is None
    assert find_cycle("no, no, no, no, and then more") is not None


def test_too_few_repeats_is_not_a_loop():
    assert find_cycle("#" + UNIT * 2 + "!", min_repeats=3) is None
    assert find_cycle("#" + UNIT * 3 + "!", min_repeats=3) is not None


def test_a_2000_character_sample_has_a_loop_only_once_one_is_appended():
    # Speed is measured against a plain-Python search in benchmarks/analysis_speed.py, not here.
    import random

    rng = random.Random(0)
    text = "".join(rng.choice("abcdefghij klmnop") for _ in range(2000))
    assert find_cycle(text) is None  # random characters: no stretch repeats three times
    looped = text[:999] + "#" + (UNIT * 20)[:1000]  # "#" is not in the unit: the loop starts right after it
    c = find_cycle(looped)
    assert c is not None and (c.period, c.start, c.unit, c.reaches_end) == (len(UNIT), 1000, UNIT, True)


@settings(max_examples=60, deadline=None)
@given(unit=st.text(alphabet="abcde ", min_size=4, max_size=30), repeats=st.integers(3, 8),
       prefix=st.text(alphabet="0123456789", max_size=20), tail=st.integers(0, 29))
def test_repeated_unit_yields_its_primitive_period(unit, repeats, prefix, tail):
    primitive = (unit + unit).find(unit, 1)
    text = prefix + unit * repeats + unit[: tail % len(unit)]
    c = find_cycle(text, min_period=1)
    assert c is not None
    assert c.period == primitive
    assert c.start == len(prefix)
    assert c.reaches_end
