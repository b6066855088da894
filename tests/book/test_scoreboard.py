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
