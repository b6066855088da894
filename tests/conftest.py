import random

import pytest


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
