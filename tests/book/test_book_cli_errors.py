"""`python -m charlab.book` on a user's mistake or a failing machine: one line and a non-zero exit, never a traceback,
and nothing written over (issue 30)."""

import errno
from pathlib import Path

import nbformat
import pytest

from charlab.book import __main__ as cli
from charlab.book.__main__ import main
from charlab.book.execute import execute_notebook
from charlab.book.stamp import apply_stamp, make_stamp, stale_reason
from charlab.errors import CharlabError

REPO = Path(__file__).resolve().parents[2]
v4 = nbformat.v4


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def write_notebook(path: Path, charlab=None, code: str = "x = 1") -> Path:
    nb = v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    if charlab is not None:
        nb.metadata["charlab"] = charlab
    nb.cells = [v4.new_markdown_cell("# A chapter"), v4.new_code_cell(code)]
    nbformat.write(nb, path)
    return path


BAD_METADATA = [("a string", "pg"), ("a list", ["pg"]), ("a number", 3)]


@pytest.mark.parametrize("kind, value", BAD_METADATA)
def test_check_stale_on_charlab_metadata_that_is_no_object_is_one_line(tmp_path, capsys, kind, value):
    path = write_notebook(tmp_path / "nb.ipynb", value)
    assert stale_reason(nbformat.read(path, as_version=4)).startswith(
        f"its charlab metadata is not an object but {kind}")
    assert main(["check-stale", str(path)]) == 1
    assert one_line(capsys.readouterr().err).startswith(
        f"stale: {path}: its charlab metadata is not an object but {kind}: it must be {{\"datasets\": [...], ...}}")


@pytest.mark.parametrize("kind, value", BAD_METADATA)
def test_the_stamp_refuses_charlab_metadata_that_is_no_object(tmp_path, kind, value):
    nb = nbformat.read(write_notebook(tmp_path / "nb.ipynb", value), as_version=4)
    with pytest.raises(CharlabError, match=f"its charlab metadata is not an object but {kind}"):
        make_stamp(nb, scale="cpu", wall_s=1.0, date="2025-01-01 00:00 UTC", repo=REPO)
    with pytest.raises(CharlabError, match="not an object"):
        apply_stamp(nb, {})
    assert nb.metadata["charlab"] == value  # left as it was


@pytest.mark.parametrize("charlab, message", [
    ("pg", "its charlab metadata is not an object but a string"),
    (["pg"], "its charlab metadata is not an object but a list"),
    ({"datasets": "pg"}, "its metadata.charlab.datasets is not a list of dataset names but 'pg'"),
    ({"datasets": [1]}, "its metadata.charlab.datasets is not a list of dataset names but [1]"),
])
def test_execute_refuses_bad_charlab_metadata_before_any_cell_runs(tmp_path, capsys, charlab, message):
    marker = tmp_path / "ran"
    good = write_notebook(tmp_path / "a_good.ipynb", {"datasets": []}, f"open({str(marker)!r}, 'w').close()")
    bad = write_notebook(tmp_path / "b_bad.ipynb", charlab, f"open({str(marker)!r}, 'w').close()")
    before = bad.read_bytes()
    with pytest.raises(CharlabError, match=f"^{bad}: {message}".replace("[", r"\[")):
        execute_notebook(bad, scale="smoke", output=bad, timeout=60, repo=REPO)
    assert main(["execute", str(good), str(bad), "--scale", "smoke", "--output-dir", str(tmp_path / "out")]) == 1
    assert one_line(capsys.readouterr().err).startswith(f"error: {bad}: {message}")
    assert not marker.exists() and not (tmp_path / "out").exists()  # the good one did not run either
    assert bad.read_bytes() == before


def test_execute_into_an_output_dir_that_is_a_file_is_one_line(tmp_path, capsys):
    path = write_notebook(tmp_path / "nb.ipynb", {"datasets": []})
    taken = tmp_path / "taken"
    taken.write_text("keep me")
    assert main(["execute", str(path), "--scale", "smoke", "--output-dir", str(taken)]) == 1
    assert one_line(capsys.readouterr().err) == (
        f"error: --output-dir {taken}: is a file, not a folder: name a folder for the executed copies")
    assert main(["execute", str(path), "--scale", "smoke", "--output-dir", str(taken / "sub")]) == 1
    assert one_line(capsys.readouterr().err) == (
        f"error: --output-dir {taken / 'sub'}: cannot create it (Not a directory)")
    assert taken.read_text() == "keep me"


@pytest.mark.parametrize("raised, line, code", [
    (OSError(errno.EROFS, "Read-only file system", "book/intro.md"), "error: book/intro.md: Read-only file system", 1),
    (OSError(errno.ENOSPC, "No space left on device"), "error: No space left on device", 1),
    (FileNotFoundError(errno.ENOENT, "No such file or directory", "a", None, "b"),
     "error: a -> b: No such file or directory", 1),
    (OSError("something odd"), "error: something odd", 1),
    (KeyboardInterrupt(), "interrupted", 130),
])
def test_the_entry_point_turns_a_failing_machine_and_ctrl_c_into_one_line(monkeypatch, capsys, raised, line, code):
    def fail(*args, **kwargs):
        raise raised

    monkeypatch.setattr(cli.scoreboard, "write", fail)
    try:
        rc = main(["scoreboard", "--book", str(REPO)])
    except KeyboardInterrupt:  # escaping, it would stop this test run instead of failing the test
        pytest.fail("KeyboardInterrupt escaped main()")
    assert rc == code
    assert one_line(capsys.readouterr().err) == line
