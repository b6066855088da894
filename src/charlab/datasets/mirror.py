"""Mirrors: a directory or an HTTP base URL laid out as `<name>/input.txt` with a `SHA256SUMS` over them.

A mirror holds *prepared* files, so fetching from one is download + verify, with no preparation step. Every
file is checked against the mirror's own SHA256SUMS (a mirror without one, or without a line for the dataset,
is not used). The registry's hash cannot serve here: a mirror may legitimately hold another file than the
post's (see `Dataset.known_copies`), and SOURCE.json then says which.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

import requests

from .download import DEFAULT_POLICY, DownloadError, Policy, Progress, copy_local, download, get_bytes


class MirrorError(Exception):
    """This mirror cannot serve this dataset (absent, no SHA256SUMS line); try the next source."""


def parse_sums(text: str) -> dict[str, str]:
    """`sha256sum` output ('<hex>  <path>' or '<hex> *<path>') -> {path: hex}."""
    sums = {}
    for line in text.splitlines():
        parts = line.strip().split(maxsplit=1)
        if len(parts) == 2 and len(parts[0]) == 64:
            sums[parts[1].lstrip("*").removeprefix("./")] = parts[0].lower()
    return sums


class Mirror:
    """A mirror location: a local directory (or file:// URL) or an http(s) base URL."""

    def __init__(
        self,
        location: str | Path,
        *,
        policy: Policy = DEFAULT_POLICY,
        session: requests.Session | None = None,
    ):
        location = str(location)
        self.location = location
        self.policy = policy
        self.session = session
        parsed = urlparse(location)
        self.is_http = parsed.scheme in ("http", "https")
        self.root = None if self.is_http else Path(parsed.path if parsed.scheme == "file" else location).expanduser()
        self._sums: dict[str, str] | None = None

    def __str__(self) -> str:
        return self.location

    def url(self, relative: str) -> str:
        """Where `relative` lives in this mirror (a URL or a local path, as text for SOURCE.json)."""
        if self.is_http:
            return self.location.rstrip("/") + "/" + relative
        return str(self.root / relative)

    def sums(self) -> dict[str, str]:
        if self._sums is None:
            if self.is_http:
                try:
                    raw = get_bytes(self.url("SHA256SUMS"), policy=self.policy, session=self.session)
                except DownloadError as e:
                    raise MirrorError(f"mirror {self}: no SHA256SUMS ({e})") from e
            else:
                if not self.root.is_dir():
                    raise MirrorError(f"mirror {self} does not exist")
                try:
                    raw = (self.root / "SHA256SUMS").read_bytes()
                except OSError:
                    raise MirrorError(f"mirror {self} has no SHA256SUMS") from None
            self._sums = parse_sums(raw.decode("utf-8", "replace"))
        return self._sums

    def expected_sha256(self, name: str) -> str:
        """The mirror's checksum for `<name>/input.txt`; MirrorError when it does not list that file."""
        sha = self.sums().get(f"{name}/input.txt")
        if sha is None:
            raise MirrorError(f"mirror {self} has no {name}/input.txt in its SHA256SUMS")
        return sha

    def get(self, name: str, dest: Path, *, progress: bool | Progress = False) -> str:
        """Copy or download `<name>/input.txt` into `dest` (unverified); return where it came from."""
        relative = f"{name}/input.txt"
        if self.is_http:
            download(
                self.url(relative),
                dest,
                policy=self.policy,
                progress=progress,
                label=name,
                session=self.session,
            )
        else:
            src = self.root / relative
            if not src.is_file():
                raise MirrorError(f"mirror {self} has no {relative}")
            copy_local(src, dest, progress=progress, label=name)
        return self.url(relative)
