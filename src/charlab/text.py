"""Reading training text and mapping characters to integer ids.

The vocabulary is the *sorted* set of characters, so it is identical on every run and machine (the gist's
`list(set(data))` is not, under Python 3's hash randomisation, which silently breaks saved weights). It travels
inside every checkpoint, so a model is never paired with the wrong mapping.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import CharlabError

ENCODING_ERRORS = ("strict", "replace")


def read_bytes(path: str | os.PathLike) -> bytes:
    """Read a whole file, turning every way a path can be wrong into one clear sentence."""
    p = Path(path)
    if not p.exists():
        raise CharlabError(f"{p}: no such file")
    if p.is_dir():
        hint = " (did you mean " + str(p / "input.txt") + "?)" if (p / "input.txt").is_file() else ""
        raise CharlabError(f"{p}: is a directory, but a text file is expected{hint}")
    if not p.is_file():  # checked before opening: a FIFO with no writer would block, /dev/zero never ends
        raise CharlabError(f"{p}: not a regular file (a device, pipe or socket); save the text to a file first")
    try:
        data = p.read_bytes()
    except OSError as e:
        raise CharlabError(f"{p}: cannot read ({e.strerror})") from None
    if not data:
        raise CharlabError(f"{p}: file is empty; a character model needs text to learn from")
    return data


def read_text(path: str | os.PathLike, *, encoding_errors: str = "strict", byte_level: bool = False) -> str:
    """Read a text file as UTF-8 (or as raw bytes, one character per byte, when `byte_level`).

    Invalid UTF-8 is an error by default because silently replacing bytes changes the data; the message names
    the byte offset and both ways out.
    """
    if encoding_errors not in ENCODING_ERRORS:
        raise CharlabError(
            f"unknown encoding_errors {encoding_errors!r}; use one of {', '.join(ENCODING_ERRORS)}"
        )
    data = read_bytes(path)
    if byte_level:
        return data.decode("latin-1")  # a bijection bytes 0..255 <-> code points U+0000..U+00FF
    try:
        return data.decode("utf-8", errors=encoding_errors)
    except UnicodeDecodeError as e:
        if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
            raise CharlabError(f"{path}: UTF-16 text (it starts with a UTF-16 byte-order mark); charlab reads UTF-8: "
                               f"convert it first, e.g. iconv -f UTF-16 -t UTF-8 {path} > text.txt") from None
        raise CharlabError(
            f"{path}: not valid UTF-8 at byte offset {e.start} (byte 0x{data[e.start]:02X}); "
            "use --encoding-errors replace to replace invalid bytes with U+FFFD (or train with --byte-level to model "
            "raw bytes)"
        ) from None


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
            shown = ", ".join(repr(c) for c in missing[:20]) + (" ..." if len(missing) > 20 else "")
            raise CharlabError(f"{len(missing)} character(s) not in the model's vocabulary: {shown}")
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
