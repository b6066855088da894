"""The scoreboard page: every claim of every chapter with its verdict, generated from the executed notebooks.

Chapters record claims with `charlab.claims.claim`, which stores each one in its output's metadata. This module
reads them back from the committed notebooks and writes `book/scoreboard.md` (a table per chapter, linking each
claim to its callout in the chapter) and the verdict counts in `book/intro.md` (between the two
`<!-- scoreboard-counts -->` markers). `python -m charlab.book scoreboard` writes both; `--check` (run by the
tests) fails when either is stale, like the data page.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import nbformat

from charlab.claims import VERDICTS, Claim
from charlab.errors import CharlabError

PAGE = Path("book") / "scoreboard.md"
INTRO = Path("book") / "intro.md"
MARK = "<!-- scoreboard-counts -->"
Chapters = list[tuple[Path, str, list[Claim]]]  # (notebook, title, claims in page order), one per chapter


def chapter_claims(path: Path) -> tuple[str, list[Claim]]:
    """(title, claims in page order) of an executed notebook."""
    nb = nbformat.read(path, as_version=4)
    title = next((c.source.splitlines()[0].lstrip("# ").strip() for c in nb.cells
                  if c.cell_type == "markdown" and c.source.startswith("# ")), path.stem)
    claims = []
    for cell in nb.cells:
        for out in cell.get("outputs", []) if cell.cell_type == "code" else []:
            data = out.get("metadata", {}).get("charlab", {}).get("claim")
            if data:
                claims.append(Claim(**data))
    return title, claims


def collect(notebooks: list[Path]) -> Chapters:
    """The claims of each notebook; an id recorded twice in the book is an error."""
    out: Chapters = []
    seen: dict[str, str] = {}
    for path in notebooks:
        title, claims = chapter_claims(path)
        for c in claims:
            if c.id in seen:
                raise CharlabError(f"claim id {c.id!r} is recorded twice ({seen[c.id]} and {path.name})")
            seen[c.id] = path.name
        out.append((path, title, claims))
    return out


def counts_markdown(chapters: Chapters) -> str:
    """One sentence: how many claims are judged, and how many have each verdict."""
    counts = Counter(c.verdict for _, _, claims in chapters for c in claims)
    total = sum(counts.values())
    if not total:
        return "No chapter has recorded a verdict yet."
    parts = ", ".join(f"**{counts[v]}** {v}" for v in VERDICTS if counts[v])
    return f"{total} claims of the post are measured and judged so far: {parts}."


def page_markdown(chapters: Chapters) -> str:
    """The scoreboard page: the counts, then a table per chapter linking each claim to its callout."""
    lines = [
        "# Scoreboard", "",
        "Every claim of the post that a chapter measures, with the chapter's verdict, the number behind it and the",
        "scale it was measured at. Each claim links to its callout in the chapter, where the measurement is",
        "explained. A claim that needs the post's model and training time is *not reached at this scale* until a",
        "`blog`-scale run is committed. This page is generated from the executed chapters",
        "(`python -m charlab.book scoreboard`); a test fails when it is stale.", "",
        counts_markdown(chapters), "",
    ]
    for path, title, claims in chapters:
        if not claims:
            continue
        lines += [f"## {title}", "", "| claim of the post | measured | verdict | scale |", "|---|---|---|---|"]
        for c in claims:
            link = f'<a href="../notebooks/{path.stem}.html#claim-{c.id}">{_cell(c.post)}</a>'
            lines.append(f"| {link} | {_cell(c.value)} | **{c.verdict}** | {c.scale} |")
        lines.append("")
    return "\n".join(lines).rstrip("\n")


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def intro_with_counts(intro: str, chapters: Chapters) -> str:
    """`intro` with the verdict counts between its two MARK lines."""
    parts = intro.split(MARK)
    if len(parts) != 3:
        raise CharlabError(f"{INTRO} needs the counts between two {MARK!r} lines")
    return f"{parts[0]}{MARK}\n{counts_markdown(chapters)}\n{MARK}{parts[2]}"


def render(book: Path) -> dict[Path, str]:
    """What book/scoreboard.md and book/intro.md must contain, from the notebooks of `book`."""
    chapters = collect(sorted((book / "notebooks").glob("*.ipynb")))
    intro = (book / INTRO).read_text(encoding="utf-8")
    return {book / PAGE: page_markdown(chapters) + "\n", book / INTRO: intro_with_counts(intro, chapters)}


def stale(book: Path) -> list[Path]:
    """The generated files that differ from what the notebooks say now."""
    return [p for p, text in render(book).items() if not p.is_file() or p.read_text(encoding="utf-8") != text]


def write(book: Path) -> list[Path]:
    """Regenerate the scoreboard page and the intro's counts; returns the files that changed."""
    changed = stale(book)
    for path, text in render(book).items():
        if path in changed:
            path.write_text(text, encoding="utf-8")
    return changed
