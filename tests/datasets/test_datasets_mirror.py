"""Fetch every dataset of the offline mirror (`$CHARLAB_DATA_MIRROR`, else `../shared/data` next to the checkout)
through the real code path, and check each file against the mirror's SHA256SUMS and the registry's facts.

Skipped where no mirror exists (a reader's machine). A local copy of ~45 MB: a second or two.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from charlab.datasets import DATASETS, fetch_dataset, sha256_file
from charlab.datasets.mirror import parse_sums

ROOT = Path(__file__).resolve().parents[2]
MIRROR = Path(os.environ.get("CHARLAB_DATA_MIRROR") or ROOT.parent / "shared" / "data")

pytestmark = pytest.mark.skipif(not (MIRROR / "SHA256SUMS").is_file(), reason=f"no dataset mirror at {MIRROR}")


def mirror_sums() -> dict[str, str]:
    sums = parse_sums((MIRROR / "SHA256SUMS").read_text())
    return {path.split("/")[0]: sha for path, sha in sums.items() if path.endswith("/input.txt")}


def test_every_mirrored_dataset_fetches_and_verifies(tmp_path):
    sums = mirror_sums()
    assert sums, "the mirror's SHA256SUMS lists no <name>/input.txt"
    assert {name for name, entry in DATASETS.items() if not entry.optional} <= set(sums)
    for name, expected in sums.items():
        result = fetch_dataset(name, tmp_path, mirror=str(MIRROR), progress=False)
        assert result.status == "fetched"
        assert sha256_file(result.path) == expected == result.source["sha256"]
        record = json.loads((tmp_path / name / "SOURCE.json").read_text())
        assert record["source"] == "mirror" and record["url"] == str(MIRROR / name / "input.txt")
        # the registry knows every mirrored file: either the post's file or a documented copy
        entry = DATASETS[name]
        assert record["identified_as"] == entry.identify(expected) is not None, name
        if entry.sha256 is not None:
            assert record["is_registry_file"] == (expected == entry.sha256)
        if entry.size is not None and result.source["size"] != entry.size:
            assert record["is_registry_file"] is False
    leftovers = [p for p in tmp_path.rglob("*") if p.is_file() and p.name not in ("input.txt", "SOURCE.json", ".lock")]
    assert not leftovers


def test_registry_facts_agree_with_the_mirror():
    """Where the mirror holds the post's exact file, the registry's upstream sha256 and size must match it."""
    sums = mirror_sums()
    for name in ("tinyshakespeare", "latex", "warpeace", "blog", "names", "pg"):
        entry = DATASETS[name]
        assert entry.sha256 == sums[name], name
        assert entry.size == (MIRROR / name / "input.txt").stat().st_size, name
