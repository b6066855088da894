"""The Colab setup cells come from _config.yml's repository.url: generated, checked, and outside check-stale."""

import json
from pathlib import Path

import nbformat
import pytest

from charlab.book import colab
from charlab.book.stamp import code_sha256
from charlab.errors import CharlabError

REPO = Path(__file__).resolve().parents[2]


def _book(tmp_path: Path, url: str = "https://github.com/someone/fork.git/") -> Path:
    (tmp_path / "_config.yml").write_text(f"title: t\nrepository:\n  url: {url}\n  branch: main\n")
    nb = nbformat.v4.new_notebook()
    nb.metadata["charlab"] = {"datasets": ["pg", "names"]}
    nb.cells = [nbformat.v4.new_markdown_cell("# t"),
                nbformat.v4.new_code_cell("print('old')", metadata={"tags": ["colab-setup"]}),
                nbformat.v4.new_code_cell("x = 1")]
    nbformat.write(nb, tmp_path / "ch.ipynb")
    return tmp_path


def test_the_committed_chapters_install_from_the_configured_repository():
    url = colab.repository_url(REPO)
    paths = sorted((REPO / "notebooks").glob("*.ipynb"))
    assert paths and colab.check(paths, url) == []
    for path in paths:
        cells = [c for c in nbformat.read(path, as_version=4).cells if colab.COLAB_TAG in c.metadata.get("tags", [])]
        assert len(cells) == 1 and f'%pip install -q "charlab @ git+{url}"' in cells[0].source


def test_one_edited_line_moves_every_cell_to_a_fork(tmp_path):
    book = _book(tmp_path)
    url = colab.repository_url(book)
    assert url == "https://github.com/someone/fork"  # trailing slash and .git dropped
    path = book / "ch.ipynb"
    assert colab.check([path], url) and colab.sync([path], url) == [path]
    assert colab.check([path], url) == [] and colab.sync([path], url) == []  # idempotent
    source = nbformat.read(path, as_version=4).cells[1].source
    assert 'git+https://github.com/someone/fork"' in source and "charlab.datasets pg names" in source
    assert "enable_custom_widget_manager()" in source and 'if "google.colab" in sys.modules:' in source


def test_the_setup_cell_is_outside_the_code_hash(tmp_path):
    path = _book(tmp_path) / "ch.ipynb"
    before = code_sha256(nbformat.read(path, as_version=4))
    colab.sync([path], "https://github.com/a/b")
    nb = nbformat.read(path, as_version=4)
    assert code_sha256(nb) == before  # rewriting the Colab cell does not make a chapter stale
    nb.cells[2].source = "x = 2"
    assert code_sha256(nb) != before  # any other code cell does


def test_bad_configs_and_notebooks_are_one_line_errors(tmp_path):
    with pytest.raises(CharlabError, match="GitHub repository URL"):
        colab.repository_url(_book(tmp_path, url="https://gitlab.com/x/y"))
    with pytest.raises(CharlabError, match="cannot read"):
        colab.repository_url(tmp_path / "nowhere")
    nb = nbformat.v4.new_notebook()
    nbformat.write(nb, tmp_path / "bare.ipynb")
    with pytest.raises(CharlabError, match="exactly one code cell tagged"):
        colab.check([tmp_path / "bare.ipynb"], "https://github.com/a/b")


@pytest.mark.parametrize("url", [
    'https://github.com/a/b"\nimport os; os.system("echo pwned")\n#',  # a quote and a newline: code in every cell
    "https://github.com/a/b' ; echo pwned",
    "https://github.com/a/b/tree/main",
    "https://github.com/a/b?x=1",
    "https://github.com/a",
    "https://github.com/-a/b",
    "https://github.com/a/..",
    "https://github.com.evil.example/a/b",
    "http://github.com/a/b",
    "https://github.com/a/b c",
])
def test_a_url_that_is_not_a_plain_github_repository_is_refused(tmp_path, url):
    book = _book(tmp_path, url=json.dumps(url))  # a JSON string is a YAML string: the URL arrives as it is
    with pytest.raises(CharlabError, match="must be a GitHub repository URL") as e:
        colab.repository_url(book)
    assert "\n" not in str(e.value)
    with pytest.raises(CharlabError, match="must be a GitHub repository URL"):
        colab.setup_source(url, [])  # the cell is never built from it either


@pytest.mark.parametrize("url, clean", [
    ("https://github.com/some-one/my.repo_2", "https://github.com/some-one/my.repo_2"),
    ("https://github.com/a/b.git", "https://github.com/a/b"),
    ("https://github.com/a/b/", "https://github.com/a/b"),
])
def test_plain_github_repository_urls_are_accepted(url, clean):
    assert colab.check_url(url) == clean


def test_a_dataset_name_cannot_leave_its_place_in_the_cell():
    with pytest.raises(CharlabError, match="is not a dataset name"):
        colab.setup_source("https://github.com/a/b", ["pg; rm -rf ~"])
    assert "!python -m charlab.datasets pg names\n" in colab.setup_source("https://github.com/a/b", ["pg", "names"])


def test_a_notebook_that_cannot_be_written_is_one_line(tmp_path, monkeypatch):
    path = _book(tmp_path) / "ch.ipynb"

    def read_only(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(colab.nbformat, "write", read_only)
    with pytest.raises(CharlabError, match=r"ch.ipynb: cannot rewrite its colab-setup cell \(Permission denied\)"):
        colab.sync([path], "https://github.com/a/b")
