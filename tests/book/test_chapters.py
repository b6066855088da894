"""The chapter descriptor (src/charlab/chapters.json) agrees with everything else that names a chapter."""

import nbformat
import pytest

from charlab.book.chapters import DESCRIPTOR, chapters
from charlab.book.toc import check_chapters
from charlab.errors import CharlabError
from charlab.presets import _EXPERIMENTS, SCALES, preset_for

from .test_book import REPO


def test_every_chapter_has_its_notebook_title_module_datasets_and_presets():
    described = chapters()
    assert [c.notebook for c in described] == sorted(p.stem for p in (REPO / "notebooks").glob("*.ipynb"))
    for c in described:
        nb = nbformat.read(REPO / "notebooks" / f"{c.notebook}.ipynb", as_version=4)
        assert nb.cells[0].source.splitlines()[0] == f"# {c.title}", c.notebook
        assert tuple(nb.metadata["charlab"]["datasets"]) == c.datasets, c.notebook  # what its stamp hashes
        assert (REPO / "src" / "charlab" / "chapters" / f"{c.module}.py").is_file(), c.module
        for experiment in c.experiments:
            for scale in SCALES:
                assert preset_for(experiment, scale).max_iters or preset_for(experiment, scale).max_epochs
    used = {e for c in described for e in c.experiments}
    assert set(_EXPERIMENTS) == used  # no preset of an experiment that no chapter trains


def test_the_toc_and_the_descriptor_must_name_the_same_chapters(tmp_path):
    check_chapters(REPO)
    toc = (REPO / "_toc.yml").read_text().replace("      - file: notebooks/10_baselines\n", "")
    (tmp_path / "_toc.yml").write_text(toc)
    with pytest.raises(CharlabError, match="chapters.json describes .*make them the same"):
        check_chapters(tmp_path)


def test_a_broken_descriptor_is_one_line(tmp_path):
    bad = tmp_path / "chapters.json"
    bad.write_text('{"chapters": [{"notebook": "x"}]}')
    with pytest.raises(CharlabError, match="not a readable chapter descriptor"):
        chapters(bad)
    assert DESCRIPTOR.is_file()
