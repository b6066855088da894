"""Reading training text and mapping characters to integer ids.

The vocabulary is the *sorted* set of characters, so it is identical on every run and machine (the gist's
`list(set(data))` is not, under Python 3's hash randomisation, which silently breaks saved weights). It travels
inside every checkpoint, so a model is never paired with the wrong mapping.
"""

from __future__ import annotations

import codecs
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import CharlabError

ENCODING_ERRORS = ("strict", "replace")
UNSEEN = ("error", "skip")  # what `read_ids` does with characters a vocabulary lacks


BLOCK = 1 << 18  # bytes read at a time


def _check_file(p: Path) -> None:
    """Turn every way a path can be wrong into one clear sentence, before the file is opened."""
    if not p.exists():
        raise CharlabError(f"{p}: no such file")
    if p.is_dir():
        hint = " (did you mean " + str(p / "input.txt") + "?)" if (p / "input.txt").is_file() else ""
        raise CharlabError(f"{p}: is a directory, but a text file is expected{hint}")
    if not p.is_file():  # checked before opening: a FIFO with no writer would block, /dev/zero never ends
        raise CharlabError(f"{p}: not a regular file (a device, pipe or socket); save the text to a file first")


def _decode_error(path: str | os.PathLike, head: bytes, offset: int, byte: int) -> CharlabError:
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return CharlabError(f"{path}: UTF-16 text (it starts with a UTF-16 byte-order mark); charlab reads UTF-8: "
                            f"convert it first, e.g. iconv -f UTF-16 -t UTF-8 {path} > text.txt")
    return CharlabError(
        f"{path}: not valid UTF-8 at byte offset {offset} (byte 0x{byte:02X}); "
        "use --encoding-errors replace to replace invalid bytes with U+FFFD (or train with --byte-level to model "
        "raw bytes)"
    )


def iter_text(path: str | os.PathLike, *, encoding_errors: str = "strict", byte_level: bool = False,
              block: int = BLOCK) -> Iterator[str]:
    """The characters of a text file, `block` bytes at a time (the pieces join to `read_text`'s result): a file
    of any size is read in bounded memory. UTF-8, or raw bytes as Latin-1 characters when `byte_level`.

    Invalid UTF-8 is an error by default because silently replacing bytes changes the data; the message names
    the byte offset and both ways out."""
    if encoding_errors not in ENCODING_ERRORS:
        raise CharlabError(
            f"unknown encoding_errors {encoding_errors!r}; use one of {', '.join(ENCODING_ERRORS)}"
        )
    p = Path(path)
    _check_file(p)
    # latin-1 is a bijection bytes 0..255 <-> code points U+0000..U+00FF
    decoder = codecs.getincrementaldecoder("latin-1" if byte_level else "utf-8")(encoding_errors)
    offset, head = 0, b""
    try:
        with open(p, "rb") as f:
            while True:
                data = f.read(block)
                head = head or data
                pending = decoder.getstate()[0]  # bytes of a character cut by the previous block
                try:
                    text = decoder.decode(data, final=not data)
                except UnicodeDecodeError as e:
                    raise _decode_error(path, head, offset - len(pending) + e.start, e.object[e.start]) from None
                if not data and not offset:
                    raise CharlabError(f"{p}: file is empty; a character model needs text to learn from")
                offset += len(data)
                if text:
                    yield text
                if not data:
                    return
    except OSError as e:
        raise CharlabError(f"{p}: cannot read ({e.strerror})") from None


def read_text(path: str | os.PathLike, *, encoding_errors: str = "strict", byte_level: bool = False) -> str:
    """Read a whole text file as UTF-8 (or as raw bytes, one character per byte, when `byte_level`); see
    `iter_text`."""
    return "".join(iter_text(path, encoding_errors=encoding_errors, byte_level=byte_level))


def _listed(chars: Sequence[str]) -> str:
    return ", ".join(repr(c) for c in chars[:20]) + (" ..." if len(chars) > 20 else "")


def read_ids(path: str | os.PathLike, vocab: Vocab, *, encoding_errors: str = "strict",
             unseen: str = "error") -> tuple[np.ndarray, dict[str, int]]:
    """A text file as ids of `vocab`, read a block at a time into the smallest integer type that holds them (one
    byte per character for a vocabulary of up to 256 characters: no whole-file string or int64 copy is made).

    Characters the vocabulary lacks are an error that lists them, or with `unseen="skip"` they are left out: the
    model reads the text without them. Returns the ids and how many times each left-out character occurred."""
    if unseen not in UNSEEN:
        raise CharlabError(f"unknown unseen {unseen!r}; use one of {', '.join(UNSEEN)}")
    p = Path(path)
    _check_file(p)
    dtype = np.uint8 if len(vocab) <= 1 << 8 else np.uint16 if len(vocab) <= 1 << 16 else np.int32
    out = np.empty(p.stat().st_size, dtype)  # a character takes at least one byte; untouched pages cost nothing
    n, missing = 0, {}
    known = set(vocab.chars)
    for text in iter_text(p, encoding_errors=encoding_errors, byte_level=vocab.byte_level):
        if not known.issuperset(text):
            new = vocab.unknown(text)
            for c in new:
                missing[c] = missing.get(c, 0) + text.count(c)
            text = text.translate(dict.fromkeys(map(ord, new)))
        if missing and unseen == "error":
            continue  # read on only to list every unseen character
        ids = vocab.encode(text)
        out[n : n + len(ids)] = ids
        n += len(ids)
    if missing and unseen == "error":
        raise CharlabError(f"{p}: {len(missing)} character(s) not in the model's vocabulary ({sum(missing.values()):,} "
                           f"in all): {_listed(list(missing))}; --unseen skip scores the text without them")
    return out[:n], missing


@dataclass(frozen=True)
class Vocab:
    """A sorted character vocabulary. With `byte_level`, characters are bytes 0..255 read as Latin-1."""

    chars: tuple[str, ...]
    byte_level: bool = False

    def __post_init__(self) -> None:
        if list(self.chars) != sorted(set(self.chars)):
            raise ValueError("Vocab.chars must be sorted and unique")
        object.__setattr__(self, "_index", {c: i for i, c in enumerate(self.chars)})

    @classmethod
    def from_text(cls, text: str, byte_level: bool = False) -> Vocab:
        if not text:
            raise CharlabError("cannot build a vocabulary from empty text")
        return cls(tuple(sorted(set(text))), byte_level)

    def __len__(self) -> int:
        return len(self.chars)

    def unknown(self, text: str) -> list[str]:
        """Characters of `text` that the vocabulary does not have, in order of first appearance."""
        return list(dict.fromkeys(c for c in text if c not in self._index))

    def encode(self, text: str) -> np.ndarray:
        missing = self.unknown(text)
        if missing:
            raise CharlabError(f"{len(missing)} character(s) not in the model's vocabulary: {_listed(missing)}")
        return np.fromiter((self._index[c] for c in text), dtype=np.int64, count=len(text))

    def decode(self, ids: Iterable[int] | np.ndarray | Sequence[int]) -> str:
        return "".join(self.chars[int(i)] for i in ids)

    def render(self, text: str) -> str:
        """Text for humans: byte-level samples are turned back into UTF-8 (invalid sequences become U+FFFD)."""
        return text.encode("latin-1").decode("utf-8", errors="replace") if self.byte_level else text

    def to_dict(self) -> dict:
        return {"chars": "".join(self.chars), "byte_level": self.byte_level}

    @classmethod
    def from_dict(cls, d: dict) -> Vocab:
        return cls(tuple(d["chars"]), bool(d.get("byte_level", False)))
