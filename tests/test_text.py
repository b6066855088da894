import os

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from charlab.errors import CharlabError
from charlab.text import Vocab, iter_text, read_ids, read_text


@settings(deadline=None)  # Hypothesis' default 200 ms per example is a wall-clock bound
@given(st.text(min_size=1))
def test_vocab_round_trips_any_unicode(text):
    vocab = Vocab.from_text(text)
    assert vocab.decode(vocab.encode(text)) == text
    assert list(vocab.chars) == sorted(set(text))


def test_vocab_round_trips_emoji_cjk_and_combining_marks():
    text = "héllo 👩‍🔬 漢字 e\u0301 🇫🇷"
    vocab = Vocab.from_text(text)
    assert vocab.decode(vocab.encode(text)) == text
    assert Vocab.from_dict(vocab.to_dict()) == vocab


def test_vocab_is_deterministic_regardless_of_order():
    assert Vocab.from_text("hello world") == Vocab.from_text("dlrow olleh")


def test_unknown_prime_characters_are_listed():
    vocab = Vocab.from_text("abc")
    with pytest.raises(CharlabError, match=r"2 character\(s\).*'x'.*'z'"):
        vocab.encode("axbz")


def test_read_text_errors(tmp_path):
    with pytest.raises(CharlabError, match="no such file"):
        read_text(tmp_path / "missing.txt")
    with pytest.raises(CharlabError, match="is a directory"):
        read_text(tmp_path)
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    with pytest.raises(CharlabError, match="empty"):
        read_text(empty)


def test_devices_and_pipes_are_refused_before_they_are_opened(tmp_path):
    with pytest.raises(CharlabError, match="not a regular file"):
        read_text("/dev/zero")  # would never end
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(CharlabError, match="not a regular file"):
        read_text(fifo)  # opening a FIFO with no writer would block forever


def test_utf16_gets_its_own_hint(tmp_path):
    path = tmp_path / "utf16.txt"
    path.write_bytes("hello, world\n".encode("utf-16"))
    with pytest.raises(CharlabError, match="UTF-16.*iconv"):
        read_text(path)


def test_invalid_utf8_names_offset_and_ways_out(tmp_path):
    path = tmp_path / "linux.txt"
    path.write_bytes(b"int main() { /* \xa9 2015 */ }")
    with pytest.raises(
        CharlabError, match=r"byte offset 16 \(byte 0xA9\).*--encoding-errors replace.*--byte-level"
    ):
        read_text(path)
    assert "\ufffd" in read_text(path, encoding_errors="replace")
    raw = read_text(path, byte_level=True)
    assert len(raw) == path.stat().st_size
    vocab = Vocab.from_text(raw, byte_level=True)
    assert vocab.render(vocab.decode(vocab.encode(raw))) == path.read_bytes().decode("utf-8", "replace")


def test_reading_in_blocks_gives_the_whole_text_and_the_right_error_offset(tmp_path):
    text = "héllo 👩‍🔬 漢字 e\u0301\n" * 50
    path = tmp_path / "t.txt"
    path.write_text(text, encoding="utf-8")
    for block in (1, 2, 3, 7, 1 << 20):  # multi-byte characters cut by every kind of block boundary
        assert "".join(iter_text(path, block=block)) == text
    assert read_text(path) == text
    bad = tmp_path / "bad.txt"
    bad.write_bytes("é".encode() * 10 + b"\xa9" + b"x" * 10)  # the invalid byte is at offset 20
    for block in (6, 19, 1 << 20):  # 19: the block with the bad byte starts inside the "é" before it
        with pytest.raises(CharlabError, match="byte offset 20 "):
            "".join(iter_text(bad, block=block))
    cut = tmp_path / "cut.txt"
    cut.write_bytes(b"abc" + "é".encode()[:1])  # a character cut off by the end of the file
    with pytest.raises(CharlabError, match="byte offset 3 "):
        read_text(cut)


def test_read_ids_is_compact_and_lists_or_skips_unseen_characters(tmp_path):
    vocab = Vocab.from_text("abc \n")
    path = tmp_path / "t.txt"
    path.write_text("abc xyz\nab§c\n", encoding="utf-8")
    with pytest.raises(CharlabError, match=r"4 character\(s\) not in the model's vocabulary \(4 in all\): "
                                           r"'x', 'y', 'z', '§'; --unseen skip"):
        read_ids(path, vocab)
    ids, unseen = read_ids(path, vocab, unseen="skip")
    assert ids.dtype == np.uint8 and vocab.decode(ids) == "abc \nabc\n"
    assert unseen == {"x": 1, "y": 1, "z": 1, "§": 1}
    big = Vocab(tuple(chr(i) for i in range(300)))
    assert read_ids(path, big, unseen="skip")[0].dtype == np.uint16
