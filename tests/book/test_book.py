"""The book machinery: stamping, stale-output detection, the TOC check, and real nbclient execution of tiny
notebooks (a kernel start costs ~1-2 s, so only two notebooks are executed)."""

import json
import sys
import types
from pathlib import Path

import nbformat
import pytest

from charlab.book import awaiting
from charlab.book import stamp as stamp_mod
from charlab.book.__main__ import main
from charlab.book.execute import NotebookFailed, execute_notebook
from charlab.book.stamp import (
    STAMP_TAG,
    apply_stamp,
    code_sha256,
    draws_only_conditionally,
    figure_gaps,
    images,
    module_hashes,
    module_source,
    outputs_sha256,
    stale_reason,
    stamp_markdown,
)
from charlab.book.toc import check_toc, toc_entries
from charlab.errors import CharlabError
from charlab.provenance import format_duration

REPO = Path(__file__).resolve().parents[2]
v4 = nbformat.v4


def notebook(*code: str, datasets=()) -> nbformat.NotebookNode:
    nb = v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["charlab"] = {"datasets": list(datasets)}
    nb.cells = [v4.new_markdown_cell("# A chapter\n\nIntro.")] + [v4.new_code_cell(c) for c in code]
    return nb


def fake_stamp(nb, **over) -> dict:
    data = {
        "scale": "cpu", "cpu": "Test CPU", "cpu_count": 2, "gpu": None, "wall_s": 432.0,
        "date_utc": "2025-01-01 00:00 UTC", "charlab_version": "0.1.0", "git_commit": "0123456789abcdef",
        "git_dirty": False, "datasets": {"pg": "ab" * 32}, "python": "3.11", "code_sha256": code_sha256(nb),
        "outputs_sha256": outputs_sha256(nb), "modules": module_hashes(["charlab", "charlab.errors"]),
    }
    return data | over


def test_code_hash_covers_code_cells_only():
    nb = notebook("x = 1", "print(x)")
    before = code_sha256(nb)
    nb.cells[0].source += "\nMore prose."
    nb.cells[1].outputs = [v4.new_output("stream", text="1\n")]
    assert code_sha256(nb) == before
    nb.cells[2].source = "print(x + 1)"
    assert code_sha256(nb) != before


def test_stamp_goes_after_the_title_and_replaces_the_old_one():
    nb = notebook("x = 1")
    apply_stamp(nb, fake_stamp(nb, scale="smoke"))
    apply_stamp(nb, fake_stamp(nb, scale="cpu"))
    tagged = [c for c in nb.cells if STAMP_TAG in c.metadata.get("tags", [])]
    assert len(tagged) == 1 and nb.cells[1] is tagged[0]
    assert nb.cells[0].source.startswith("# A chapter")
    assert "`cpu`" in tagged[0].source and "smoke" not in tagged[0].source
    assert nb.metadata["charlab"]["stamp"]["scale"] == "cpu"
    assert nb.metadata["charlab"]["datasets"] == []  # the declaration is kept
    nbformat.validate(nb)


def test_stamp_markdown_shows_the_provenance():
    nb = notebook("x = 1")
    text = stamp_markdown(fake_stamp(nb, gpu="NVIDIA H100", git_dirty=True))
    expected_parts = [
        "`cpu`", "Test CPU (2 cores), GPU NVIDIA H100", "7 min 12 s", "2025-01-01 00:00 UTC",
        "charlab 0.1.0, commit `0123456789ab` + uncommitted changes", f"`pg` sha256 `{'ab' * 32}`",
    ]
    for expected in expected_parts:
        assert expected in text
    assert "Training" not in text  # a page that trains nothing says nothing about training
    runs = [dict(run="a-cpu-1", reused=False, trained_utc="2026-01-01 00:00 UTC", train_s=200.0, device="CPU",
                 precision="bf16"),
            dict(run="b-cpu-2", reused=True, trained_utc="2025-12-31 23:00 UTC", train_s=90.0, device="GPU H100",
                 world_size=8)]
    text = stamp_markdown(fake_stamp(nb, runs=runs))
    assert ("**Training:** trained here: `a-cpu-1` (3 min 20 s, bf16); reused finished runs with the same config, "
            "data and training code: `b-cpu-2` (trained 2025-12-31 23:00 UTC in 1 min 30 s on GPU H100, 8 processes)"
            ) in text


@pytest.mark.parametrize(
    ("seconds", "text"), [(0.4, "0 s"), (42, "42 s"), (432, "7 min 12 s"), (3780, "1 h 03 min")]
)
def test_format_duration(seconds, text):
    assert format_duration(seconds) == text


def test_stale_reason():
    nb = notebook("x = 1")
    assert "no run stamp" in stale_reason(nb)
    apply_stamp(nb, fake_stamp(nb))
    assert stale_reason(nb) is None
    apply_stamp(nb, fake_stamp(nb, scale="smoke"))
    assert "smoke-scale outputs" in stale_reason(nb)
    nb.cells[-1].source = "x = 2"
    assert "code cells changed" in stale_reason(nb)


def test_check_stale_cli_names_each_stale_notebook(tmp_path, capsys):
    fresh, edited, unstamped = (tmp_path / f"{n}.ipynb" for n in ("fresh", "edited", "unstamped"))
    nb = notebook("x = 1")
    apply_stamp(nb, fake_stamp(nb))
    nbformat.write(nb, fresh)
    nb.cells[-1].source = "x = 2"
    nbformat.write(nb, edited)
    nbformat.write(notebook("x = 1"), unstamped)
    assert main(["check-stale", str(fresh)]) == 0
    assert main(["check-stale", str(fresh), str(edited), str(unstamped)]) == 1
    err = capsys.readouterr().err
    assert "edited.ipynb" in err and "unstamped.ipynb" in err and "fresh.ipynb" not in err


def test_toc_lists_the_book_in_reading_order():
    entries = toc_entries(REPO / "_toc.yml")
    assert entries[0] == "book/intro"
    assert entries.index("notebooks/01_rnns_from_scratch") < entries.index("notebooks/05_training_evolution")
    assert {"book/run-it-yourself", "book/data", "book/references"} <= set(entries)


def test_check_toc_names_missing_files(tmp_path):
    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: intro\nchapters:\n- file: ch1\n- file: ch2\n")
    (tmp_path / "intro.md").write_text("# Intro\n")
    (tmp_path / "ch1.ipynb").write_text("{}")
    with pytest.raises(CharlabError, match="1 file.*: ch2 "):
        check_toc(tmp_path)
    (tmp_path / "ch2.md").write_text("# Two\n")
    assert [p.name for p in check_toc(tmp_path)] == ["intro.md", "ch1.ipynb", "ch2.md"]


@pytest.fixture
def fake_datasets(monkeypatch, tmp_path):
    """charlab.datasets stand-in: the executor only needs dataset_path and sha256_file."""
    data = tmp_path / "data" / "tiny" / "input.txt"
    data.parent.mkdir(parents=True)
    data.write_text("hello\n")
    module = types.SimpleNamespace(
        dataset_path=lambda name: tmp_path / "data" / name / "input.txt",
        sha256_file=lambda path: __import__("hashlib").sha256(Path(path).read_bytes()).hexdigest(),
    )
    monkeypatch.setitem(sys.modules, "charlab.datasets", module)
    monkeypatch.setattr("charlab.datasets", module, raising=False)
    return module


def test_execute_into_output_dir_stamps_and_leaves_the_source_alone(tmp_path, fake_datasets, monkeypatch):
    monkeypatch.setenv("MPLBACKEND", "Agg")  # what the test command sets: the kernel must still draw inline
    src_dir = tmp_path / "notebooks"
    src_dir.mkdir()
    (src_dir / "local.txt").write_text("found via the notebook's folder")
    source = src_dir / "ch.ipynb"
    nb = notebook(
        "import os\nSCALE = os.environ.get('CHARLAB_SCALE', 'cpu')\nprint(SCALE)",
        "print(open('local.txt').read())",
        "from charlab.widgets import TemperatureWidget\nTemperatureWidget({0.5: 'a', 1.0: 'b'})",
        "import matplotlib.pyplot as plt\nplt.plot([1, 2])\nplt.show()",
        "import json, os\nwith open(os.environ['CHARLAB_RUN_LOG'], 'a') as f:\n"
        "    f.write(json.dumps(dict(run='pg-smoke-1', reused=True, trained_utc='2026-01-01 00:00 UTC', train_s=61.0,"
        " device='CPU x')) + '\\n')",  # what run_experiment logs
        datasets=["tiny"],
    )
    nbformat.write(nb, source)
    original = source.read_text()
    out = tmp_path / "out" / "ch.ipynb"
    out.parent.mkdir()
    wall, stamp = execute_notebook(source, scale="smoke", output=out, timeout=60, repo=REPO)
    assert source.read_text() == original
    done = nbformat.read(out, as_version=4)
    assert done.cells[2].outputs[0]["text"] == "smoke\n"
    assert "found via the notebook's folder" in done.cells[3].outputs[0]["text"]
    assert "application/vnd.jupyter.widget-state+json" in done.metadata["widgets"]  # what the book embeds
    assert stamp["scale"] == "smoke" and stamp["wall_s"] == pytest.approx(wall, abs=0.1)
    assert stamp["datasets"] == {"tiny": fake_datasets.sha256_file(fake_datasets.dataset_path("tiny"))}
    assert done.metadata["charlab"]["stamp"] == stamp
    assert stamp["runs"] == [dict(run="pg-smoke-1", reused=True, trained_utc="2026-01-01 00:00 UTC", train_s=61.0,
                                  device="CPU x")]
    assert "`pg-smoke-1` (trained 2026-01-01 00:00 UTC in 1 min 01 s on CPU x)" in done.cells[1].source
    assert "smoke-scale outputs" in stale_reason(done)  # the code matches, but smoke outputs are CI-only
    assert [o.output_type for o in done.cells[5].outputs] == ["display_data"] and images(done.cells[5]) == 1
    assert figure_gaps(done) == [] and len(done.cells) == len(nb.cells) + 1  # the stamp; the module probe is gone
    assert "charlab.widgets.temperature" in stamp["modules"] and "charlab.train" not in stamp["modules"]
    assert stamp["modules"] == module_hashes(list(stamp["modules"]))


def test_failing_notebook_names_the_cell_and_keeps_the_committed_copy(tmp_path):
    source = tmp_path / "broken.ipynb"
    nbformat.write(notebook("x = 1", "raise ValueError('the model diverged')"), source)
    original = source.read_text()
    with pytest.raises(NotebookFailed) as info:
        execute_notebook(source, scale="smoke", output=source, timeout=60, repo=REPO)
    assert info.value.cell == 3  # 1-based: title, x = 1, the raise
    assert "ValueError: the model diverged" in str(info.value) and "broken.ipynb" in str(info.value)
    assert source.read_text() == original


def test_missing_dataset_is_a_clear_error(fake_datasets):
    with pytest.raises(CharlabError, match="dataset 'absent' is not at .*python -m charlab.datasets absent"):
        stamp_mod.dataset_hashes(["absent"])


def test_execute_rejects_unknown_scale(tmp_path):
    with pytest.raises(CharlabError, match="unknown scale 'huge'"):
        execute_notebook(tmp_path / "x.ipynb", scale="huge", output=tmp_path / "y.ipynb", timeout=1,
                         repo=REPO)


def test_dataset_hashes_use_charlab_datasets(tmp_path, monkeypatch):
    """Against the real charlab.datasets: the stamp hashes the file a notebook would read."""
    (tmp_path / "names").mkdir()
    (tmp_path / "names" / "input.txt").write_text("Anna\nBob\n")
    monkeypatch.setenv("CHARLAB_DATA", str(tmp_path))
    digest = __import__("hashlib").sha256(b"Anna\nBob\n").hexdigest()
    assert stamp_mod.dataset_hashes(["names"], cwd=tmp_path) == {"names": digest}
    with pytest.raises(CharlabError, match="not fetched yet"):
        stamp_mod.dataset_hashes(["pg"], cwd=tmp_path)


def test_outputs_edited_by_hand_are_stale_and_old_stamps_are_not_checked(tmp_path):
    nb = notebook("x = 1", "print(x)")
    nb.cells[-1].outputs = [v4.new_output("stream", text="1\nand a second line\n"),
                           v4.new_output("display_data", data={"text/plain": "a\nb", "image/png": "iVBOR"})]
    apply_stamp(nb, fake_stamp(nb, outputs_sha256=outputs_sha256(nb)))
    path = tmp_path / "ch.ipynb"
    nbformat.write(nb, path)
    assert stale_reason(nbformat.read(path, as_version=4)) is None  # a write and a read change nothing
    forged = nbformat.read(path, as_version=4)
    forged.cells[-1].outputs[0]["text"] = "1\nand a better line\n"
    assert "outputs differ from what its execution produced" in stale_reason(forged)
    forged.cells[-1].outputs = []
    assert "outputs differ" in stale_reason(forged)
    del forged.metadata["charlab"]["stamp"]["outputs_sha256"]  # deleting the key no longer switches the check off
    assert "its stamp has no outputs_sha256" in stale_reason(forged)


def test_a_change_to_a_charlab_module_the_page_used_makes_it_stale():
    nb = notebook("x = 1")
    apply_stamp(nb, fake_stamp(nb, modules={**module_hashes(["charlab"]), "charlab.errors": "0" * 64}))
    assert stale_reason(nb) == "charlab code it used changed since it was executed: charlab.errors (re-execute it)"
    apply_stamp(nb, fake_stamp(nb, modules={}))  # a stamp from before modules were recorded
    assert "does not record the charlab modules it used" in stale_reason(nb)
    assert module_source("charlab.book.stamp").name == "stamp.py" and module_source("numpy") is None


def test_a_cell_that_draws_a_figure_but_stores_no_image_is_stale():
    nb = notebook("x = 1", "import matplotlib.pyplot as plt\nplt.plot([1, 2])\nplt.show()")
    apply_stamp(nb, fake_stamp(nb))
    assert figure_gaps(nb) == [3]  # title, stamp, x = 1, the figure
    assert stale_reason(nb).startswith("cell(s) 3 draw a figure but store no image")
    nb.cells[3].outputs = [v4.new_output("display_data", data={"image/png": "iVBOR", "text/plain": "<Figure>"})]
    apply_stamp(nb, fake_stamp(nb))
    assert figure_gaps(nb) == [] and stale_reason(nb) is None


def test_a_figure_drawn_only_in_a_branch_may_be_absent_if_the_cell_says_why():
    draw = "import matplotlib.pyplot as plt\nplt.plot([1, 2])\nplt.show()"
    branch = ("results = []\nif results:\n    plt.plot(results)\n    plt.show()\nelse:\n"
              "    print('No run committed: no figure')")
    nb = notebook("import matplotlib.pyplot as plt", branch, draw)
    assert draws_only_conditionally(branch) and not draws_only_conditionally(draw)
    assert not draws_only_conditionally("x = 1") and not draws_only_conditionally("%matplotlib inline\nplt.show()")
    assert figure_gaps(nb) == [2, 3]  # title, import: nothing was stored for either drawing cell
    nb.cells[2].outputs = [v4.new_output("stream", name="stdout", text="No run committed: no figure\n")]
    nb.cells[3].outputs = [v4.new_output("stream", name="stdout", text="a figure should be here\n")]
    assert figure_gaps(nb) == [3]  # the branch said why; the unconditional figure is still lost


def test_a_visible_stamp_that_disagrees_with_its_data_is_stale():
    nb = notebook("x = 1")
    apply_stamp(nb, fake_stamp(nb))
    assert stale_reason(nb) is None
    nb.metadata["charlab"]["stamp"]["scale"] = "blog"  # the data edited by hand to claim the post's scale...
    nb.metadata["charlab"]["stamp"]["gpu"] = "NVIDIA H100"
    assert "visible run stamp does not say what the stamp's data says" in stale_reason(nb)
    apply_stamp(nb, fake_stamp(nb))
    nb.cells[1].source = nb.cells[1].source.replace("7 min 12 s", "7 h 12 min")  # ...or the visible cell
    assert "visible run stamp does not say" in stale_reason(nb)
    nb.metadata["charlab"]["stamp"] = "a string"
    assert "no run stamp" in stale_reason(nb)


def test_a_page_awaiting_execution_passes_with_a_warning_and_shows_its_note(tmp_path, capsys):
    nb = notebook("x = 1")
    apply_stamp(nb, fake_stamp(nb))
    nb.cells[-1].source = "x = 2"  # its code changed since it was executed
    path = tmp_path / "ch.ipynb"
    nbformat.write(nb, path)
    assert main(["check-stale", str(path)]) == 1
    capsys.readouterr()
    assert main(["await", str(path), "--reason", "x is now 2."]) == 0
    listed = json.loads((tmp_path / "awaiting-execution.json").read_text())
    assert listed == {"ch.ipynb": "x is now 2."}
    page = nbformat.read(path, as_version=4)
    assert page.cells[2].metadata["tags"] == ["charlab-awaiting"] and "Awaiting re-execution" in page.cells[2].source
    assert "x is now 2." in page.cells[2].source and STAMP_TAG in page.cells[1].metadata["tags"]
    capsys.readouterr()
    assert main(["check-stale", str(path)]) == 0
    err = capsys.readouterr().err
    assert err.startswith(f"warning: {path}: awaiting execution (x is now 2.); code cells changed")

    page.cells = [c for c in page.cells if "charlab-awaiting" not in c.metadata.get("tags", [])]
    nbformat.write(page, path)  # listed, but the note was taken off the page
    assert main(["check-stale", str(path)]) == 1
    assert "does not show its note" in capsys.readouterr().err
    (tmp_path / "awaiting-execution.json").unlink()
    awaiting.mark(page, "x is now 2.")
    nbformat.write(page, path)  # a note, but not listed
    assert main(["check-stale", str(path)]) == 1
    assert "shows an awaiting-execution note but is not in awaiting-execution.json" in capsys.readouterr().err


def test_a_listed_page_whose_outputs_are_current_must_leave_the_list(tmp_path, capsys):
    nb = notebook("x = 1")
    apply_stamp(nb, fake_stamp(nb))
    path = tmp_path / "ch.ipynb"
    nbformat.write(nb, path)
    assert main(["await", str(path), "--reason", "checking."]) == 0
    assert main(["check-stale", str(path)]) == 1
    assert "its outputs are current, but awaiting-execution.json still lists it" in capsys.readouterr().err
    awaiting.remove(path)  # what executing it in place does, with its note
    assert not (tmp_path / "awaiting-execution.json").exists()


@pytest.mark.parametrize("content, message", [
    (b"", "the file is empty, not a Jupyter notebook"), (b'{"cells": [', "not a Jupyter notebook (not JSON)"),
    (b"[1, 2]", "not a Jupyter notebook (AttributeError"), (b"\xff\xfe", "not a Jupyter notebook"),
    (b'{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [{"cell_type": "poem"}]}',
     "not a valid Jupyter notebook ("),
], ids=["empty", "broken-json", "json-list", "binary", "wrong-schema"])
def test_a_file_that_is_not_a_notebook_is_one_line(tmp_path, capsys, content, message):
    path = tmp_path / "x.ipynb"
    path.write_bytes(content)
    for argv in (["check-stale", str(path)], ["execute", str(path), "--scale", "smoke"]):
        assert main(argv) == 1
        out, err = capsys.readouterr()
        assert not out and err.count("\n") == 1 and err.startswith(f"error: {path}: ") and message in err, err


def test_a_cell_timeout_is_one_line_without_a_kernel_traceback(tmp_path, capfd):
    path = tmp_path / "slow.ipynb"
    nbformat.write(notebook("import time\ntime.sleep(60)"), path)
    out_dir = str(tmp_path / "out")
    assert main(["execute", str(path), "--scale", "smoke", "--output-dir", out_dir, "--timeout", "1"]) == 1
    out, err = capfd.readouterr()  # fd level: the kernel is a child process writing to the same stderr
    assert "Traceback" not in out + err and "ERROR" not in err
    assert err.strip() == f"error: {path}: cell 2: A cell timed out while it was being executed, after 1 seconds."
