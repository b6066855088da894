"""Execute chapter notebooks with nbclient and stamp them.

Each notebook runs in a fresh kernel whose working directory is the notebook's own folder and whose
environment has CHARLAB_SCALE set, which the notebook's `parameters` cell reads, so the code path is the same
at every scale. Widget state is stored in the notebook, which is what lets the book render widgets without a
kernel. A failed notebook is never written over its committed version.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

from charlab.book import awaiting
from charlab.book.stamp import apply_stamp, declared_datasets, make_stamp
from charlab.errors import CharlabError
from charlab.presets import normalize_scale


@dataclass
class NotebookFailed(Exception):
    """A notebook raised (or timed out) in one of its cells."""

    path: Path
    cell: int | None  # 1-based position among all cells, as a reader counts them in Jupyter
    reason: str

    def __str__(self) -> str:
        where = f"cell {self.cell}" if self.cell is not None else "kernel"
        return f"{self.path}: {where}: {self.reason}"


@contextlib.contextmanager
def _env(**values: str) -> Iterator[None]:
    """Set environment variables for the kernel about to start (it inherits ours), then restore them."""
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


INLINE_BACKEND = "module://matplotlib_inline.backend_inline"
# Run after the notebook's own cells, then removed: which charlab modules the kernel imported, for the stamp.
MODULE_PROBE = ("import json as _json, os as _os, sys as _sys\n"
                "with open(_os.environ['CHARLAB_MODULE_LOG'], 'w') as _f:\n"
                "    _json.dump(sorted(m for m in _sys.modules if m == 'charlab' or m.startswith('charlab.')), _f)")


def read_notebook(path: Path) -> nbformat.NotebookNode:
    """A Jupyter notebook, read and validated; a file that is not one (missing, empty, not JSON, not the notebook
    schema) is one CharlabError line naming it."""
    path = Path(path)
    if not path.is_file():
        raise CharlabError(f"no notebook at {path}")
    if path.stat().st_size == 0:
        raise CharlabError(f"{path}: the file is empty, not a Jupyter notebook")
    try:
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
    except nbformat.reader.NotJSONError:
        raise CharlabError(f"{path}: not a Jupyter notebook (not JSON)") from None
    except nbformat.ValidationError as e:
        raise CharlabError(f"{path}: not a valid Jupyter notebook ({e.message})") from None
    except OSError as e:
        raise CharlabError(f"{path}: cannot read ({e.strerror})") from None
    except Exception as e:  # nbformat trips over JSON that is no notebook at all (a list, a number...)
        raise CharlabError(f"{path}: not a Jupyter notebook ({type(e).__name__}: {e})".splitlines()[0]) from None
    return nb


def check_metadata(path: Path, nb: nbformat.NotebookNode) -> None:
    """What executing needs of the notebook's metadata, checked before a kernel starts (the stamp reads it only
    after the last cell ran): `metadata.charlab` an object, its `datasets` a list of names. One line otherwise."""
    try:
        declared_datasets(nb)
    except CharlabError as e:
        raise CharlabError(f"{path}: {e}") from None


def _failed_cell(nb: nbformat.NotebookNode) -> int | None:
    """1-based index of the first cell with an error output (what nbclient stopped on)."""
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
            return i + 1
    return None


def execute_notebook(
    path: Path, *, scale: str, output: Path, timeout: int | None, repo: Path
) -> tuple[float, dict]:
    """Execute `path` at `scale`, stamp it and write it to `output`; returns (wall seconds, stamp).

    On failure raises NotebookFailed; the partly executed notebook is written to `output` only when `output`
    is not the source itself (so a CI copy keeps the traceback and the committed notebook stays intact).
    """
    normalize_scale(scale)  # an unknown scale fails here, before anything runs
    path = Path(path)
    nb = read_notebook(path)
    check_metadata(path, nb)
    nb.metadata.pop("widgets", None)  # nbclient only writes widget state when there is some: drop stale state
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent.resolve())}},
        store_widget_state=True,
        record_timing=False,  # per-cell timestamps would make every re-execution a noisy diff
        # ipykernel warns at every start that local TCP is unencrypted, and logs a traceback when a timed-out cell's
        # reply meets the closed sockets of its shutdown: keep the progress lines readable (cell errors still arrive
        # as messages, and a dead kernel as DeadKernelError).
        extra_arguments=["--IPKernelApp.log_level=CRITICAL"],
    )
    start = time.monotonic()
    log = Path(tempfile.mkstemp(prefix="charlab-runs-", suffix=".jsonl")[1])  # runs trained or reused, for the stamp
    module_log = Path(tempfile.mkstemp(prefix="charlab-modules-", suffix=".json")[1])
    nb.cells.append(nbformat.v4.new_code_cell(MODULE_PROBE))
    try:
        # Figures inline, whatever the caller's MPLBACKEND (the test command sets Agg for its own plots, and a
        # kernel that inherited it stored no image for chapters 1-5's 17 figures)
        with _env(CHARLAB_SCALE=scale, CHARLAB_RUN_LOG=str(log), CHARLAB_MODULE_LOG=str(module_log),
                  MPLBACKEND=INLINE_BACKEND):
            client.execute()
    except (CellExecutionError, CellTimeoutError, DeadKernelError) as e:
        nb.cells.pop()  # the probe
        if Path(output).resolve() != path.resolve():
            nbformat.write(nb, output)
        if isinstance(e, CellExecutionError):
            reason = f"{e.ename}: {e.evalue}"
        else:
            reason = str(e).strip().splitlines()[0]
        raise NotebookFailed(path, _failed_cell(nb), reason) from None
    finally:
        runs = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
        modules = json.loads(module_log.read_text() or "[]")
        log.unlink()
        module_log.unlink()
    nb.cells.pop()  # the probe
    wall = time.monotonic() - start
    date = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    stamp = make_stamp(nb, scale=scale, wall_s=wall, date=date, repo=repo, cwd=path.parent.resolve(), runs=runs,
                       modules=modules)
    apply_stamp(nb, stamp)
    awaiting.unmark(nb)  # executed now: its outputs are today's code's
    nbformat.validate(nb)
    nbformat.write(nb, output)
    return wall, stamp
