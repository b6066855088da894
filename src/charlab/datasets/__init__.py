"""The book's datasets: a registry of every dataset in the post, and a verified, resumable way to fetch them.

    from charlab.datasets import ensure
    path = ensure("tinyshakespeare")          # data/tinyshakespeare/input.txt, fetched if missing

    python data_scripts/fetch.py shakespeare  # from a shell; = python -m charlab.datasets shakespeare

Modules, one job each: `registry` (what exists and where it comes from), `download` (bytes from a URL,
resumable), `prepare` (downloads -> input.txt), `mirror` (offline copies), `paths` (where files live),
`fetcher` (verify and install atomically), `cli` (the command line), `page` (the book's data page, generated
from the registry).
"""

from .cli import main
from .download import Policy
from .fetcher import FetchResult, ensure, fetch, fetch_dataset
from .paths import dataset_path, default_data_dir, resolve_data_arg, sha256_file
from .registry import DATASETS, Dataset, KnownCopy, Source

__all__ = [
    "DATASETS",
    "Dataset",
    "FetchResult",
    "KnownCopy",
    "Policy",
    "Source",
    "dataset_path",
    "default_data_dir",
    "ensure",
    "fetch",
    "fetch_dataset",
    "main",
    "resolve_data_arg",
    "sha256_file",
]
