"""A chapter's first cell, run as Colab would run it, in a runtime that has only what Colab has.

A fresh virtual environment gets what a Colab runtime brings (python and pip, numpy, torch, matplotlib,
ipywidgets and a kernel) and nothing of charlab. The chapter's committed notebook then runs in it, unchanged but
for two things: the repository URL in its `colab-setup` cell points at this checkout (`file://`, standing in for
the GitHub URL of `_config.yml`), and a stand-in `google.colab` module is loaded first, so the cell takes its
Colab branch. The cell must install charlab from the repository, fetch the chapter's data (from the offline
mirror in $CHARLAB_DATA_MIRROR, as `--mirror` would) and turn on the custom widget manager; the chapter must then
run at smoke scale with the charlab it installed. Slow (a minute or two: it installs torch into the new
environment), so it is collected only when asked for by path: `pytest tests/colab` (scripts/test.sh does).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from charlab.book import colab

REPO = Path(__file__).resolve().parents[2]
CHAPTER = REPO / "notebooks" / "04_baby_names.ipynb"  # small data, one training run: the quickest chapter
COLAB_HAS = ["numpy", "matplotlib", "ipywidgets", "ipykernel"]  # besides torch, installed first

FAKE_COLAB = '''
import sys, types
google = types.ModuleType("google"); google.__path__ = []
colab = types.ModuleType("google.colab"); colab.__path__ = []
output = types.ModuleType("google.colab.output")
output.calls = []
output.enable_custom_widget_manager = lambda: output.calls.append("enable_custom_widget_manager")
colab.output = output
google.colab = colab
sys.modules.update({"google": google, "google.colab": colab, "google.colab.output": output})
'''
REPORT = '''
import json, sys, charlab
from google.colab import output
print("COLAB-REPORT " + json.dumps({"charlab": charlab.__file__, "python": sys.executable, "calls": output.calls}))
'''


def _run(*cmd: str | Path, **kw) -> None:
    done = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kw)
    assert done.returncode == 0, f"{cmd}: {done.stdout[-2000:]}\n{done.stderr[-2000:]}"


@pytest.fixture(scope="module")
def colab_runtime(tmp_path_factory) -> Path:
    """A virtual environment with what a Colab runtime has, and a kernel spec that starts Python in it."""
    root = tmp_path_factory.mktemp("colab")
    venv = root / "venv"
    _run(sys.executable, "-m", "venv", venv)
    py = venv / "bin" / "python"
    _run(py, "-m", "pip", "install", "-q", "--upgrade", "pip", timeout=600)  # Colab's pip is current
    constraints = ["-c", REPO / "constraints.txt"]
    _run(py, "-m", "pip", "install", "-q", *constraints, "torch==2.13.0", timeout=1200)
    _run(py, "-m", "pip", "install", "-q", *constraints, *COLAB_HAS, timeout=1200)
    spec = root / "jupyter" / "kernels" / "colab-sim"
    spec.mkdir(parents=True)
    spec.joinpath("kernel.json").write_text(json.dumps({
        "argv": [str(py), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Colab stand-in", "language": "python",
        # `!python ...` in a cell must find this runtime's python, as it does on Colab
        "env": {"PATH": f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"},
    }))
    return root


def test_the_first_cell_installs_charlab_and_the_chapter_runs(colab_runtime, tmp_path, monkeypatch):
    nb = nbformat.read(CHAPTER, as_version=4)
    setup = next(c for c in nb.cells if colab.COLAB_TAG in c.metadata.get("tags", []))
    url = colab.repository_url(REPO)
    assert f"git+{url}" in setup.source
    setup.source = setup.source.replace(f"git+{url}", f"file://{REPO}")  # this checkout, as it is
    nb.cells.insert(nb.cells.index(setup), nbformat.v4.new_code_cell(FAKE_COLAB))
    nb.cells.append(nbformat.v4.new_code_cell(REPORT))

    monkeypatch.setenv("JUPYTER_PATH", str(colab_runtime / "jupyter"))
    monkeypatch.setenv("CHARLAB_SCALE", "smoke")
    monkeypatch.setenv("CHARLAB_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    mirror = os.environ.get("CHARLAB_DATA_MIRROR") or str(REPO.parent / "shared" / "data")
    if Path(mirror).is_dir():
        monkeypatch.setenv("CHARLAB_DATA_MIRROR", mirror)
    try:
        NotebookClient(nb, kernel_name="colab-sim", timeout=900,
                       resources={"metadata": {"path": str(tmp_path)}}).execute()
    except CellExecutionError as e:
        said = "".join(o.get("text", "") for o in setup.outputs)
        raise AssertionError(f"the chapter failed on Colab's path; its first cell printed:\n{said}") from e

    report = next(json.loads(line.split(" ", 1)[1]) for o in nb.cells[-1].outputs if o.get("name") == "stdout"
                  for line in o.text.splitlines() if line.startswith("COLAB-REPORT "))
    venv = str(colab_runtime / "venv")
    assert report["python"].startswith(venv)
    assert report["charlab"].startswith(venv), "the chapter must use the charlab the first cell installed"
    assert report["calls"] == ["enable_custom_widget_manager"]
    assert (tmp_path / "data" / "names" / "input.txt").is_file()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
