import os

import pytest
from hypothesis import given
from hypothesis import strategies as st

from charlab.errors import CharlabError
from charlab.text import Vocab, read_text


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
