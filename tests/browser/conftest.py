"""Keep the browser test out of the plain unit-test run.

It needs a built book (scripts/build_book.sh) and a headless Chromium, and takes tens of seconds, so it is
collected only when asked for by path: `pytest tests/browser`.
"""

from pathlib import Path

HERE = Path(__file__).resolve().parent


def _asked_for(config) -> bool:
    for arg in config.args:
        path = Path(arg.split("::")[0]).resolve()
        if path == HERE or HERE in path.parents:
            return True
    return False


def pytest_ignore_collect(collection_path, config):
    if collection_path.name.startswith("test_") and not _asked_for(config):
        return True
    return None
