"""Where datasets live on disk, and how a name or a path on the command line becomes a file.

Layout (like char-rnn): `DATA_DIR/<name>/input.txt` plus `DATA_DIR/<name>/SOURCE.json`. `input.txt` only ever
appears by an atomic rename after verification, so its presence means "complete".
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from ..errors import CharlabError, did_you_mean
from .registry import DATASETS, Dataset

FETCH_SCRIPT = "data_scripts/fetch.py"


def get_entry(name: str) -> Dataset:
    """The registry entry for `name`, or a CharlabError that suggests the closest name."""
    try:
        return DATASETS[name]
    except KeyError:
        raise CharlabError(
            f"unknown dataset {name!r}{did_you_mean(name, DATASETS)}; known: {', '.join(DATASETS)}"
        ) from None


def default_data_dir() -> Path:
    """`$CHARLAB_DATA`; else `<project root>/data` when the cwd is inside a checkout (the directory
    holding `data_scripts/fetch.py`), so notebooks run from `notebooks/` and the CLI run from the root
    agree; else `./data`.
    """
    env = os.environ.get("CHARLAB_DATA")
    if env:
        return Path(env).expanduser()
    cwd = Path.cwd()
    for folder in (cwd, *cwd.parents):
        if (folder / FETCH_SCRIPT).is_file():
            return folder / "data"
    return cwd / "data"


def fetch_command(name: str, data_dir: Path | None = None) -> str:
    """The exact command that fetches `name` (with --data-dir when it is not the default)."""
    cmd = f"python {FETCH_SCRIPT} {name}"
    if data_dir is not None and Path(data_dir).resolve() != default_data_dir().resolve():
        cmd += f" --data-dir {data_dir}"
    return cmd


def dataset_path(name: str, data_dir: Path | str | None = None) -> Path:
    """Path to `<data_dir>/<name>/input.txt`; CharlabError with the fetch command when it is not there yet."""
    get_entry(name)
    folder = Path(data_dir) if data_dir is not None else default_data_dir()
    path = folder / name / "input.txt"
    if not path.is_file():
        command = fetch_command(name, folder if data_dir is not None else None)
        raise CharlabError(
            f"dataset {name!r} is not fetched yet (no {path}): run `{command}` (or `python -m charlab.datasets {name}`)"
        )
    return path


def resolve_data_arg(arg: str, data_dir: Path | str | None = None) -> Path:
    """The CLI's DATA argument: an existing path as is, else a dataset name, else a did-you-mean error."""
    path = Path(arg).expanduser()
    if path.exists():
        return path
    if arg in DATASETS:
        return dataset_path(arg, data_dir)
    raise CharlabError(f"no such file or dataset: {arg!r}{did_you_mean(arg, DATASETS)}")


def sha256_file(path: Path | str) -> str:
    """Hex sha256 of a file, read in 1 MiB chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def read_source(folder: Path) -> dict | None:
    """The SOURCE.json of a dataset folder, or None when absent or unreadable."""
    try:
        return json.loads((folder / "SOURCE.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
