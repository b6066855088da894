"""Fetching a dataset: mirror first, then each upstream source; verify; install atomically; write SOURCE.json.

The invariant the rest of the book relies on: `DATA_DIR/<name>/input.txt` exists only if it was verified.
Everything in flight lives in `DATA_DIR/<name>/.partial/`: downloads as `*.part` (kept when a network failure
or Ctrl-C interrupts them, so the next run resumes with an HTTP Range request; deleted when their bytes turn
out wrong, or when the disk fails a write: a full disk must not stay full) and the prepared `input.txt.tmp`
(always deleted unless installed). Installing is two atomic renames, SOURCE.json first and input.txt last, so
input.txt marks a complete fetch. A lock file serialises concurrent fetches of the same dataset (e.g. notebooks
executed in parallel); a dataset already present is verified before any lock is taken, so a verified dataset on
a read-only disk needs no write at all.

A resumed download whose completed bytes fail verification is downloaded once more from scratch in the same run:
the kept `.part` (from an earlier run, perhaps of another file, or a corrupted disk) may be what was wrong.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import requests

from .. import __version__
from ..errors import CharlabError
from .download import DEFAULT_POLICY, DownloadError, Policy, Progress, discard, download, remove
from .mirror import Mirror, MirrorError
from .paths import default_data_dir, fetch_command, get_entry, read_source, sha256_file
from .prepare import STEPS, PrepareError
from .registry import Dataset, Source

MIRROR_HINT = "use --mirror DIR_OR_URL (or set CHARLAB_DATA_MIRROR) to fetch from a mirror"


@dataclass
class FetchResult:
    """What `fetch_dataset` did: `status` is 'present' (verified, nothing downloaded), 'unverified' (an
    input.txt without SOURCE.json, e.g. the user's own file, left alone) or 'fetched'."""

    name: str
    path: Path
    status: str
    source: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One line for the terminal."""
        sha = self.source.get("sha256", "")[:12]
        size = self.source.get("size")
        facts = ", ".join(x for x in (f"{size:,} bytes" if size else "", f"sha256 {sha}..." if sha else "") if x)
        if self.status == "present":
            line = f"{self.name}: present, verified ({facts})"
        elif self.status == "unverified":
            line = f"{self.name}: present but not fetched by charlab (no SOURCE.json); left as is"
        else:
            line = f"{self.name}: fetched from {self.source.get('url')} ({facts}) -> {self.path}"
        return "\n".join([line, *(f"  note: {n}" for n in self.notes)])


class _SourceFailed(Exception):
    """One source did not work out; the message says which URL did what."""


class _WrongBytes(_SourceFailed):
    """A download completed, but its bytes failed verification (and were deleted)."""


def _from_scratch(attempt: Callable[[], FetchResult], what: str) -> FetchResult:
    """Run `attempt` again after a resumed download gave wrong bytes (all of them deleted by then), and say so.

    The kept `.part` may have been the culprit: the beginning of another file, or bytes a disk corrupted.
    """
    try:
        result = attempt()
    except _WrongBytes as e:
        raise _WrongBytes(f"{e}, twice: resumed, then downloaded again from scratch") from e.__cause__
    except _SourceFailed as e:
        raise _SourceFailed(
            f"{e} (downloading again from scratch, after a resumed download gave wrong bytes, deleted)"
        ) from e.__cause__
    result.notes.insert(
        0,
        f"resuming the partial download of {what} gave wrong bytes (a leftover of an earlier run?): "
        "discarded it and downloaded again from scratch",
    )
    return result


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive advisory lock on `path` (POSIX); a no-op where fcntl is unavailable."""
    try:
        import fcntl
    except ImportError:  # Windows: concurrent fetches are the user's problem
        yield
        return
    with open(path, "a+b") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _partial_name(url: str) -> str:
    """A .part name unique to the URL, so resuming never glues bytes of two different URLs together."""
    digest = hashlib.sha1(url.encode()).hexdigest()[:10]
    base = url.rstrip("/").rsplit("/", 1)[-1][:60] or "download"
    return f"{digest}-{base}.part"


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()


def _describe_copy(entry: Dataset, sha: str, size: int) -> tuple[str | None, bool | None]:
    """(what this file is, whether it is the registry's preferred file: None when that cannot be known)."""
    what = entry.identify(sha)
    if entry.sha256 is not None:
        return what, sha == entry.sha256
    if entry.size is not None and size != entry.size:
        return what, False
    return what, None


def _install(folder: Path, prepared: Path, record: dict) -> Path:
    """Atomically install `prepared` as input.txt with its SOURCE.json (SOURCE.json first, input.txt last)."""
    source_tmp = folder / ".partial" / "SOURCE.json.tmp"
    source_tmp.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    for tmp in (source_tmp, prepared):
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
    os.replace(source_tmp, folder / "SOURCE.json")
    target = folder / "input.txt"
    os.replace(prepared, target)
    return target


def _record(
    entry: Dataset,
    kind: str,
    url: str,
    urls: list[str],
    downloads: dict[str, str],
    sha: str,
    size: int,
    preparation: str,
    what: str | None,
    exact: bool | None,
) -> dict:
    return {
        "name": entry.name,
        "source": kind,  # "mirror" or "upstream"
        "url": url,
        "urls": urls,
        "downloaded_sha256": downloads,
        "sha256": sha,
        "size": size,
        "identified_as": what,  # which known file this is (None: not a file the registry knows)
        "is_registry_file": exact,  # same bytes as the registry's preferred (the post's) file; None: unknown
        "registry_sha256": entry.sha256,
        "registry_size": entry.size,
        "preparation": preparation,
        "differs_from_post": entry.differs_from_post,
        "license": entry.license,
        "citation": entry.citation,
        "fetched_at": _now(),
        "charlab_version": __version__,
    }


def _from_mirror(entry: Dataset, mirror: Mirror, folder: Path, progress: bool | Progress) -> FetchResult:
    where = mirror.url(f"{entry.name}/input.txt")
    part = folder / ".partial" / _partial_name(where)
    resumes = mirror.is_http and part.is_file() and part.stat().st_size > 0  # a local copy always starts at zero
    try:
        return _mirror_once(entry, mirror, part, folder, progress)
    except _WrongBytes:
        if not resumes:
            raise
    return _from_scratch(lambda: _mirror_once(entry, mirror, part, folder, progress), where)


def _mirror_once(entry: Dataset, mirror: Mirror, part: Path, folder: Path, progress: bool | Progress) -> FetchResult:
    try:
        expected = mirror.expected_sha256(entry.name)
        # a local copy takes a blink: a bar would only litter logs; callbacks still see every chunk
        url = mirror.get(entry.name, part, progress=progress if callable(progress) or mirror.is_http else False)
    except (MirrorError, DownloadError) as e:
        raise _SourceFailed(str(e)) from e
    except requests.RequestException as e:  # a malformed mirror URL and the like
        raise _SourceFailed(f"mirror {mirror}: {e}") from e
    sha = sha256_file(part)
    if sha != expected:
        discard(part)
        raise _WrongBytes(
            f"{url} served sha256 {sha[:12]}..., but the mirror's SHA256SUMS says {expected[:12]}... (deleted)"
        )
    size = part.stat().st_size
    what, exact = _describe_copy(entry, sha, size)
    record = _record(
        entry,
        "mirror",
        url,
        [url],
        {url: sha},
        sha,
        size,
        "none (a mirror holds prepared files), verified against the mirror's SHA256SUMS",
        what,
        exact,
    )
    notes = []
    if exact is False:
        notes.append(f"this mirror copy is not the registry's file: {what or 'an unknown file'}")
    return FetchResult(entry.name, _install(folder, part, record), "fetched", record, notes)


def _from_upstream(
    entry: Dataset,
    source: Source,
    folder: Path,
    policy: Policy,
    progress: bool | Progress,
    session: requests.Session,
) -> FetchResult:
    resumed: list[str] = []  # URLs whose download kept bytes already on disk
    try:
        return _upstream_once(entry, source, folder, policy, progress, session, resumed)
    except _WrongBytes:
        if not resumed:
            raise
    return _from_scratch(
        lambda: _upstream_once(entry, source, folder, policy, progress, session, []), ", ".join(resumed)
    )


def _upstream_once(
    entry: Dataset,
    source: Source,
    folder: Path,
    policy: Policy,
    progress: bool | Progress,
    session: requests.Session,
    resumed: list[str],
) -> FetchResult:
    partial = folder / ".partial"
    parts = []
    for url in source.urls:
        part = partial / _partial_name(url)
        expected = source.download_size if len(source.urls) == 1 else None
        try:
            download(
                url,
                part,
                expected_size=expected,
                policy=policy,
                progress=progress,
                label=entry.name,
                session=session,
                blind_resume=source.sha256 is not None,  # unchecked files restart unless the server can tell
                on_resume=lambda offset, url=url: resumed.append(url),
            )
        except DownloadError as e:
            raise _SourceFailed(str(e)) from e
        except requests.RequestException as e:  # a malformed URL and the like: not worth retrying
            raise _SourceFailed(f"{url}: {e}") from e
        if expected is not None and part.stat().st_size != expected:
            got = part.stat().st_size
            discard(part)
            raise _WrongBytes(f"{url} served {got:,} bytes, expected {expected:,} (deleted)")
        parts.append(part)
    downloads = {url: sha256_file(p) for url, p in zip(source.urls, parts, strict=True)}
    prepared = partial / "input.txt.tmp"
    try:
        with open(prepared, "wb") as out:
            STEPS[source.prepare](parts, out, **dict(source.options))
    except PrepareError as e:
        remove(prepared)
        for p in parts:
            discard(p)
        raise _WrongBytes(f"{', '.join(source.urls)}: {e} (deleted)") from e
    sha, size = sha256_file(prepared), prepared.stat().st_size
    wrong = (source.sha256 is not None and sha != source.sha256) or (source.size is not None and size != source.size)
    if wrong:
        remove(prepared)
        for p in parts:
            discard(p)
        want = f"sha256 {source.sha256[:12]}..." if source.sha256 else f"{source.size:,} bytes"
        raise _WrongBytes(
            f"{', '.join(source.urls)} gave an input.txt with sha256 {sha[:12]}... "
            f"({size:,} bytes), expected {want} (deleted)"
        )
    what, exact = _describe_copy(entry, sha, size)
    record = _record(
        entry,
        "upstream",
        source.urls[0],
        list(source.urls),
        downloads,
        sha,
        size,
        source.prepare + (f" {dict(source.options)}" if source.options else ""),
        what or source.what,
        exact,
    )
    notes = []
    if source is not entry.sources[0]:
        notes.append(f"used a fallback source: {source.what}")
    if source.sha256 is None and source.size is None:
        notes.append("no known checksum for this source: sha256 recorded in SOURCE.json, not verified")
    return FetchResult(entry.name, _install(folder, prepared, record), "fetched", record, notes)


def _check_present(entry: Dataset, folder: Path) -> FetchResult:
    """Verify an installed input.txt against its SOURCE.json (a fast no-op when all is well)."""
    path = folder / "input.txt"
    record = read_source(folder)
    if not isinstance(record, dict) or not isinstance(record.get("sha256"), str):
        return FetchResult(entry.name, path, "unverified")
    sha = sha256_file(path)
    if sha != record["sha256"]:
        raise CharlabError(
            f"{path} does not match its SOURCE.json (sha256 {sha[:12]}..., recorded "
            f"{record['sha256'][:12]}...): "
            f"it was modified or corrupted; run `{fetch_command(entry.name, folder.parent)} --force`"
        )
    return FetchResult(entry.name, path, "present", record)


def fetch_dataset(
    name: str,
    data_dir: Path | str | None = None,
    mirror: str | Path | None = None,
    force: bool = False,
    progress: bool | Progress = True,
    *,
    policy: Policy = DEFAULT_POLICY,
) -> FetchResult:
    """Make `<data_dir>/<name>/input.txt` exist and be verified; say what was done. See `fetch`."""
    try:
        return _fetch_dataset(name, data_dir, mirror, force, progress, policy)
    except OSError as e:  # disk full, read-only data dir...: the user's environment, not a bug
        where = f" ({e.filename})" if e.filename else ""
        raise CharlabError(f"could not fetch {name!r}: {e.strerror or e}{where}") from e


def _fetch_dataset(
    name: str,
    data_dir: Path | str | None,
    mirror: str | Path | None,
    force: bool,
    progress: bool | Progress,
    policy: Policy,
) -> FetchResult:
    entry = get_entry(name)
    data_dir = Path(data_dir) if data_dir is not None else default_data_dir()
    if mirror is None:
        mirror = os.environ.get("CHARLAB_DATA_MIRROR") or None
    folder = data_dir / name
    doubt = None
    if (folder / "input.txt").is_file() and not force:
        try:
            return _check_present(entry, folder)  # reads only: a verified dataset needs no lock, no write
        except CharlabError as e:
            doubt = e  # perhaps a concurrent --force between its two renames: look again under the lock
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise CharlabError(f"cannot create {folder}: {e.strerror}; choose another place with --data-dir") from e
    session = requests.Session()
    with contextlib.ExitStack() as held:
        try:
            held.enter_context(_locked(folder / ".lock"))
        except OSError as e:  # a read-only data dir: nothing can be fetched into it
            if doubt is not None:
                raise doubt from None
            raise CharlabError(
                f"cannot write {folder / '.lock'}: {e.strerror or e}; choose another place with --data-dir"
            ) from e
        if (folder / "input.txt").is_file() and not force:
            return _check_present(entry, folder)
        (folder / ".partial").mkdir(exist_ok=True)
        failures: list[str] = []
        offline = True
        try:
            if mirror:
                try:
                    result = _from_mirror(entry, Mirror(mirror, policy=policy, session=session), folder, progress)
                    remove(folder / ".partial")  # installed: partial downloads of any source are moot
                    return result
                except _SourceFailed as e:
                    failures.append(str(e))
            for source in entry.sources:
                try:
                    result = _from_upstream(entry, source, folder, policy, progress, session)
                    remove(folder / ".partial")
                    return result
                except _SourceFailed as e:
                    failures.append(str(e))
                    cause = e.__cause__
                    offline = offline and isinstance(cause, DownloadError) and cause.offline
        except OSError:  # a full or read-only disk: a kept .part would only keep the disk full for the next fetch
            remove(folder / ".partial")
            raise
        finally:
            remove(folder / ".partial" / "input.txt.tmp")
            remove(folder / ".partial" / "SOURCE.json.tmp")
            with contextlib.suppress(OSError):
                (folder / ".partial").rmdir()  # only when empty: resumable .part files stay
    hint = "no network? " + MIRROR_HINT if offline else MIRROR_HINT
    raise CharlabError(f"could not fetch {name!r}: {'; '.join(failures)}; {hint}")


def fetch(
    name: str,
    data_dir: Path | str | None = None,
    mirror: str | Path | None = None,
    force: bool = False,
    progress: bool | Progress = True,
    *,
    policy: Policy = DEFAULT_POLICY,
) -> Path:
    """Download, prepare and verify dataset `name` into `<data_dir>/<name>/input.txt`; return that path.

    `mirror` (a directory or HTTP base URL with SHA256SUMS; default `$CHARLAB_DATA_MIRROR`) is tried
    first, then the registry's upstream sources in order. Already present and matching its SOURCE.json: a
    fast no-op. `force` fetches again (the old file stays until the new one is verified). `progress`: True
    for a progress bar and a summary line on stderr, False for silence, or a callable(bytes_done, total).
    """
    result = fetch_dataset(name, data_dir, mirror, force, progress, policy=policy)
    if progress is True:
        print(result.summary(), file=sys.stderr)
    return result.path


def ensure(name: str, data_dir: Path | str | None = None, *, mirror: str | Path | None = None) -> Path:
    """The dataset's input.txt, fetched first (mirror first, then upstream) if it is not there yet.

    Notebooks call this: when the file is present it returns at once (no hashing); `fetch` verifies.
    """
    get_entry(name)
    folder = Path(data_dir) if data_dir is not None else default_data_dir()
    path = folder / name / "input.txt"
    if path.is_file():
        return path
    return fetch(name, folder, mirror=mirror)
