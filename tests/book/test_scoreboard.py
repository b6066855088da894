"""Claims recorded in a notebook come back out of its outputs, and the scoreboard page and intro are generated
from them (and fail the tests when stale)."""

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from charlab.book import scoreboard
from charlab.claims import VERDICTS, Claim
from charlab.errors import CharlabError

REPO = Path(__file__).resolve().parents[2]


def _claims_notebook(path: Path, *claims: tuple[str, str]) -> Path:
    nb = nbformat.v4.new_notebook()
    calls = "\n".join(f"claim({i!r}, 'the post says x', 'we measured {i}', '{n}', {v!r}, 'cpu')"
                      for n, (i, v) in enumerate(claims))
    nb.cells = [nbformat.v4.new_markdown_cell("# A chapter\n\ntext"),
                nbformat.v4.new_code_cell("from charlab.claims import claim\n" + calls)]
    NotebookClient(nb, timeout=120, resources={"metadata": {"path": str(path.parent)}}).execute()
    nbformat.write(nb, path)
    return path


@pytest.fixture(scope="module")
def book(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("book")
    (root / "notebooks").mkdir()
    (root / "book").mkdir()
    _claims_notebook(root / "notebooks" / "02_x.ipynb", ("ch02-a", "holds"), ("ch02-b", "contradicted"))
    (root / "book" / "intro.md").write_text(
        "# Intro\n\nbefore\n<!-- scoreboard-counts -->\nold\n<!-- scoreboard-counts -->\nafter\n")
    return root


def test_a_claim_is_shown_with_its_anchor_and_stored_in_the_output_metadata(book):
    nb = nbformat.read(book / "notebooks" / "02_x.ipynb", as_version=4)
    outputs = nb.cells[1].outputs
    assert len(outputs) == 2 and 'id="claim-ch02-a"' in outputs[0].data["text/html"]
    assert outputs[1].metadata["charlab"]["claim"]["verdict"] == "contradicted"
    title, claims = scoreboard.chapter_claims(book / "notebooks" / "02_x.ipynb")
    assert title == "A chapter" and [c.id for c in claims] == ["ch02-a", "ch02-b"]


def test_the_page_and_the_counts_are_generated_and_checked(book):
    assert set(scoreboard.stale(book)) == {book / "book" / "scoreboard.md", book / "book" / "intro.md"}
    scoreboard.write(book)
    assert scoreboard.stale(book) == []
    page = (book / "book" / "scoreboard.md").read_text()
    assert '<a href="../notebooks/02_x.html#claim-ch02-a">the post says x</a> | 0 | **holds** | cpu |' in page
    intro = (book / "book" / "intro.md").read_text()
    assert "2 claims of the post are measured and judged so far: **1** holds, **1** contradicted." in intro
    assert intro.startswith("# Intro\n\nbefore\n") and intro.endswith("after\n")


def test_a_duplicate_id_and_bad_claims_are_refused(book, tmp_path):
    (tmp_path / "notebooks").mkdir()
    for name in ("a", "b"):
        (tmp_path / "notebooks" / f"{name}.ipynb").write_bytes((book / "notebooks" / "02_x.ipynb").read_bytes())
    with pytest.raises(CharlabError, match="recorded twice"):
        scoreboard.collect(sorted((tmp_path / "notebooks").glob("*.ipynb")))
    with pytest.raises(CharlabError, match="unknown verdict"):
        Claim("x", "p", "m", "v", "true-ish", "cpu")
    with pytest.raises(CharlabError, match="lower-case words"):
        Claim("X Y", "p", "m", "v", VERDICTS[0], "cpu")
    with pytest.raises(CharlabError, match="unknown scale"):
        Claim("x", "p", "m", "v", VERDICTS[0], "laptop")
    assert Claim("x", "p", "m", "v", VERDICTS[0], "gpu").scale == "blog"


def test_the_committed_scoreboard_is_current():
    assert scoreboard.stale(REPO) == [], "run `python -m charlab.book scoreboard`"


def _one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def test_a_book_without_its_intro_is_one_line_naming_the_file(tmp_path, capsys):
    from charlab.book.__main__ import main

    for args in (["scoreboard"], ["scoreboard", "--check"]):
        assert main([*args, "--book", str(tmp_path)]) == 1
        line = _one_line(capsys.readouterr().err)
        assert line.startswith(f"error: no file {tmp_path / 'book' / 'intro.md'}:") and "--book" in line


def test_a_book_without_notebooks_is_refused_and_its_intro_kept(book, tmp_path, capsys):
    from charlab.book.__main__ import main

    (tmp_path / "book").mkdir()
    intro = (book / "book" / "intro.md").read_text()
    (tmp_path / "book" / "intro.md").write_text(intro)
    assert main(["scoreboard", "--book", str(tmp_path)]) == 1
    assert _one_line(capsys.readouterr().err) == (
        f"error: no notebooks in {tmp_path / 'notebooks'}: give the book's root folder with --book")
    assert (tmp_path / "book" / "intro.md").read_text() == intro  # its counts were not overwritten with none


def _book_with_claim(book: Path, root: Path, edit) -> Path:
    """A copy of `book` whose second recorded claim is edited by `edit(claim dict)`."""
    (root / "notebooks").mkdir()
    (root / "book").mkdir()
    (root / "book" / "intro.md").write_text(
        "# Intro\n\nbefore\n<!-- scoreboard-counts -->\nold\n<!-- scoreboard-counts -->\nafter\n")
    nb = nbformat.read(book / "notebooks" / "02_x.ipynb", as_version=4)
    meta = nb.cells[1].outputs[1].metadata
    meta["charlab"]["claim"] = edit(dict(meta["charlab"]["claim"]))
    nbformat.write(nb, root / "notebooks" / "02_x.ipynb")
    return root / "notebooks" / "02_x.ipynb"


@pytest.mark.parametrize("edit, message", [
    (lambda c: c | {"colour": "red"}, "its recorded claim has unknown key(s) 'colour'; a claim has id, post, "
                                      "measured, value, verdict, scale"),
    (lambda c: {k: v for k, v in c.items() if k != "verdict"}, "its recorded claim lacks 'verdict'"),
    (lambda c: c | {"value": 0.5}, "its recorded claim's 'value' must be a string"),
    (lambda c: "holds", "its recorded claim is not an object"),
    (lambda c: c | {"verdict": "true-ish"}, "unknown verdict 'true-ish'"),
])
def test_a_malformed_recorded_claim_is_one_line_naming_the_notebook_and_the_key(book, tmp_path, capsys, edit,
                                                                                 message):
    from charlab.book.__main__ import main

    path = _book_with_claim(book, tmp_path, edit)
    with pytest.raises(CharlabError) as e:
        scoreboard.chapter_claims(path)
    assert str(e.value).startswith(f"{path}: cell 2: ") and message in str(e.value)
    for args in (["scoreboard"], ["scoreboard", "--check"]):
        assert main([*args, "--book", str(tmp_path)]) == 1
        assert _one_line(capsys.readouterr().err) == f"error: {e.value}"
    assert not (tmp_path / "book" / "scoreboard.md").exists()


def test_a_failed_write_leaves_the_intro_whole(book, tmp_path, monkeypatch):
    import errno
    import os

    _book_with_claim(book, tmp_path, lambda c: c)
    intro = tmp_path / "book" / "intro.md"
    intro.chmod(0o640)
    before = intro.read_text()

    def full(*args):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "replace", full)
    with pytest.raises(CharlabError, match=r"cannot write \(No space left on device\); it is unchanged"):
        scoreboard.write(tmp_path)
    assert intro.read_text() == before
    assert sorted(p.name for p in (tmp_path / "book").iterdir()) == ["intro.md"]  # no temporary file left
    monkeypatch.undo()
    assert set(scoreboard.write(tmp_path)) == {tmp_path / "book" / "scoreboard.md", intro}
    assert scoreboard.stale(tmp_path) == [] and "**1** holds, **1** contradicted" in intro.read_text()
    assert intro.stat().st_mode & 0o777 == 0o640  # a rewritten file keeps its mode, a new one is rw-r--r--
    assert (tmp_path / "book" / "scoreboard.md").stat().st_mode & 0o777 == 0o644
