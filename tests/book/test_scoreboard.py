"""Claims recorded in a notebook come back out of its outputs, and the scoreboard page and intro are generated
from them (and fail the tests when stale)."""

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from charlab.book import scoreboard
from charlab.claims import VERDICTS, Claim, Gate, judge
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
    recorded = outputs[1].metadata["charlab"]["claim"]
    assert recorded["kind"] == "post" and recorded["judgements"][0]["verdict"] == "contradicted"
    title, claims = scoreboard.chapter_claims(book / "notebooks" / "02_x.ipynb")
    assert title == "A chapter" and [c.id for c in claims] == ["ch02-a", "ch02-b"]


def test_the_page_and_the_counts_are_generated_and_checked(book):
    assert set(scoreboard.stale(book)) == {book / "book" / "scoreboard.md", book / "book" / "intro.md"}
    scoreboard.write(book)
    assert scoreboard.stale(book) == []
    page = (book / "book" / "scoreboard.md").read_text()
    assert "| claims of the post | cpu |" in page
    assert '| <a href="../notebooks/02_x.html#claim-ch02-a">the post says x</a> | **holds**: 0 |' in page
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
        judge("cpu", "true-ish", "m", "v")
    with pytest.raises(CharlabError, match="lower-case words"):
        Claim("X Y", "p", "post", (judge("cpu", VERDICTS[0], "m", "v"),))
    with pytest.raises(CharlabError, match="unknown scale"):
        judge("laptop", VERDICTS[0], "m", "v")
    with pytest.raises(CharlabError, match="unknown kind 'rumour'"):
        Claim("x", "p", "rumour", (judge("cpu", VERDICTS[0], "m", "v"),))
    with pytest.raises(CharlabError, match="judged twice at one scale"):
        Claim("x", "p", "post", (judge("cpu", "holds", "m", "v"), judge("cpu", "holds", "m", "w")))
    assert judge("gpu", VERDICTS[0], "m", "v").scale == "blog"


def test_a_failure_claim_below_its_competence_gate_is_not_reached_and_shows_the_gate():
    chance = Gate("closes the innermost \\begin more often than chance", value=0.159, threshold=0.22)
    below = judge("cpu", "holds", "15.9% of \\end close the innermost \\begin", "15.9%", chance)
    assert below.verdict == "not reached at this scale"  # whatever the chapter computed
    assert below.text().endswith("Competence gate: closes the innermost \\begin more often than chance: 0.159 "
                                 "against the 0.22 needed, not met.")
    competent = judge("long", "holds", "...", "61%", Gate("closes above chance", 0.61, 0.22))
    assert competent.verdict == "holds" and competent.text().endswith("0.61 against the 0.22 needed.")
    assert judge("cpu", "not testable here", "m", "v", chance).verdict == "not testable here"
    with pytest.raises(CharlabError, match="must be a finite number"):
        Gate("x", float("nan"), 0.2)


def test_a_claim_carries_a_verdict_per_scale_and_round_trips_through_its_record():
    c = Claim("ch07-lemma", "a proof closed by \\end{lemma}", "post",
              (judge("long", "holds", "m2", "61%", Gate("closes above chance", 0.61, 0.22)),
               judge("cpu", "holds", "m1", "16%", Gate("closes above chance", 0.16, 0.22))))
    assert [j.scale for j in c.judgements] == ["cpu", "long"] and c.headline.scale == "long"
    assert [j.verdict for j in c.judgements] == ["not reached at this scale", "holds"]
    assert Claim.from_dict(c.to_dict()) == c
    assert 'id="claim-ch07-lemma"' in c.html() and "(long scale)" in c.html() and "not met" in c.html()
    legacy = {"id": "ch02-x", "post": "p", "measured": "m", "value": "v", "verdict": "holds", "scale": "cpu"}
    assert Claim.from_dict(legacy) == Claim("ch02-x", "p", "post", (judge("cpu", "holds", "m", "v"),))


def test_questions_and_facts_are_listed_apart_and_not_counted_as_verdicts():
    post = Claim("a-b", "the post", "post", (judge("cpu", "holds", "m", "1"),))
    question = Claim("a-q", "drop the 95%?", "question", (judge("cpu", "contradicted", "m", "2"),))
    fact = Claim("a-f", "3.5 million parameters", "fact", (judge("cpu", "holds", "m", "3.4 M"),
                                                            judge("long", "holds", "m", "3.4 M")))
    chapters = [(Path("notebooks/02_x.ipynb"), "A chapter", [post, question, fact])]
    assert scoreboard.counts_markdown(chapters) == (
        "1 claims of the post are measured and judged so far: **1** holds. Beside them: 1 reader's question and "
        "1 arithmetic fact, not counted as verdicts.")
    two = [(Path("notebooks/02_x.ipynb"), "A chapter", [post, question, question, fact, fact])]
    assert "Beside them: 2 readers' questions and 2 arithmetic facts" in scoreboard.counts_markdown(two)
    page = scoreboard.page_markdown(chapters)
    assert "| claims of the post | cpu | long |" in page and "| readers' questions | cpu | long |" in page
    assert "| arithmetic facts | cpu | long |" in page and "**holds**: 1 | – |" in page


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


LEGACY = {"id": "ch02-b", "post": "p", "measured": "m", "value": "v", "verdict": "holds", "scale": "cpu"}


def _judged(c: dict, **change) -> dict:
    return c | {"judgements": [c["judgements"][0] | change]}


@pytest.mark.parametrize("edit, message", [
    (lambda c: c | {"colour": "red"}, "its recorded claim has unknown key(s) 'colour'; a claim has id, post, kind, "
                                      "judgements"),
    (lambda c: {k: v for k, v in c.items() if k != "judgements"}, "its recorded claim lacks 'judgements'"),
    (lambda c: c | {"kind": "rumour"}, "unknown kind 'rumour'"),
    (lambda c: c | {"judgements": []}, "'judgements' must be a non-empty list"),
    (lambda c: _judged(c, value=0.5), "a judgement of its recorded claim's 'value' must be a string"),
    (lambda c: _judged(c, verdict="true-ish"), "unknown verdict 'true-ish'"),
    (lambda c: _judged(c, gate=[0.1, 0.2]), "gate must be null or an object of what, value, threshold"),
    (lambda c: "holds", "its recorded claim is not an object"),
    (lambda c: LEGACY | {"colour": "red"}, "its recorded claim has unknown key(s) 'colour'; a claim has id, post, "
                                           "measured, value, verdict, scale"),  # as recorded before kinds
    (lambda c: {k: v for k, v in LEGACY.items() if k != "verdict"}, "its recorded claim lacks 'verdict'"),
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
