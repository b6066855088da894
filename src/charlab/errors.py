"""The one exception type the CLI turns into a one-line message.

Everything a *user* can get wrong (a missing file, bad UTF-8, an unknown preset...) raises `CharlabError`
with a message that says what happened and what to do. The CLI prints it on one line and exits non-zero;
anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class CharlabError(Exception):
    """A problem with the user's input or environment, explained in one line."""


class TrainingInterrupted(CharlabError):
    """Ctrl-C (or SIGTERM, SIGHUP) arrived during training; a checkpoint was written first."""


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """Return ' (did you mean X?)' for the closest choice, or '' when nothing is close."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.5)
    return f" (did you mean {close[0]!r}?)" if close else ""
