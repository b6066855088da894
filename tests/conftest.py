import random
from pathlib import Path

import pytest

# Slow suites that need something built first (the book for tests/browser, a fresh Colab-like environment for
# tests/colab): collected only when asked for by path, e.g. `pytest tests/browser`, never by a plain `pytest`.
HERE = Path(__file__).resolve().parent
ON_REQUEST = (HERE / "browser", HERE / "colab")


def _asked_for(config, folder: Path) -> bool:
    for arg in config.args:
        path = Path(arg.split("::")[0]).resolve()
        if path == folder or folder in path.parents:
            return True
    return False


def pytest_ignore_collect(collection_path, config):
    for folder in ON_REQUEST:
        if folder in Path(collection_path).resolve().parents and not _asked_for(config, folder):
            return True
    return None


@pytest.fixture
def synthetic_text() -> str:
    """A few thousand characters of pseudo-English made here, so tests need no dataset."""
    rng = random.Random(0)
    words = ["the", "cat", "sat", "on", "a", "mat", "and", "dog", "ran", "far", "away", "home"]
    lines = []
    for _ in range(120):
        lines.append(" ".join(rng.choice(words) for _ in range(rng.randint(3, 9))).capitalize() + ".")
    return "\n".join(lines) + "\n"


@pytest.fixture
def text_file(tmp_path, synthetic_text):
    path = tmp_path / "input.txt"
    path.write_text(synthetic_text, encoding="utf-8")
    return path
