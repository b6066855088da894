"""Claims of the post and their verdicts: what a chapter records, shows and the scoreboard collects.

A chapter states each claim of the post it tests with `claim(...)`: an id, the post's words (a short quote), what
was measured (a sentence with the number), the headline value, the scale it was measured at, and a verdict from
the fixed set `VERDICTS`, computed by the chapter from its numbers. The claim is shown in the page as a callout
(an HTML block with the anchor `claim-<id>`) and carried as data in that output's metadata
(`metadata.charlab.claim`), from which `python -m charlab.book scoreboard` writes `book/scoreboard.md`.

Verdicts that need the post's scale say so: at `smoke`/`cpu` scale a claim about what a 2x512 LSTM trained for
hours does is "not reached at this scale" unless the small model already shows it. A blog-scale execution of the
same chapter records the same ids, and the scoreboard then shows that run's verdict.
"""

from __future__ import annotations

import html
import re
from dataclasses import asdict, dataclass

from .errors import CharlabError
from .presets import normalize_scale

VERDICTS = ("holds", "holds partly", "not reached at this scale", "contradicted", "not testable here")
COLOURS = {"holds": "#2e7d32", "holds partly": "#9e7c00", "not reached at this scale": "#6d6d6d",
           "contradicted": "#c62828", "not testable here": "#6d6d6d"}
_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


@dataclass(frozen=True)
class Claim:
    id: str  # "ch02-temperature-diversity": unique in the book, also the page anchor claim-<id>
    post: str  # the post's words, a short quote
    measured: str  # what was measured and the result, in a sentence
    value: str  # the headline number(s), as printed in the scoreboard
    verdict: str  # one of VERDICTS
    scale: str  # smoke | cpu | blog

    def __post_init__(self) -> None:
        if not _ID.fullmatch(self.id):
            raise CharlabError(f"claim id {self.id!r} must be lower-case words joined by hyphens")
        if self.verdict not in VERDICTS:
            raise CharlabError(f"unknown verdict {self.verdict!r}; use one of {', '.join(VERDICTS)}")
        object.__setattr__(self, "scale", normalize_scale(self.scale))

    def html(self) -> str:
        colour = COLOURS[self.verdict]
        return (f'<div class="charlab-claim" id="claim-{self.id}" style="border-left:4px solid {colour};'
                f'padding:0.4em 0.8em;margin:0.8em 0;background:#f7f7f7">'
                f'<strong style="color:{colour}">{html.escape(self.verdict.capitalize())}</strong> '
                f'<span style="color:#555">({html.escape(self.scale)} scale)</span><br>'
                f'<em>The post:</em> “{html.escape(self.post)}”<br>'
                f'<em>Measured:</em> {html.escape(self.measured)}</div>')

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


def claim(id: str, post: str, measured: str, value: str, verdict: str, scale: str) -> None:  # noqa: A002
    """Record and show one claim in the notebook (see the module docstring). Like `display`, it returns nothing,
    so a claim at the end of a cell is shown once."""
    from IPython.display import HTML, display

    c = Claim(id, post, measured, value, verdict, scale)
    display(HTML(c.html()), metadata={"charlab": {"claim": c.to_dict()}})
