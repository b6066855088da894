"""charlab.datasets against a real HTTP server on 127.0.0.1 serving synthetic fixtures, with faults.

Every failure test ends with `assert_nothing_unverified`: no input.txt, no SOURCE.json, no temporary file;
at most a resumable `.part` download in `.partial/` (kept on purpose: the next run resumes with a Range
request).
"""

from __future__ import annotations

import errno
import hashlib
import io
import json
import os
import re
import socket
import subprocess
import sys
import tarfile
import threading
import time
import zipfile
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from charlab import datasets
from charlab.datasets import DATASETS, Dataset, KnownCopy, Policy, Source
from charlab.datasets import cli as datasets_cli
from charlab.datasets import download as download_module
from charlab.datasets import fetcher as fetcher_module
from charlab.datasets.download import _is_offline
from charlab.datasets.prepare import STEPS, strip_comment_header, strip_gutenberg
from charlab.errors import CharlabError

ROOT = Path(__file__).resolve().parents[2]
FAST = Policy(timeout=0.5, retries=2, backoff=0.01, max_backoff=0.02, chunk_size=1024)


# --- a small HTTP server with faults ----------------------------------------------------------------------


@dataclass
class Route:
    body: bytes
    fail_first: int = 0  # answer 500 to the first N requests
    drop_after: int | None = None  # cut the connection after this many body bytes...
    drops: int = 1  # ...this many times
    delay: float = 0.0  # seconds of silence before answering...
    delay_times: int = 1_000_000  # ...for the first N requests
    ranges: bool = True  # honour Range requests
    etag: str | None = None  # sent as ETag; an If-Range that differs gets the whole (new) file
    log: list[dict] = field(default_factory=list)  # headers of every request


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args) -> None:  # keep test output clean
        pass

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        route = self.server.routes.get(self.path)
        if route is None:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        route.log.append(dict(self.headers))
        n = len(route.log)
        try:
            if route.delay and n <= route.delay_times:
                time.sleep(route.delay)
            if n <= route.fail_first:
                self.send_response(500)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            body, start = route.body, 0
            m = re.match(r"bytes=(\d+)-$", self.headers.get("Range", ""))
            if_range = self.headers.get("If-Range")
            if m and route.ranges and (if_range is None or if_range == route.etag):
                start = int(m.group(1))
                if start >= len(body):
                    self.send_response(416)
                    self.send_header("Content-Range", f"bytes */{len(body)}")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(206)
                self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
            else:
                self.send_response(200)
            payload = body[start:]
            self.send_header("Content-Length", str(len(payload)))
            if route.etag:
                self.send_header("ETag", route.etag)
            self.end_headers()
            if route.drop_after is not None and route.drops > 0:
                route.drops -= 1
                self.wfile.write(payload[: route.drop_after])
                self.wfile.flush()
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError, OSError):
            pass  # the client gave up (timeout tests)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        pass


@pytest.fixture
def server():
    srv = _Server(("127.0.0.1", 0), _Handler)
    srv.routes = {}
    srv.url = f"http://127.0.0.1:{srv.server_address[1]}"
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()


@pytest.fixture(autouse=True)
def _no_ambient_config(monkeypatch):
    """Tests must not see the developer's mirror or data dir."""
    monkeypatch.delenv("CHARLAB_DATA_MIRROR", raising=False)
    monkeypatch.delenv("CHARLAB_DATA", raising=False)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def register(monkeypatch, name: str, *sources: Source, **extra) -> Dataset:
    entry = Dataset(
        name=name,
        description="fixture",
        chapter="tests",
        sources=sources,
        license="test",
        citation="test",
        preparation="test",
        differs_from_post="test",
        **extra,
    )
    monkeypatch.setitem(DATASETS, name, entry)
    return entry


def serve(server, path: str, body: bytes, **faults) -> Route:
    route = Route(body, **faults)
    server.routes[path] = route
    return route


def assert_nothing_unverified(folder: Path) -> None:
    """No input.txt/SOURCE.json/temporary file; only resumable *.part files may remain, in .partial/."""
    assert not (folder / "input.txt").exists()
    assert not (folder / "SOURCE.json").exists()
    leftovers = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    for name in leftovers:
        assert name == ".lock" or (name.startswith(".partial/") and name.endswith((".part", ".part.etag"))), leftovers


TEXT = b"".join(b"line %05d of synthetic text for the datasets tests\n" % i for i in range(400))  # ~20 KB


def resumed_at(headers: dict) -> int:
    """The offset a request asked to resume from."""
    return int(re.fullmatch(r"bytes=(\d+)-", headers["Range"]).group(1))


def copy_source(server, path="/text.txt", body=TEXT, **kw) -> Source:
    return Source(urls=(server.url + path,), prepare="copy", what="fixture text", **kw)


# --- downloads, retries, faults -----------------------------------------------------------------------------


def test_fetch_installs_verified_file_with_source_json(server, monkeypatch, tmp_path):
    route = serve(server, "/text.txt", TEXT)
    register(monkeypatch, "fx", copy_source(server, sha256=sha(TEXT), size=len(TEXT)))
    path = datasets.fetch("fx", tmp_path, progress=False, policy=FAST)
    assert path == tmp_path / "fx" / "input.txt" and path.read_bytes() == TEXT
    record = json.loads((tmp_path / "fx" / "SOURCE.json").read_text())
    assert record["source"] == "upstream" and record["url"] == server.url + "/text.txt"
    assert record["sha256"] == sha(TEXT) and record["size"] == len(TEXT) and record["is_registry_file"] is True
    assert record["downloaded_sha256"] == {server.url + "/text.txt": sha(TEXT)} and record["license"] == "test"
    assert not (tmp_path / "fx" / ".partial").exists()
    # running again is a fast no-op: verified against SOURCE.json, no request made
    again = datasets.fetch_dataset("fx", tmp_path, progress=False, policy=FAST)
    assert again.status == "present" and "present, verified" in again.summary() and len(route.log) == 1


def test_dropped_connection_resumes_with_range(server, monkeypatch, tmp_path):
    route = serve(server, "/text.txt", TEXT, drop_after=5000)
    register(monkeypatch, "fx", copy_source(server, sha256=sha(TEXT)))
    assert datasets.fetch("fx", tmp_path, progress=False, policy=FAST).read_bytes() == TEXT
    assert "Range" not in route.log[0] and 0 < resumed_at(route.log[1]) <= 5000  # what reached the disk


def test_server_ignoring_range_restarts_from_zero(server, monkeypatch, tmp_path):
    route = serve(server, "/text.txt", TEXT, drop_after=5000, ranges=False)
    register(monkeypatch, "fx", copy_source(server, sha256=sha(TEXT)))
    assert datasets.fetch("fx", tmp_path, progress=False, policy=FAST).read_bytes() == TEXT
    assert resumed_at(route.log[1]) > 0  # asked, got a 200 with the whole file, not glued on


def test_500_then_success(server, monkeypatch, tmp_path):
    route = serve(server, "/text.txt", TEXT, fail_first=2)
    register(monkeypatch, "fx", copy_source(server, sha256=sha(TEXT)))
    assert datasets.fetch("fx", tmp_path, progress=False, policy=FAST).read_bytes() == TEXT
    assert len(route.log) == 3


def test_persistent_500_gives_up_with_a_clear_error(server, monkeypatch, tmp_path):
    route = serve(server, "/text.txt", TEXT, fail_first=99)
    register(monkeypatch, "fx", copy_source(server))
    with pytest.raises(CharlabError, match=r"HTTP 500 after 3 attempts.*--mirror"):
        datasets.fetch("fx", tmp_path, progress=False, policy=FAST)
    assert len(route.log) == 3
    assert_nothing_unverified(tmp_path / "fx")


def test_wrong_checksum_deletes_download_and_names_the_url(server, monkeypatch, tmp_path):
    serve(server, "/text.txt", TEXT)
    register(monkeypatch, "fx", copy_source(server, sha256="0" * 64))
    with pytest.raises(CharlabError) as err:
        datasets.fetch("fx", tmp_path, progress=False, policy=FAST)
    message = str(err.value)
    assert server.url + "/text.txt" in message and sha(TEXT)[:12] in message and "0" * 12 in message
    assert "\n" not in message
    assert_nothing_unverified(tmp_path / "fx")
    assert not (tmp_path / "fx" / ".partial").exists()  # wrong bytes are not kept for a resume


def test_wrong_size_is_rejected(server, monkeypatch, tmp_path):
    serve(server, "/text.txt", TEXT)
    register(monkeypatch, "fx", copy_source(server, size=len(TEXT) + 1))
    with pytest.raises(CharlabError, match=f"expected {len(TEXT) + 1:,} bytes"):
        datasets.fetch("fx", tmp_path, progress=False, policy=FAST)
    assert_nothing_unverified(tmp_path / "fx")


def test_response_slower_than_timeout(server, monkeypatch, tmp_path):
    slow = Policy(timeout=0.2, retries=1, backoff=0.01, chunk_size=1024)
    route = serve(server, "/text.txt", TEXT, delay=0.6)
    register(monkeypatch, "fx", copy_source(server))
    with pytest.raises(CharlabError, match="timed out after 2 attempts"):
        datasets.fetch("fx", tmp_path, progress=False, policy=slow)
    assert len(route.log) == 2
    assert_nothing_unverified(tmp_path / "fx")


def test_slow_first_response_is_retried(server, monkeypatch, tmp_path):
    slow = Policy(timeout=0.2, retries=2, backoff=0.01, chunk_size=1024)
    serve(server, "/text.txt", TEXT, delay=0.6, delay_times=1)
    register(monkeypatch, "fx", copy_source(server, sha256=sha(TEXT)))
    assert datasets.fetch("fx", tmp_path, progress=False, policy=slow).read_bytes() == TEXT


def test_ctrl_c_mid_download_leaves_only_a_resumable_part(server, monkeypatch, tmp_path):
    route = serve(server, "/text.txt", TEXT)
    register(monkeypatch, "fx", copy_source(server, sha256=sha(TEXT)))

    def interrupt(done, total):
        if done >= 4096:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        datasets.fetch("fx", tmp_path, progress=interrupt, policy=FAST)
    assert_nothing_unverified(tmp_path / "fx")
    (part,) = (tmp_path / "fx" / ".partial").glob("*.part")
    kept = part.stat().st_size
    assert 4096 <= kept < len(TEXT)
    # the next run resumes where Ctrl-C stopped it
    assert datasets.fetch("fx", tmp_path, progress=False, policy=FAST).read_bytes() == TEXT
    assert route.log[1]["Range"] == f"bytes={kept}-"
    assert not (tmp_path / "fx" / ".partial").exists()


def _interrupt_after(n: int):
    def callback(done, total):
        if done >= n:
            raise KeyboardInterrupt

    return callback


def test_file_changed_upstream_between_runs_is_not_glued(server, monkeypatch, tmp_path):
    route = serve(server, "/text.txt", TEXT, etag='"v1"')
    register(monkeypatch, "fx", copy_source(server))  # no known checksum: only If-Range can protect it
    with pytest.raises(KeyboardInterrupt):
        datasets.fetch("fx", tmp_path, progress=_interrupt_after(4096), policy=FAST)
    assert_nothing_unverified(tmp_path / "fx")
    new = TEXT.replace(b"line", b"LINE")
    route.body, route.etag = new, '"v2"'
    assert datasets.fetch("fx", tmp_path, progress=False, policy=FAST).read_bytes() == new
    assert route.log[1]["If-Range"] == '"v1"' and resumed_at(route.log[1]) >= 4096


def test_unchecked_file_without_validator_restarts(server, monkeypatch, tmp_path):
    route = serve(server, "/text.txt", TEXT)
    register(monkeypatch, "fx", copy_source(server))
    with pytest.raises(KeyboardInterrupt):
        datasets.fetch("fx", tmp_path, progress=_interrupt_after(4096), policy=FAST)
    assert datasets.fetch("fx", tmp_path, progress=False, policy=FAST).read_bytes() == TEXT
    assert "Range" not in route.log[1]  # nothing could tell whether the file changed: start over


def kept_part(folder: Path, url: str, data: bytes) -> Path:
    """A `.part` left by an earlier run for `url`, holding `data`."""
    part = folder / ".partial" / fetcher_module._partial_name(url)
    part.parent.mkdir(parents=True, exist_ok=True)
    part.write_bytes(data)
    return part


GARBAGE = b"not the beginning of this file; "


@pytest.mark.parametrize("kept", [4000, len(TEXT)], ids=["shorter", "as long as the file"])
def test_a_garbage_part_is_discarded_and_fetched_again_in_the_same_run(kept, server, monkeypatch, tmp_path, capsys):
    url = server.url + "/text.txt"
    route = serve(server, "/text.txt", TEXT)
    register(monkeypatch, "fx", copy_source(server, sha256=sha(TEXT)))
    kept_part(tmp_path / "fx", url, (GARBAGE * 1000)[:kept])
    monkeypatch.setattr(datasets_cli, "fetch_dataset", lambda *a, **k: datasets.fetch_dataset(*a, **k, policy=FAST))
    assert datasets.main(["fx", "--data-dir", str(tmp_path), "--quiet"]) == 0
    assert (tmp_path / "fx" / "input.txt").read_bytes() == TEXT
    assert resumed_at(route.log[0]) == kept and "Range" not in route.log[-1]  # trusted once, then from zero
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("fx: fetched from") and out[1] == (
        f"  note: resuming the partial download of {url} gave wrong bytes (a leftover of an earlier run?): "
        "discarded it and downloaded again from scratch"
    )
    assert not (tmp_path / "fx" / ".partial").exists()


def test_a_garbage_part_is_fetched_again_only_once(server, monkeypatch, tmp_path):
    url = server.url + "/text.txt"
    route = serve(server, "/text.txt", TEXT)
    register(monkeypatch, "fx", copy_source(server, sha256="0" * 64))  # the server's bytes never match
    kept_part(tmp_path / "fx", url, GARBAGE * 100)
    with pytest.raises(CharlabError) as err:
        datasets.fetch("fx", tmp_path, progress=False, policy=FAST)
    message = str(err.value)
    assert "\n" not in message and "twice: resumed, then downloaded again from scratch" in message
    assert len(route.log) == 2 and "Range" in route.log[0] and "Range" not in route.log[1]
    assert_nothing_unverified(tmp_path / "fx")
    assert not (tmp_path / "fx" / ".partial").exists()


def test_a_part_without_a_resume_is_not_fetched_twice(server, monkeypatch, tmp_path):
    route = serve(server, "/text.txt", TEXT)
    register(monkeypatch, "fx", copy_source(server, sha256="0" * 64))
    with pytest.raises(CharlabError) as err:
        datasets.fetch("fx", tmp_path, progress=False, policy=FAST)
    assert len(route.log) == 1 and "twice" not in str(err.value)  # nothing kept was trusted: no second try


def test_a_garbage_part_from_an_http_mirror_is_fetched_again(server, monkeypatch, tmp_path):
    serve(server, "/m/SHA256SUMS", f"{sha(TEXT)}  fx/input.txt\n".encode())
    route = serve(server, "/m/fx/input.txt", TEXT)
    register(monkeypatch, "fx", Source(("http://127.0.0.1:9/never",), "copy", "x"))
    kept_part(tmp_path / "fx", server.url + "/m/fx/input.txt", GARBAGE * 100)
    result = datasets.fetch_dataset("fx", tmp_path, mirror=server.url + "/m", progress=False, policy=FAST)
    assert result.source["source"] == "mirror" and result.path.read_bytes() == TEXT
    assert resumed_at(route.log[0]) == len(GARBAGE) * 100 and "Range" not in route.log[1]
    assert "gave wrong bytes" in result.notes[0]


def test_ctrl_c_during_preparation_removes_the_temporary_file(server, monkeypatch, tmp_path):
    serve(server, "/text.txt", TEXT)
    register(monkeypatch, "fx", copy_source(server))

    def interrupted_copy(inputs, out):
        out.write(b"half of it")
        raise KeyboardInterrupt

    monkeypatch.setitem(STEPS, "copy", interrupted_copy)
    with pytest.raises(KeyboardInterrupt):
        datasets.fetch("fx", tmp_path, progress=False, policy=FAST)
    assert_nothing_unverified(tmp_path / "fx")


def test_existing_file_survives_a_failed_force(server, monkeypatch, tmp_path):
    serve(server, "/text.txt", TEXT)
    register(monkeypatch, "fx", copy_source(server, sha256=sha(TEXT)))
    datasets.fetch("fx", tmp_path, progress=False, policy=FAST)
    server.routes["/text.txt"] = Route(TEXT, fail_first=99)
    with pytest.raises(CharlabError):
        datasets.fetch("fx", tmp_path, force=True, progress=False, policy=FAST)
    assert (tmp_path / "fx" / "input.txt").read_bytes() == TEXT  # the old verified file is untouched


def test_fallback_source_is_used_and_reported(server, monkeypatch, tmp_path):
    serve(server, "/second.txt", TEXT)
    register(
        monkeypatch,
        "fx",
        Source(urls=(server.url + "/missing.txt",), prepare="copy", what="first", sha256=sha(TEXT)),
        Source(urls=(server.url + "/second.txt",), prepare="copy", what="the fallback"),
    )
    result = datasets.fetch_dataset("fx", tmp_path, progress=False, policy=FAST)
    assert result.source["url"] == server.url + "/second.txt"
    assert result.source["is_registry_file"] is True  # same bytes as the registry's file after all
    assert any("fallback" in note for note in result.notes)


def test_no_network_error_mentions_mirror(monkeypatch, tmp_path):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    register(monkeypatch, "fx", Source(urls=(f"http://127.0.0.1:{port}/x.txt",), prepare="copy", what="x"))
    with pytest.raises(CharlabError, match=r"connection failed.*--mirror DIR_OR_URL"):
        datasets.fetch("fx", tmp_path, progress=False, policy=FAST)
    assert_nothing_unverified(tmp_path / "fx")


def test_dns_failure_counts_as_offline():
    import requests

    inner = OSError("[Errno -3] Temporary failure in name resolution")
    outer = requests.ConnectionError("HTTPConnectionPool: Max retries exceeded")
    outer.__context__ = inner
    assert _is_offline(outer) and not _is_offline(requests.ConnectionError("Connection refused"))


def test_concurrent_fetches_download_once(server, monkeypatch, tmp_path):
    route = serve(server, "/text.txt", TEXT, delay=0.3)
    register(monkeypatch, "fx", copy_source(server, sha256=sha(TEXT)))
    results = []

    def run():
        results.append(datasets.fetch_dataset("fx", tmp_path, progress=False, policy=FAST).status)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert sorted(results) == ["fetched", "present"] and len(route.log) == 1


def test_modified_input_is_detected_and_force_refetches(server, monkeypatch, tmp_path):
    serve(server, "/text.txt", TEXT)
    register(monkeypatch, "fx", copy_source(server, sha256=sha(TEXT)))
    path = datasets.fetch("fx", tmp_path, progress=False, policy=FAST)
    path.write_bytes(b"edited")
    with pytest.raises(CharlabError, match="modified or corrupted.*--force"):
        datasets.fetch("fx", tmp_path, progress=False, policy=FAST)
    assert datasets.fetch("fx", tmp_path, force=True, progress=False, policy=FAST).read_bytes() == TEXT


def read_only(monkeypatch, folder: Path) -> None:
    """Make `folder` behave as on a read-only disk: opening a file for writing or making a folder fails with EROFS
    (as root too, where permission bits are ignored), and its permission bits say so where they count."""
    real_open = open

    def refuse(path, mode="r", *args, **kwargs):
        if any(c in mode for c in "wax+"):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))
        return real_open(path, mode, *args, **kwargs)

    def no_mkdir(self, mode=0o777, parents=False, exist_ok=False):
        if exist_ok and self.is_dir():  # as mkdir(2) says EEXIST before EROFS
            return
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(self))

    monkeypatch.setattr(fetcher_module, "open", refuse, raising=False)
    monkeypatch.setattr(Path, "mkdir", no_mkdir)
    for path in [*folder.rglob("*"), folder]:
        os.chmod(path, path.stat().st_mode & ~0o222)


def test_a_verified_dataset_on_a_read_only_disk_needs_no_lock(server, monkeypatch, tmp_path, capsys):
    route = serve(server, "/text.txt", TEXT)
    register(monkeypatch, "fx", copy_source(server, sha256=sha(TEXT)))
    register(monkeypatch, "fy", copy_source(server, sha256=sha(TEXT)))
    register(monkeypatch, "fz", copy_source(server, sha256=sha(TEXT)))
    for name in ("fx", "fz"):
        datasets.fetch(name, tmp_path, progress=False, policy=FAST)
        (tmp_path / name / ".lock").unlink()  # e.g. a shared data folder copied without its lock files
    (tmp_path / "fz" / "input.txt").write_bytes(b"edited")
    (tmp_path / "fy").mkdir()  # a dataset not fetched yet
    requests_made = len(route.log)
    try:
        read_only(monkeypatch, tmp_path)
        result = datasets.fetch_dataset("fx", tmp_path, progress=False, policy=FAST)
        assert result.status == "present" and result.path.read_bytes() == TEXT
        assert datasets.main(["fx", "--data-dir", str(tmp_path), "--quiet"]) == 0
        assert capsys.readouterr().out.startswith("fx: present, verified (")
        with pytest.raises(CharlabError) as err:  # nothing there: the lock is the first write, and says so
            datasets.fetch("fy", tmp_path, progress=False, policy=FAST)
        assert str(err.value) == (
            f"cannot write {tmp_path / 'fy' / '.lock'}: {os.strerror(errno.EROFS)}; "
            "choose another place with --data-dir"
        )
        with pytest.raises(CharlabError, match="modified or corrupted.*--force"):  # not hidden by the lock
            datasets.fetch("fz", tmp_path, progress=False, policy=FAST)
        assert len(route.log) == requests_made and not (tmp_path / "fx" / ".lock").exists()
    finally:
        for path in [tmp_path, *tmp_path.rglob("*")]:
            os.chmod(path, path.stat().st_mode | 0o200)


def test_users_own_input_is_left_alone(server, monkeypatch, tmp_path):
    register(monkeypatch, "fx", copy_source(server))
    (tmp_path / "fx").mkdir()
    (tmp_path / "fx" / "input.txt").write_bytes(b"mine")
    result = datasets.fetch_dataset("fx", tmp_path, progress=False, policy=FAST)
    assert result.status == "unverified" and (tmp_path / "fx" / "input.txt").read_bytes() == b"mine"


# --- preparation paths --------------------------------------------------------------------------------------


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _tar(members: dict[str, bytes], mode: str, symlinks: dict[str, str] | None = None) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode=mode) as tf:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
        for name, target in (symlinks or {}).items():
            info = tarfile.TarInfo(name)
            info.type, info.linkname = tarfile.SYMTYPE, target
            tf.addfile(info)
    return buf.getvalue()


ENWIK = b'<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.3/">\n' + b"<page>[[link]] text</page>\n" * 500
TEX = {  # shaped like GitHub's archive of stacks-project: one top-level folder
    "stacks-project-aca856f4/b.tex": b"\\input{preamble}\nB\n\\end{document}\n",
    "stacks-project-aca856f4/a.tex": b"\\input{preamble}\na\n\\end{document}\n",
    "stacks-project-aca856f4/A.tex": b"\\input{preamble}\nA (uppercase sorts first in C locale)\n",
    "stacks-project-aca856f4/sub/c.tex": b"% in a subfolder\n",
    "stacks-project-aca856f4/sub.tex": b"% '.' sorts before '/'\n",
    "stacks-project-aca856f4/Makefile": b"all:\n",
    "stacks-project-aca856f4/README.md": b"not tex\n",
}
TEX_EXPECTED = b"".join(
    TEX[f"stacks-project-aca856f4/{n}"] for n in ("A.tex", "a.tex", "b.tex", "sub.tex", "sub/c.tex")
)
KERNEL = {
    "linux-4.0/kernel/fork.c": b"int fork(void) { return 0; }\n",
    "linux-4.0/include/linux/sched.h": b"#define TASK_RUNNING 0\n",
    "linux-4.0/Documentation/README": b"docs\n",
    "linux-4.0/scripts/x.py": b"print()\n",
    "linux-4.0/arch/x86/boot.S": b"nop\n",
}
KERNEL_EXPECTED = KERNEL["linux-4.0/include/linux/sched.h"] + KERNEL["linux-4.0/kernel/fork.c"]
GUTENBERG_BODY = (
    "THE SONNETS\r\n\r\nFrom fairest creatures we desire increase,\r\n  That thereby beauty’s rose might never die,\r\n"
)
GUTENBERG = (
    "\ufeffThe Project Gutenberg eBook of The Complete Works of William Shakespeare\r\n\r\n"
    "This eBook is for the use of anyone anywhere...\r\n\r\n"
    "*** START OF THE PROJECT GUTENBERG EBOOK THE COMPLETE WORKS OF WILLIAM SHAKESPEARE ***\r\n\r\n\r\n"
    + GUTENBERG_BODY
    + "\r\n\r\n\r\n*** END OF THE PROJECT GUTENBERG EBOOK THE COMPLETE WORKS OF WILLIAM SHAKESPEARE ***\r\n"
    "Updated editions will replace the previous one...\r\nSTART: FULL LICENSE\r\n"
).encode()
GUTENBERG_EXPECTED = GUTENBERG_BODY.replace("\r\n", "\n").encode()
CMU_MALE = b"# List of common male names.\n# Copyright (c) January 1991 by Mark Kantrowitz.\n#\n\nAamir\nAaron\n"
CMU_FEMALE = b"# List of common female names.\n# Version 1.3\nAbagael\nAbagail\n"
WARPEACE = '\ufeff"Well, Prince, so Genoa and Lucca\r\nare now just family estates."\r\n'.encode()

PREPARATIONS = {
    # name: (files served, prepare step, options, expected input.txt)
    "enwik8-zip": ({"/enwik8.zip": _zip({"enwik8": ENWIK})}, "zip_member", {"member": "enwik8"}, ENWIK),
    "latex-targz": (
        {"/stacks.tar.gz": _tar(TEX, "w:gz")},
        "archive_concat",
        {"suffixes": (".tex",)},
        TEX_EXPECTED,
    ),
    "latex-zip": ({"/stacks.zip": _zip(TEX)}, "archive_concat", {"suffixes": (".tex",)}, TEX_EXPECTED),
    "linux-tarxz": (
        {"/linux-4.0.tar.xz": _tar(KERNEL, "w:xz", symlinks={"linux-4.0/include/asm.h": "linux/sched.h"})},
        "archive_concat",
        {"suffixes": (".c", ".h")},
        KERNEL_EXPECTED,
    ),
    "gutenberg": ({"/pg100.txt": GUTENBERG}, "gutenberg", {}, GUTENBERG_EXPECTED),
    "cmu-names": (
        {"/male.txt": CMU_MALE, "/female.txt": CMU_FEMALE},
        "cmu_names",
        {},
        b"Aamir\nAaron\nAbagael\nAbagail\n",
    ),
    "nltk-names-zip": (
        {"/names.zip": _zip({"names/female.txt": b"Abagael\n", "names/male.txt": b"Aamir\n", "names/README": b"r"})},
        "zip_members",
        {"members": ("names/male.txt", "names/female.txt")},
        b"Aamir\nAbagael\n",
    ),
    "crlf-bom": ({"/warpeace_input.txt": WARPEACE}, "newlines", {}, WARPEACE[3:].replace(b"\r\n", b"\n")),
}


@pytest.mark.parametrize("case", PREPARATIONS)
def test_preparation_paths(case, server, monkeypatch, tmp_path):
    files, step, options, expected = PREPARATIONS[case]
    for path, body in files.items():
        serve(server, path, body)
    urls = tuple(server.url + p for p in files)
    register(monkeypatch, "fx", Source(urls, step, "fixture", sha256=sha(expected), options=options))
    result = datasets.fetch_dataset("fx", tmp_path, progress=False, policy=FAST)
    assert result.path.read_bytes() == expected
    assert set(result.source["downloaded_sha256"]) == set(urls)
    assert not (tmp_path / "fx" / ".partial").exists()  # downloads and spooled members are cleaned up


@pytest.mark.parametrize(
    ("step", "body", "options", "message"),
    [
        ("zip_member", b"not a zip at all", {"member": "enwik8"}, "not a zip file"),
        ("zip_member", _zip({"other": b"x"}), {"member": "enwik8"}, "no member 'enwik8'"),
        ("archive_concat", _tar({"x/README": b"x"}, "w:gz"), {"suffixes": (".tex",)}, "no .tex files"),
        ("archive_concat", _tar(TEX, "w:gz")[:200], {"suffixes": (".tex",)}, "corrupt or truncated"),
        ("gutenberg", b"just some text\n", {}, "START OF THE PROJECT GUTENBERG"),
    ],
)
def test_bad_download_is_reported_and_deleted(step, body, options, message, server, monkeypatch, tmp_path):
    serve(server, "/file", body)
    register(monkeypatch, "fx", Source((server.url + "/file",), step, "fixture", options=options))
    with pytest.raises(CharlabError, match=message):
        datasets.fetch("fx", tmp_path, progress=False, policy=FAST)
    assert_nothing_unverified(tmp_path / "fx")
    assert not (tmp_path / "fx" / ".partial").exists()


def test_gutenberg_old_style_markers():
    text = b"header\n*** START OF THIS PROJECT GUTENBERG EBOOK X ***\n\nBody\n\n"
    text += b"End of the Project Gutenberg EBook\n"
    text += b"*** END OF THIS PROJECT GUTENBERG EBOOK X ***\nlicense\n"
    assert strip_gutenberg(text) == b"Body\n\nEnd of the Project Gutenberg EBook\n"


def test_comment_header_needs_names():
    assert strip_comment_header(b"# c\nA\r\nB") == b"A\nB\n"
    with pytest.raises(Exception, match="no names"):
        strip_comment_header(b"# only comments\n\n")


# --- mirrors ------------------------------------------------------------------------------------------------


def make_mirror(root: Path, files: dict[str, bytes], sums: dict[str, str] | None = None) -> Path:
    for name, data in files.items():
        (root / name).mkdir(parents=True)
        (root / name / "input.txt").write_bytes(data)
    sums = sums if sums is not None else {name: sha(data) for name, data in files.items()}
    (root / "SHA256SUMS").write_text("".join(f"{h}  {n}/input.txt\n" for n, h in sums.items()))
    return root


def test_mirror_directory_is_tried_first_and_identified(server, monkeypatch, tmp_path):
    other = b"a different edition\n"
    route = serve(server, "/text.txt", TEXT)
    register(
        monkeypatch,
        "fx",
        copy_source(server, sha256=sha(TEXT)),
        known_copies=(KnownCopy(sha(other), 20, "B"),),
    )
    mirror = make_mirror(tmp_path / "mirror", {"fx": other})
    result = datasets.fetch_dataset("fx", tmp_path / "data", mirror=mirror, progress=False, policy=FAST)
    assert result.path.read_bytes() == other and not route.log
    assert result.source["source"] == "mirror" and result.source["url"] == str(mirror / "fx" / "input.txt")
    assert result.source["identified_as"] == "B" and result.source["is_registry_file"] is False
    assert any("not the registry's file" in n for n in result.notes)


def test_mirror_from_environment_and_ensure(monkeypatch, tmp_path):
    register(monkeypatch, "fx", Source(("http://127.0.0.1:9/never",), "copy", "x", sha256=sha(TEXT)))
    monkeypatch.setenv("CHARLAB_DATA_MIRROR", str(make_mirror(tmp_path / "mirror", {"fx": TEXT})))
    path = datasets.ensure("fx", tmp_path / "data")
    assert path.read_bytes() == TEXT
    monkeypatch.setenv("CHARLAB_DATA_MIRROR", str(tmp_path / "gone"))
    assert datasets.ensure("fx", tmp_path / "data") == path  # present: no fetch at all


@pytest.mark.parametrize("problem", ["bad sum", "no line", "no SHA256SUMS", "no directory"])
def test_unusable_mirror_falls_back_to_upstream(problem, server, monkeypatch, tmp_path):
    serve(server, "/text.txt", TEXT)
    register(monkeypatch, "fx", copy_source(server, sha256=sha(TEXT)))
    mirror = tmp_path / "mirror"
    if problem == "bad sum":
        make_mirror(mirror, {"fx": b"corrupted copy"}, sums={"fx": sha(b"the real copy")})
    elif problem == "no line":
        make_mirror(mirror, {"fx": TEXT}, sums={})
    elif problem == "no SHA256SUMS":
        make_mirror(mirror, {"fx": TEXT})
        (mirror / "SHA256SUMS").unlink()
    result = datasets.fetch_dataset("fx", tmp_path / "data", mirror=mirror, progress=False, policy=FAST)
    assert result.source["source"] == "upstream" and result.path.read_bytes() == TEXT


def test_mirror_checksum_failure_message(monkeypatch, tmp_path):
    register(monkeypatch, "fx", Source(("http://127.0.0.1:9/never",), "copy", "x"))
    mirror = make_mirror(tmp_path / "mirror", {"fx": b"corrupted copy"}, sums={"fx": sha(b"the real copy")})
    with pytest.raises(CharlabError, match=r"served sha256 .* SHA256SUMS says"):
        datasets.fetch("fx", tmp_path / "data", mirror=mirror, progress=False, policy=FAST)
    assert_nothing_unverified(tmp_path / "data" / "fx")


def test_http_mirror(server, monkeypatch, tmp_path):
    serve(server, "/m/SHA256SUMS", f"{sha(TEXT)}  fx/input.txt\n".encode())
    route = serve(server, "/m/fx/input.txt", TEXT, drop_after=3000)
    register(monkeypatch, "fx", Source(("http://127.0.0.1:9/never",), "copy", "x"))
    result = datasets.fetch_dataset("fx", tmp_path, mirror=server.url + "/m/", progress=False, policy=FAST)
    assert result.path.read_bytes() == TEXT and result.source["url"] == server.url + "/m/fx/input.txt"
    assert 0 < resumed_at(route.log[1]) <= 3000


# --- paths and names ----------------------------------------------------------------------------------------


def test_default_data_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("CHARLAB_DATA", str(tmp_path / "elsewhere"))
    assert datasets.default_data_dir() == tmp_path / "elsewhere"
    monkeypatch.delenv("CHARLAB_DATA")
    project = tmp_path / "project"
    (project / "data_scripts").mkdir(parents=True)
    (project / "data_scripts" / "fetch.py").write_text("")
    (project / "notebooks").mkdir()
    monkeypatch.chdir(project / "notebooks")
    assert datasets.default_data_dir() == project / "data"
    monkeypatch.chdir(tmp_path)
    assert datasets.default_data_dir() == tmp_path / "data"


def test_dataset_path_errors_say_what_to_do(tmp_path):
    with pytest.raises(CharlabError, match="did you mean 'tinyshakespeare'"):
        datasets.dataset_path("tinyshakespear", tmp_path)
    with pytest.raises(CharlabError) as err:
        datasets.dataset_path("pg", tmp_path)
    assert "python data_scripts/fetch.py pg" in str(err.value) and "\n" not in str(err.value)
    (tmp_path / "pg").mkdir()
    (tmp_path / "pg" / "input.txt").write_text("x")
    assert datasets.dataset_path("pg", tmp_path) == tmp_path / "pg" / "input.txt"


def test_resolve_data_arg(tmp_path):
    own = tmp_path / "mine.txt"
    own.write_text("x")
    assert datasets.resolve_data_arg(str(own)) == own
    assert datasets.resolve_data_arg(str(tmp_path)) == tmp_path  # a directory is the reader's problem
    (tmp_path / "names").mkdir()
    (tmp_path / "names" / "input.txt").write_text("Aamir\n")
    assert datasets.resolve_data_arg("names", tmp_path) == tmp_path / "names" / "input.txt"
    with pytest.raises(CharlabError, match=r"no such file or dataset: 'warpiece' \(did you mean 'warpeace'\?\)"):
        datasets.resolve_data_arg("warpiece", tmp_path)


def test_sha256_file(tmp_path):
    (tmp_path / "f").write_bytes(TEXT)
    assert datasets.sha256_file(tmp_path / "f") == sha(TEXT)


def test_registry_is_consistent():
    assert {
        "tinyshakespeare",
        "shakespeare",
        "pg",
        "wikipedia",
        "latex",
        "linux",
        "names",
        "warpeace",
        "blog",
    } <= set(DATASETS)
    for name, entry in DATASETS.items():
        assert entry.name == name and entry.sources and entry.urls and entry.license and entry.citation
        for source in entry.sources:
            assert source.prepare in STEPS and source.urls
            assert source.sha256 is None or re.fullmatch(r"[0-9a-f]{64}", source.sha256)
    assert DATASETS["tinyshakespeare"].sha256.startswith("86c4e6aa") and DATASETS["latex"].size == 16_689_022
    assert DATASETS["warpeace"].sha256.endswith("d889b") and DATASETS["wikipedia"].size == 100_000_000


# --- the command line ---------------------------------------------------------------------------------------


def test_cli_list_and_fetch_from_mirror(monkeypatch, tmp_path, capsys):
    register(monkeypatch, "fx", Source(("http://127.0.0.1:9/never",), "copy", "x", size=len(TEXT)))
    mirror = make_mirror(tmp_path / "mirror", {"fx": TEXT})
    data = str(tmp_path / "data")
    assert datasets.main(["fx", "--data-dir", data, "--mirror", str(mirror), "--quiet"]) == 0
    assert "fx: fetched from" in capsys.readouterr().out
    assert datasets.main(["fx", "--data-dir", data]) == 0
    assert "fx: present, verified" in capsys.readouterr().out
    assert datasets.main(["--list", "--data-dir", data]) == 0
    listing = capsys.readouterr().out
    assert re.search(r"fx\s+20.8 KB\s+fetched \(mirror\)", listing) and re.search(r"pg\s+2.3 MB\s+not fetched", listing)


@pytest.mark.parametrize(
    ("argv", "code", "message"),
    [
        (["tinyshakspeare"], 2, "did you mean 'tinyshakespeare'"),
        ([], 2, "name a dataset"),
        (["--all", "pg"], 2, "not both"),
        (["--bogus"], 2, "unrecognized arguments"),
        (["fx"], 1, "could not fetch 'fx'"),
    ],
)
def test_cli_errors_are_one_line(argv, code, message, monkeypatch, tmp_path, capsys):
    register(monkeypatch, "fx", Source(("http://127.0.0.1:9/never",), "copy", "x"))
    monkeypatch.setattr(datasets_cli, "fetch_dataset", lambda *a, **k: datasets.fetch_dataset(*a, **k, policy=FAST))
    assert datasets.main([*argv, "--data-dir", str(tmp_path)]) == code
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_cli_ctrl_c_exits_130(monkeypatch, tmp_path, capsys):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(datasets_cli, "fetch_dataset", interrupted)
    assert datasets.main(["pg", "--data-dir", str(tmp_path)]) == 130
    assert "interrupted" in capsys.readouterr().err


def test_fetch_script_runs_from_a_checkout(tmp_path):
    for command in ([str(ROOT / "data_scripts" / "fetch.py")], ["-m", "charlab.datasets"]):
        done = subprocess.run(
            [sys.executable, *command, "--list", "--data-dir", str(tmp_path)], capture_output=True, text=True
        )
        assert done.returncode == 0 and "tinyshakespeare" in done.stdout
    done = subprocess.run(
        [sys.executable, str(ROOT / "data_scripts" / "fetch.py"), "nope"], capture_output=True, text=True
    )
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "Traceback" not in done.stderr


def test_book_data_page_is_generated_from_the_registry():
    from charlab.datasets.page import render

    page = (ROOT / "book" / "data.md").read_text(encoding="utf-8")
    assert page.startswith("# Data and licenses\n")
    assert page == render(), "book/data.md is stale: python -m charlab.datasets.page > book/data.md"
    for entry in DATASETS.values():
        assert f"## `{entry.name}`" in page and all(url in page for url in entry.urls)


def test_real_sigint_exits_130_and_installs_nothing(server, tmp_path):
    """A real Ctrl-C (SIGINT) to `fetch.py` while it waits on a slow HTTP mirror."""
    import os
    import signal

    serve(server, "/m/SHA256SUMS", f"{sha(TEXT)}  blog/input.txt\n".encode())
    route = serve(server, "/m/blog/input.txt", TEXT, delay=5.0)
    command = [sys.executable, str(ROOT / "data_scripts" / "fetch.py"), "blog", "--data-dir", str(tmp_path)]
    proc = subprocess.Popen(
        [*command, "--mirror", server.url + "/m"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "CHARLAB_DATA_MIRROR": ""},
    )
    deadline = time.monotonic() + 20
    while not route.log and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=20)
    assert proc.returncode == 130 and "interrupted" in err and "Traceback" not in err
    assert_nothing_unverified(tmp_path / "blog")


def test_unwritable_data_dir_is_a_clear_error(monkeypatch, tmp_path):
    register(monkeypatch, "fx", Source(("http://127.0.0.1:9/never",), "copy", "x"))
    (tmp_path / "file").write_text("not a directory")
    with pytest.raises(CharlabError, match="cannot create .*--data-dir"):
        datasets.fetch("fx", tmp_path / "file", progress=False, policy=FAST)


def test_a_full_disk_leaves_no_part_file_behind(server, monkeypatch, tmp_path):
    serve(server, "/text.txt", TEXT)
    register(monkeypatch, "fx", copy_source(server, sha256=sha(TEXT)))

    class FullDisk(io.FileIO):
        def write(self, data):
            if self.tell() + len(data) > 4096:  # the disk fills up after 4 KB
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), self.name)
            return super().write(data)

    monkeypatch.setattr(download_module, "open", lambda path, mode="r": FullDisk(path, mode.replace("b", "")),
                        raising=False)
    with pytest.raises(CharlabError, match="could not fetch 'fx': No space left on device"):
        datasets.fetch("fx", tmp_path, progress=False, policy=FAST)
    assert not (tmp_path / "fx" / ".partial").exists()  # the 4 KB written before the disk filled are gone
    monkeypatch.delattr(download_module, "open")  # the disk has room again
    assert datasets.fetch("fx", tmp_path, progress=False, policy=FAST).read_bytes() == TEXT
