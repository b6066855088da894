"""Claims and their verdicts: what a chapter records, shows and the scoreboard collects.

A chapter states each claim it tests with `claim(...)`: an id, the post's words (a short quote), what was measured
(a sentence with the number), the headline value, the scale it was measured at and a verdict from the fixed set
`VERDICTS`, computed by the chapter from its numbers. The claim is shown in the page as a callout (an HTML block
with the anchor `claim-<id>`) and carried as data in that output's metadata (`metadata.charlab.claim`), from which
`python -m charlab.book scoreboard` writes `book/scoreboard.md`.

Three things make a verdict one a skeptic can accept:

- **A kind.** `post` (a claim of the post, counted in the verdicts), `question` (a reader's question, answered)
  or `fact` (arithmetic, such as a parameter count: shown, never counted as a verdict).
- **A competence gate.** A claim that a model *fails* at something needs a model competent enough to show it: the
  chapter passes `gate=Gate(what, value, threshold)`, a competence measured on the same samples with its threshold
  fixed in code from real text and chance. Below the threshold the verdict is "not reached at this scale",
  whatever the chapter computed, and the gate's number is shown.
- **A verdict per scale.** One claim carries a judgement for each scale it was measured at: the page's own run
  (`scale`) and, with `also=`, models trained at other scales (`judge(...)` for each, e.g. the committed `long`
  results). The scoreboard has one column per scale.
"""

from __future__ import annotations

import html
import math
import re
from dataclasses import dataclass, field
from typing import NamedTuple

from .errors import CharlabError
from .presets import SCALES, normalize_scale

VERDICTS = ("holds", "holds partly", "not reached at this scale", "contradicted", "not testable here")
NOT_REACHED = "not reached at this scale"
KINDS = {"post": "claims of the post", "question": "readers' questions", "fact": "arithmetic facts"}
COLOURS = {"holds": "#2e7d32", "holds partly": "#9e7c00", NOT_REACHED: "#6d6d6d", "contradicted": "#c62828",
           "not testable here": "#6d6d6d"}
_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
FIELDS = ("id", "post", "kind", "judgements")
JUDGEMENT_FIELDS = ("scale", "verdict", "measured", "value", "gate")
LEGACY_FIELDS = ("id", "post", "measured", "value", "verdict", "scale")  # recorded before kinds and scales


@dataclass(frozen=True)
class Gate:
    """The competence a claim needs before its verdict counts: `value` (higher is more competent) against the
    `threshold` it must reach."""

    what: str  # "closes the innermost \\begin above chance (22%)"
    value: float
    threshold: float

    def __post_init__(self) -> None:
        if not isinstance(self.what, str) or not self.what.strip():
            raise CharlabError("a competence gate needs a description (what)")
        for name in ("value", "threshold"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
                raise CharlabError(f"a competence gate's {name} must be a finite number, got {v!r}")

    @property
    def passed(self) -> bool:
        return self.value >= self.threshold

    def text(self) -> str:
        return f"{self.what}: {self.value:.3g} against the {self.threshold:.3g} needed"


@dataclass(frozen=True)
class Judgement:
    """The verdict of one claim at one scale, and the measurement behind it."""

    scale: str
    verdict: str
    measured: str  # what was measured and the result, in a sentence
    value: str  # the headline number(s), as printed in the scoreboard
    gate: Gate | None = None

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:
            raise CharlabError(f"unknown verdict {self.verdict!r}; use one of {', '.join(VERDICTS)}")
        object.__setattr__(self, "scale", normalize_scale(self.scale))
        if self.gate is not None and not self.gate.passed and self.verdict != "not testable here":
            object.__setattr__(self, "verdict", NOT_REACHED)  # the model cannot show what the claim is about

    def text(self) -> str:
        gate = f" Competence gate: {self.gate.text()}" + ("." if self.gate.passed else ", not met.") \
            if self.gate else ""
        return self.measured + gate


def judge(scale: str, verdict: str, measured: str, value: str, gate: Gate | None = None) -> Judgement:
    """A judgement to pass to `claim(..., also=[...])`: the verdict at another scale than the page's."""
    return Judgement(scale, verdict, measured, value, gate)


class Verdict(NamedTuple):
    """What a chapter's verdict function returns for one claim and one model, before the claim is shown: the
    verdict (one of `VERDICTS`), the headline value, the measurement (a sentence) and the competence gate it was
    judged under (None: none needed). The page's own run is shown with
    `claim(id, post, v.measured, v.value, v.verdict, scale, gate=v.gate)`; another scale's, such as the committed
    `long` run's, goes in `also=[v.judgement("long")]`. A tuple, so `verdict, value, measured, gate = v` works."""

    verdict: str
    value: str
    measured: str
    gate: Gate | None = None

    def judgement(self, scale: str) -> Judgement:
        """This verdict as the judgement at `scale` (what `judge` returns; a failed gate makes it "not reached at
        this scale")."""
        return judge(scale, self.verdict, self.measured, self.value, gate=self.gate)


@dataclass(frozen=True)
class Claim:
    id: str  # "ch02-temperature-diversity": unique in the book, also the page anchor claim-<id>
    post: str  # the post's words (a short quote), or the reader's question
    kind: str  # one of KINDS
    judgements: tuple[Judgement, ...] = field(default_factory=tuple)  # one per scale, in SCALES order

    def __post_init__(self) -> None:
        if not _ID.fullmatch(self.id):
            raise CharlabError(f"claim id {self.id!r} must be lower-case words joined by hyphens")
        if self.kind not in KINDS:
            raise CharlabError(f"unknown kind {self.kind!r}; use one of {', '.join(KINDS)}")
        if not self.judgements:
            raise CharlabError(f"claim {self.id!r} has no judgement")
        scales = [j.scale for j in self.judgements]
        if len(set(scales)) != len(scales):
            raise CharlabError(f"claim {self.id!r} is judged twice at one scale ({', '.join(scales)})")
        object.__setattr__(self, "judgements", tuple(sorted(self.judgements, key=lambda j: SCALES.index(j.scale))))

    @property
    def headline(self) -> Judgement:
        """The judgement at the largest scale: what the book's counts report."""
        return self.judgements[-1]

    def at(self, scale: str) -> Judgement | None:
        return next((j for j in self.judgements if j.scale == scale), None)

    def html(self) -> str:
        rows = []
        for j in self.judgements:
            colour = COLOURS[j.verdict]
            rows.append(f'<strong style="color:{colour}">{html.escape(j.verdict.capitalize())}</strong> '
                        f'<span style="color:#555">({html.escape(j.scale)} scale)</span> {html.escape(j.text())}')
        label = {"post": "The post", "question": "A reader asked", "fact": "The post"}[self.kind]
        return (f'<div class="charlab-claim" id="claim-{self.id}" style="border-left:4px solid '
                f'{COLOURS[self.headline.verdict]};padding:0.4em 0.8em;margin:0.8em 0;background:#f7f7f7">'
                f'<em>{label}:</em> “{html.escape(self.post)}”<br>' + "<br>".join(rows) + "</div>")

    def to_dict(self) -> dict:
        return {"id": self.id, "post": self.post, "kind": self.kind,
                "judgements": [{"scale": j.scale, "verdict": j.verdict, "measured": j.measured, "value": j.value,
                                "gate": None if j.gate is None else {"what": j.gate.what, "value": j.gate.value,
                                                                     "threshold": j.gate.threshold}}
                               for j in self.judgements]}

    @classmethod
    def from_dict(cls, data: object) -> Claim:
        """The claim a recorded `metadata.charlab.claim` holds, every field checked (one CharlabError line naming
        the problem); a claim recorded before kinds and scales (id, post, measured, value, verdict, scale) reads
        as a claim of the post judged at one scale."""
        if not isinstance(data, dict):
            raise CharlabError("its recorded claim is not an object")
        legacy = "judgements" not in data and "kind" not in data
        names = LEGACY_FIELDS if legacy else FIELDS
        _check_fields(data, names, "its recorded claim", strings=[n for n in names if n != "judgements"])
        if legacy:
            return cls(data["id"], data["post"], "post",
                       (Judgement(data["scale"], data["verdict"], data["measured"], data["value"]),))
        if not isinstance(data["judgements"], list) or not data["judgements"]:
            raise CharlabError("its recorded claim's 'judgements' must be a non-empty list")
        judgements = []
        for j in data["judgements"]:
            if not isinstance(j, dict):
                raise CharlabError("its recorded claim has a judgement that is not an object")
            _check_fields(j, JUDGEMENT_FIELDS, "a judgement of its recorded claim",
                          strings=["scale", "verdict", "measured", "value"])
            gate = j["gate"]
            if gate is not None:
                if not isinstance(gate, dict) or set(gate) != {"what", "value", "threshold"}:
                    raise CharlabError("a judgement's gate must be null or an object of what, value, threshold")
                gate = Gate(gate["what"], gate["value"], gate["threshold"])
            judgements.append(Judgement(j["scale"], j["verdict"], j["measured"], j["value"], gate))
        return cls(data["id"], data["post"], data["kind"], tuple(judgements))


def _check_fields(data: dict, names: tuple[str, ...], what: str, strings: list[str]) -> None:
    unknown = [k for k in data if k not in names]
    if unknown:
        raise CharlabError(f"{what} has unknown key(s) {', '.join(map(repr, unknown))}; a claim has "
                           f"{', '.join(names)}")
    missing = [k for k in names if k not in data]
    if missing:
        raise CharlabError(f"{what} lacks {', '.join(map(repr, missing))}")
    bad = [k for k in strings if not isinstance(data[k], str)]
    if bad:
        raise CharlabError(f"{what}'s {', '.join(map(repr, bad))} must be a string")


def claim(id: str, post: str, measured: str, value: str, verdict: str, scale: str, *,  # noqa: A002
          kind: str = "post", gate: Gate | None = None, also: tuple[Judgement, ...] | list[Judgement] = ()) -> None:
    """Record and show one claim in the notebook (see the module docstring): judged at `scale` (the page's) with
    `verdict`, and at other scales by the judgements in `also`. Like `display`, it returns nothing, so a claim at
    the end of a cell is shown once."""
    from IPython.display import HTML, display

    c = Claim(id, post, kind, (Judgement(scale, verdict, measured, value, gate), *also))
    display(HTML(c.html()), metadata={"charlab": {"claim": c.to_dict()}})
