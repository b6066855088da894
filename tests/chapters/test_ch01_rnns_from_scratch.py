import pytest

from charlab.chapters.ch01_rnns_from_scratch import dhnext_verdict, hello_update_verdict, sizes
from charlab.errors import CharlabError


def test_hello_update_verdict_rule():
    assert hello_update_verdict(200, 600, 50)[0] == "holds"
    verdict, value, measured = hello_update_verdict(180, 450, 50)
    assert verdict == "holds partly" and value == "90% of correct scores up, 75% of others down"
    assert "180 of 200" in measured and "450 of 600" in measured
    assert hello_update_verdict(80, 600, 50)[0] == "contradicted"


def test_dhnext_sentence_names_the_winner():
    assert dhnext_verdict(2.0, 2.1, 30_000).startswith("After 30,000 iterations the correct gradient is ahead")
    assert "still ahead" in dhnext_verdict(2.1, 2.0, 30_000)
    assert "level" in dhnext_verdict(2.0, 2.001, 30_000)


def test_sizes_per_scale():
    assert sizes("cpu")["iters"] == 30_000 and sizes("gpu") == sizes("blog")
    with pytest.raises(CharlabError):
        sizes("tiny")
