"""The scoreboard page: every claim of every chapter with its verdict, generated from the executed notebooks.

Chapters record claims with `charlab.claims.claim`, which stores each one in its output's metadata. This module
reads them back from the committed notebooks and writes `book/scoreboard.md` (a table per chapter, linking each
claim to its callout in the chapter) and the verdict counts in `book/intro.md` (between the two
`<!-- scoreboard-counts -->` markers). `python -m charlab.book scoreboard` writes both; `--check` (run by the
tests) fails when either is stale, like the data page.
"""

from __future__ import annotations

import os
import tempfile
from collections import Counter
from pathlib import Path

from charlab.book.execute import read_notebook
from charlab.claims import KINDS, VERDICTS, Claim
from charlab.errors import CharlabError
from charlab.presets import SCALES

PAGE = Path("book") / "scoreboard.md"
INTRO = Path("book") / "intro.md"
MARK = "<!-- scoreboard-counts -->"
Chapters = list[tuple[Path, str, list[Claim]]]  # (notebook, title, claims in page order), one per chapter


def chapter_claims(path: Path) -> tuple[str, list[Claim]]:
    """(title, claims in page order) of an executed notebook; a claim recorded in a form `charlab.claims.claim`
    does not write (an unknown or missing key, a value that is not a string) is one CharlabError line naming the
    notebook and the cell."""
    nb = read_notebook(path)
    title = next((c.source.splitlines()[0].lstrip("# ").strip() for c in nb.cells
                  if c.cell_type == "markdown" and c.source.startswith("# ")), path.stem)
    claims = []
    for i, cell in enumerate(nb.cells, 1):
        for out in cell.get("outputs", []) if cell.cell_type == "code" else []:
            meta = out.get("metadata", {}).get("charlab")
            data = meta.get("claim") if isinstance(meta, dict) else None
            if data:
                claims.append(_claim(data, f"{path}: cell {i}"))
    return title, claims


def _claim(data: object, where: str) -> Claim:
    """The Claim a recorded `metadata.charlab.claim` holds (`where` names it in an error)."""
    try:
        return Claim.from_dict(data)
    except CharlabError as e:
        raise CharlabError(f"{where}: {e} (re-execute the chapter)") from None


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
    """How many claims of the post are judged, and how many have each verdict (at the largest scale each was
    judged at); how many readers' questions are answered and facts shown (never counted as verdicts)."""
    claims = [c for _, _, cs in chapters for c in cs]
    counts = Counter(c.headline.verdict for c in claims if c.kind == "post")
    total = sum(counts.values())
    if not claims:
        return "No chapter has recorded a verdict yet."
    parts = ", ".join(f"**{counts[v]}** {v}" for v in VERDICTS if counts[v])
    text = f"{total} claims of the post are measured and judged so far: {parts}." if total else ""
    one = {"question": "reader's question", "fact": "arithmetic fact"}
    others = [f"{n} {KINDS[k] if n != 1 else one[k]}" for k in ("question", "fact")
              if (n := sum(c.kind == k for c in claims))]
    if others:
        text += f" Beside them: {' and '.join(others)}, not counted as verdicts."
    return text.strip()


def page_markdown(chapters: Chapters) -> str:
    """The scoreboard page: the counts, then per chapter a table per kind, one column per scale judged, each claim
    linked to its callout in the chapter."""
    scales = [s for s in SCALES if any(c.at(s) for _, _, cs in chapters for c in cs)]
    lines = [
        "# Scoreboard", "",
        "Every claim of the post that a chapter measures, with the chapter's verdict and the number behind it at each",
        "scale it was measured at (`cpu`: the chapter's own run of minutes; `long`: the committed CPU runs of 30-60",
        "minutes; `blog`: the post's settings on a GPU), then the readers' questions the chapters answer and the",
        "arithmetic facts they show. Each claim links to its callout in the chapter, where the measurement is",
        "explained. A claim that needs more training than a scale gives is *not reached at this scale*, and so is a",
        "claim of failure judged on a model below its competence gate. This page is generated from the executed",
        "chapters (`python -m charlab.book scoreboard`); a test fails when it is stale.", "",
        counts_markdown(chapters), "",
    ]
    for path, title, claims in chapters:
        if not claims:
            continue
        lines += [f"## {title}", ""]
        for kind, heading in KINDS.items():
            rows = [c for c in claims if c.kind == kind]
            if not rows:
                continue
            lines += [f"| {heading} | " + " | ".join(scales) + " |", "|---|" + "---|" * len(scales)]
            for c in rows:
                link = f'<a href="../notebooks/{path.stem}.html#claim-{c.id}">{_cell(c.post)}</a>'
                cells = [f"**{j.verdict}**: {_cell(j.value)}" if (j := c.at(s)) else "–" for s in scales]
                lines.append(f"| {link} | " + " | ".join(cells) + " |")
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
    intro_path = book / INTRO
    if not intro_path.is_file():
        raise CharlabError(f"no file {intro_path}: the scoreboard writes its verdict counts there "
                           "(give the book's root folder with --book)")
    try:
        intro = intro_path.read_text(encoding="utf-8")
    except OSError as e:
        raise CharlabError(f"{intro_path}: cannot read ({e.strerror})") from None
    except UnicodeDecodeError as e:
        raise CharlabError(f"{intro_path}: not UTF-8 text ({e.reason} at byte {e.start})") from None
    notebooks = sorted((book / "notebooks").glob("*.ipynb"))
    if not notebooks:  # a wrong --book: writing "no verdict yet" over the intro's counts would lose them
        raise CharlabError(f"no notebooks in {book / 'notebooks'}: give the book's root folder with --book")
    chapters = collect(notebooks)
    return {book / PAGE: page_markdown(chapters) + "\n", book / INTRO: intro_with_counts(intro, chapters)}


def stale(book: Path) -> list[Path]:
    """The generated files that differ from what the notebooks say now."""
    return [p for p, text in render(book).items() if _current(p) != text]


def _current(path: Path) -> str | None:
    """The text of a generated file, None when it is missing or unreadable (then it is stale)."""
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def write(book: Path) -> list[Path]:
    """Regenerate the scoreboard page and the intro's counts; returns the files that changed."""
    wanted = render(book)
    changed = [p for p, text in wanted.items() if _current(p) != text]
    for path in changed:
        _write_atomic(path, wanted[path])
    return changed


def _write_atomic(path: Path, text: str) -> None:
    """Write `path` through a temporary file beside it, so a full disk or an interrupt never leaves it half
    written (the intro holds more than the counts)."""
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as e:
        raise CharlabError(f"{path}: cannot write ({e.strerror})") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp, path.stat().st_mode & 0o777 if path.exists() else 0o644)  # mkstemp makes it 0600
        os.replace(tmp, path)
    except BaseException as e:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(e, OSError):
            raise CharlabError(f"{path}: cannot write ({e.strerror}); it is unchanged") from None
        raise
