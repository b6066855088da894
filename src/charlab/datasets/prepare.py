"""Preparation steps: turn downloaded file(s) into one `input.txt`, exactly and reproducibly.

Each step is `step(inputs, out, **options)`: it reads the downloaded files (in the source's URL order) and
writes bytes to the open binary file `out`. Steps never decode-and-reencode text they do not have to, so the
output is byte-exact (a single stray byte in `linux_input.txt` stays where it was). Large inputs (enwik8,
kernel tarballs) are streamed. A file that is not what the step expects raises `PrepareError`, which the
fetcher reports as a bad download from that URL.
"""

from __future__ import annotations

import re
import shutil
import tarfile
import tempfile
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import BinaryIO

_CHUNK = 1 << 20


class PrepareError(Exception):
    """The downloaded file is not what the preparation step expects (wrong format, missing member...)."""


def copy(inputs: list[Path], out: BinaryIO) -> None:
    """The file as published."""
    for path in inputs:
        with open(path, "rb") as f:
            shutil.copyfileobj(f, out, _CHUNK)


def normalize_newlines(data: bytes) -> bytes:
    """Drop a UTF-8 BOM and turn CRLF (and lone CR) line ends into LF."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    return data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")


def newlines(inputs: list[Path], out: BinaryIO) -> None:
    """BOM removed, CRLF -> LF: the text as one would write it on Linux (Karpathy's warpeace_input.txt)."""
    for path in inputs:
        out.write(normalize_newlines(path.read_bytes()))


_GUTENBERG_START = re.compile(rb"^\*{3} ?START OF (?:THE|THIS) PROJECT GUTENBERG E(?:BOOK|TEXT)[^\n]*\n", re.M | re.I)
_GUTENBERG_END = re.compile(rb"^\*{3} ?END OF (?:THE|THIS) PROJECT GUTENBERG E(?:BOOK|TEXT)", re.M | re.I)
_LEADING_BLANK_LINES = re.compile(rb"\A(?:[ \t]*\n)+")


def strip_gutenberg(data: bytes) -> bytes:
    """The body of a Project Gutenberg text: between the `*** START OF ...` and `*** END OF ...` lines.

    The header (title page, license summary) and the footer (the full Project Gutenberg license) are not the
    author's text and would teach the model legal boilerplate. Blank lines around the body go too; the result
    ends with exactly one newline.
    """
    data = normalize_newlines(data)
    start = _GUTENBERG_START.search(data)
    if start is None:
        raise PrepareError("no '*** START OF THE PROJECT GUTENBERG EBOOK' line: not a Project Gutenberg text")
    end = _GUTENBERG_END.search(data, start.end())
    if end is None:
        raise PrepareError("no '*** END OF THE PROJECT GUTENBERG EBOOK' line: truncated Project Gutenberg text?")
    body = _LEADING_BLANK_LINES.sub(b"", data[start.end() : end.start()]).rstrip()
    if not body:
        raise PrepareError("empty Project Gutenberg body")
    return body + b"\n"


def gutenberg(inputs: list[Path], out: BinaryIO) -> None:
    """Project Gutenberg text with header and license stripped (see `strip_gutenberg`)."""
    for path in inputs:
        out.write(strip_gutenberg(path.read_bytes()))


def strip_comment_header(data: bytes) -> bytes:
    """Drop the leading '#' comment lines and blank lines of a CMU names file; ensure a final newline."""
    lines = normalize_newlines(data).split(b"\n")
    i = 0
    while i < len(lines) and (lines[i].startswith(b"#") or not lines[i].strip()):
        i += 1
    body = b"\n".join(lines[i:]).rstrip(b"\n")
    if not body:
        raise PrepareError("no names after the comment header")
    return body + b"\n"


def cmu_names(inputs: list[Path], out: BinaryIO) -> None:
    """The CMU originals (male.txt, female.txt, in URL order) without their comment headers, concatenated."""
    for path in inputs:
        out.write(strip_comment_header(path.read_bytes()))


def _open_zip(path: Path) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(path)
    except zipfile.BadZipFile as e:
        raise PrepareError(f"not a zip file ({e})") from e


def zip_member(inputs: list[Path], out: BinaryIO, member: str) -> None:
    """One member of a zip archive (enwik8.zip -> enwik8), streamed; zipfile checks its CRC-32."""
    zip_members(inputs, out, members=(member,))


def zip_members(inputs: list[Path], out: BinaryIO, members: Iterable[str]) -> None:
    """Several members of one zip archive, concatenated in order (names.zip -> male.txt, female.txt)."""
    (path,) = inputs
    with _open_zip(path) as zf:
        for member in members:
            try:
                with zf.open(member) as f:
                    shutil.copyfileobj(f, out, _CHUNK)
            except KeyError as e:
                raise PrepareError(f"the zip has no member {member!r}") from e
            except zipfile.BadZipFile as e:  # includes CRC mismatches
                raise PrepareError(f"corrupt zip member {member!r} ({e})") from e


def _c_locale_key(path: str) -> bytes:
    """Sort key for C-locale (byte) order, which is what `LC_ALL=C sort` and `ls` in the C locale give."""
    return path.encode("utf-8", "surrogateescape")


def archive_concat(inputs: list[Path], out: BinaryIO, suffixes: Iterable[str]) -> None:
    """All regular files of a tar (any compression) or zip archive whose names end with `suffixes`,
    concatenated in C-locale path order with nothing in between.

    A compressed tarball can only be read front to back, so matching members are first spooled to numbered
    temporary files (never to paths taken from the archive) and then written out in sorted order.
    """
    suffixes = tuple(suffixes)
    (path,) = inputs
    if zipfile.is_zipfile(path):
        with _open_zip(path) as zf:
            names = [i.filename for i in zf.infolist() if not i.is_dir() and i.filename.endswith(suffixes)]
            if not names:
                raise PrepareError(f"the archive has no {'/'.join(suffixes)} files")
            for name in sorted(names, key=_c_locale_key):
                with zf.open(name) as f:
                    shutil.copyfileobj(f, out, _CHUNK)
        return
    try:
        tar = tarfile.open(path, mode="r|*")
    except tarfile.TarError as e:
        raise PrepareError(f"not a tar or zip archive ({e})") from e
    with tempfile.TemporaryDirectory(prefix="charlab-", dir=path.parent) as spool, tar:
        found: dict[str, Path] = {}
        try:
            for member in tar:
                if member.isfile() and member.name.endswith(suffixes):
                    f = tar.extractfile(member)
                    assert f is not None  # regular files always have data
                    spooled = Path(spool) / str(len(found))
                    with f, open(spooled, "wb") as g:
                        shutil.copyfileobj(f, g, _CHUNK)
                    found[member.name] = spooled
        except (tarfile.TarError, EOFError, OSError) as e:
            raise PrepareError(f"corrupt or truncated archive ({e})") from e
        if not found:
            raise PrepareError(f"the archive has no {'/'.join(suffixes)} files")
        for name in sorted(found, key=_c_locale_key):
            with open(found[name], "rb") as f:
                shutil.copyfileobj(f, out, _CHUNK)


STEPS: dict[str, Callable[..., None]] = {
    "copy": copy,
    "newlines": newlines,
    "gutenberg": gutenberg,
    "cmu_names": cmu_names,
    "zip_member": zip_member,
    "zip_members": zip_members,
    "archive_concat": archive_concat,
}
