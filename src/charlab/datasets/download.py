"""Getting bytes from a URL (or a local mirror) into a `.part` file that survives bad networks.

The download streams into `<something>.part`. When the connection drops, the server times out or answers 5xx,
we wait (exponential backoff) and ask for the rest with an HTTP `Range` request; a server that ignores `Range`
(answers 200) makes us start over, never glue two different responses together. The first response's validator
(a strong ETag, else Last-Modified) is kept next to the part (`.part.etag`) and sent as `If-Range`, so a file
that changed upstream between two runs is downloaded afresh instead of being glued onto its old beginning.
A run interrupted by Ctrl-C leaves the `.part` file, so running the command again resumes where it stopped.
Nothing here decides whether the bytes are *right*: the fetcher verifies them before anything is installed.
"""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import requests

from .. import __version__

Progress = Callable[[int, "int | None"], None]  # (bytes done, total or None)


@dataclass(frozen=True)
class Policy:
    """How patient to be with a server. Tests use tiny values."""

    timeout: float = 30.0  # seconds to connect, and the longest silence while reading
    retries: int = 5  # extra attempts after a transient error (connection reset, timeout, 5xx)
    backoff: float = 1.0  # first wait in seconds; doubles each retry
    max_backoff: float = 30.0
    chunk_size: int = 1 << 16


DEFAULT_POLICY = Policy()
USER_AGENT = f"charlab/{__version__} (+https://github.com/charlab-book/charlab)"


class DownloadError(Exception):
    """A URL could not be downloaded. `offline` is True when it looks like there is no network at all."""

    def __init__(self, message: str, offline: bool = False):
        super().__init__(message)
        self.offline = offline


class _Transient(Exception):
    """A failure worth retrying (5xx, 429, a body that ended early)."""


def _is_offline(exc: BaseException) -> bool:
    """True for failures that mean 'no route to anything' (DNS resolution failed, no connection possible)."""
    seen: BaseException | None = exc
    for _ in range(10):
        if seen is None:
            break
        text = f"{type(seen).__name__} {seen}"
        if any(
            s in text
            for s in (
                "NameResolution",
                "Name or service not known",
                "Temporary failure in name",
                "nodename nor servname",
                "getaddrinfo failed",
                "Network is unreachable",
            )
        ):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _describe(exc: BaseException) -> str:
    if isinstance(exc, requests.Timeout) or "timed out" in str(exc).lower():
        return "timed out"
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return "connection dropped mid-download"
    if isinstance(exc, requests.ConnectionError):
        return "no route" if _is_offline(exc) else "connection failed"
    return str(exc)


def _content_range(value: str | None) -> tuple[int | None, int | None]:
    """Parse 'bytes START-END/TOTAL' (or 'bytes */TOTAL') into (START, TOTAL)."""
    m = re.match(r"bytes\s+(?:(\d+)-\d+|\*)/(\d+|\*)", value or "")
    if not m:
        return None, None
    start = int(m.group(1)) if m.group(1) is not None else None
    total = int(m.group(2)) if m.group(2) != "*" else None
    return start, total


class _Bar:
    """A progress sink: a tqdm bar (bytes, total, speed), a callback, or nothing."""

    def __init__(self, progress: bool | Progress, label: str):
        self.callback = progress if callable(progress) else None
        self.label = label
        self.enabled = progress is True
        self.bar = None

    def update(self, done: int, total: int | None) -> None:
        if self.callback is not None:
            self.callback(done, total)
        if self.enabled:
            if self.bar is None:
                from tqdm import tqdm

                self.bar = tqdm(
                    total=total,
                    initial=done,
                    desc=self.label,
                    unit="B",
                    unit_scale=True,
                    unit_divisor=1024,
                    mininterval=0.5,
                    leave=False,
                )
            if total is not None and self.bar.total != total:
                self.bar.total = total
            self.bar.update(done - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def download(
    url: str,
    part: Path,
    *,
    expected_size: int | None = None,
    policy: Policy = DEFAULT_POLICY,
    progress: bool | Progress = False,
    label: str = "",
    session: requests.Session | None = None,
    blind_resume: bool = True,
    on_resume: Callable[[int], None] | None = None,
) -> Path:
    """Download `url` into `part`, resuming what is already there; return `part` once the body is complete.

    Completeness means: as many bytes as the server announced (Content-Length / Content-Range). Whether they
    are the right bytes is the caller's business (checksums). `blind_resume=False` (for files no checksum will
    check) restarts a part that has no validator rather than trusting that the file did not change meanwhile.
    `on_resume(offset)` is called whenever bytes already in `part` are kept (resumed after, or taken as the
    whole file), so a caller whose checksum then fails knows the kept bytes may be to blame.
    """
    part.parent.mkdir(parents=True, exist_ok=True)
    session = session or requests.Session()
    bar = _Bar(progress, label or url.rsplit("/", 1)[-1])
    attempt = 0
    try:
        while True:
            have = part.stat().st_size if part.exists() else 0
            if expected_size is not None and have == expected_size:
                if on_resume is not None:
                    on_resume(have)
                return part
            if (expected_size is not None and have > expected_size) or (
                have and not blind_resume and not _validator_path(part).exists()
            ):
                discard(part)
                have = 0
            try:
                if _attempt(session, url, part, have, policy, bar, on_resume):
                    return part
            except (
                requests.ConnectionError,
                requests.Timeout,
                requests.exceptions.ChunkedEncodingError,
                _Transient,
            ) as e:
                offline = _is_offline(e)
                if offline or attempt >= policy.retries:
                    tries = f" after {attempt + 1} attempts" if attempt else ""
                    raise DownloadError(f"{url}: {_describe(e)}{tries}", offline=offline) from e
                time.sleep(min(policy.backoff * 2**attempt, policy.max_backoff))
                attempt += 1
    finally:
        bar.close()


def _validator_path(part: Path) -> Path:
    return part.with_name(part.name + ".etag")


def discard(part: Path) -> None:
    """Delete a partial download and its validator."""
    remove(part)
    remove(_validator_path(part))


def _attempt(
    session: requests.Session,
    url: str,
    part: Path,
    have: int,
    policy: Policy,
    bar: _Bar,
    on_resume: Callable[[int], None] | None = None,
) -> bool:
    """One HTTP request. Returns True when `part` holds the complete body, False to restart from zero."""
    headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "identity"}  # identity: byte counts mean bytes
    if have:
        headers["Range"] = f"bytes={have}-"
        if _validator_path(part).exists():
            headers["If-Range"] = _validator_path(part).read_text(encoding="utf-8").strip()
    with session.get(url, headers=headers, stream=True, timeout=policy.timeout) as r:
        if r.status_code == 416 and have:  # asked past the end: either complete already or a stale part
            _, total = _content_range(r.headers.get("Content-Range"))
            if total == have:
                if on_resume is not None:
                    on_resume(have)
                return True
            discard(part)
            return False
        if r.status_code >= 500 or r.status_code in (408, 429):
            raise _Transient(f"HTTP {r.status_code}")
        if r.status_code >= 400:
            raise DownloadError(f"{url}: HTTP {r.status_code} {r.reason}")
        if have and r.status_code == 206:
            start, total = _content_range(r.headers.get("Content-Range"))
            if start != have:  # a range we did not ask for: start over rather than corrupt the file
                discard(part)
                return False
            if on_resume is not None:
                on_resume(have)
            mode = "ab"
        else:  # 200: the server sent the whole file (it ignores Range, or we asked from zero)
            have, mode = 0, "wb"
            length = r.headers.get("Content-Length")
            total = int(length) if length is not None and length.isdigit() else None
            etag = r.headers.get("ETag", "")
            validator = etag if etag and not etag.startswith("W/") else r.headers.get("Last-Modified")
            if validator:
                _validator_path(part).write_text(validator, encoding="utf-8")
            else:
                remove(_validator_path(part))
        done = have
        bar.update(done, total)
        with open(part, mode) as f:
            for chunk in r.iter_content(chunk_size=policy.chunk_size):
                f.write(chunk)
                done += len(chunk)
                bar.update(done, total)
        if total is not None and done != total:
            raise _Transient(f"body ended at {done} of {total} bytes")
        return True


def copy_local(
    src: Path, dest: Path, *, progress: bool | Progress = False, label: str = "", chunk_size: int = 1 << 20
) -> Path:
    """Copy a file from a local mirror with the same progress reporting as a download (restarts from zero)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    total = src.stat().st_size
    bar = _Bar(progress, label or src.name)
    try:
        done = 0
        with open(src, "rb") as f, open(dest, "wb") as g:
            bar.update(0, total)
            while chunk := f.read(chunk_size):
                g.write(chunk)
                done += len(chunk)
                bar.update(done, total)
    finally:
        bar.close()
    return dest


def get_bytes(url: str, *, policy: Policy = DEFAULT_POLICY, session: requests.Session | None = None) -> bytes:
    """A small file (a mirror's SHA256SUMS) in memory, with the same retries as `download`."""
    session = session or requests.Session()
    for attempt in range(policy.retries + 1):
        try:
            r = session.get(url, headers={"User-Agent": USER_AGENT}, timeout=policy.timeout)
            if r.status_code >= 500 or r.status_code in (408, 429):
                raise _Transient(f"HTTP {r.status_code}")
            if r.status_code >= 400:
                raise DownloadError(f"{url}: HTTP {r.status_code} {r.reason}")
            return r.content
        except (requests.ConnectionError, requests.Timeout, _Transient) as e:
            offline = _is_offline(e)
            if offline or attempt >= policy.retries:
                raise DownloadError(f"{url}: {_describe(e)}", offline=offline) from e
            time.sleep(min(policy.backoff * 2**attempt, policy.max_backoff))
    raise AssertionError("unreachable")


def remove(path: Path) -> None:
    """Delete a file or directory if it exists (cleanup must never raise over the original error)."""
    try:
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
    except OSError:
        pass
