"""Every link of the built book that stays inside it resolves (the file exists, and so does the #anchor), offline.

Links that leave the book are listed, one per line with the pages that use them, in _build/external-links.txt
for a person to check: this machine has no internet, and a test that fetched them would fail for reasons that
are not the book's. Run after building the book: scripts/build_book.sh && .venv/bin/pytest tests/browser
"""

from __future__ import annotations

import os
from collections import defaultdict
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urldefrag, urlparse

import pytest

REPO = Path(__file__).resolve().parents[2]
SITE = Path(os.environ.get("CHARLAB_BOOK_HTML", REPO / "_build" / "html")).resolve()
SKIP = {"_static", "_sources", "_images", "vendor"}  # theme and vendored assets: not the book's own pages


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(a["id"])
        if tag == "a" and a.get("name"):
            self.ids.add(a["name"])
        if tag == "a" and a.get("href"):
            self.hrefs.append(a["href"])


def _parse(path: Path, cache: dict[Path, Links]) -> Links:
    if path not in cache:
        parser = Links()
        parser.feed(path.read_text(encoding="utf-8", errors="replace"))
        cache[path] = parser
    return cache[path]


def test_internal_links_resolve_and_external_ones_are_listed():
    if not (SITE / "index.html").is_file():
        pytest.fail(f"no built book at {SITE}: run scripts/build_book.sh first")
    pages = [p for p in SITE.rglob("*.html") if not SKIP & set(p.relative_to(SITE).parts)]
    cache: dict[Path, Links] = {}
    broken, external = [], defaultdict(set)
    for page in pages:
        for href in _parse(page, cache).hrefs:
            url = urlparse(href)
            if url.scheme in ("http", "https"):
                external[urldefrag(href).url].add(page.relative_to(SITE).as_posix())
                continue
            if url.scheme or href.startswith("//"):  # mailto:, javascript:, data: ...
                continue
            target = (page.parent / unquote(url.path)).resolve() if url.path else page
            if target.is_dir():
                target = target / "index.html"
            where = f"{page.relative_to(SITE)} -> {href}"
            if not target.is_file():
                broken.append(f"{where}: no such file")
            elif url.fragment and target.suffix == ".html" and unquote(url.fragment) not in _parse(target, cache).ids:
                broken.append(f"{where}: no anchor #{url.fragment}")
    assert not broken, "broken links:\n" + "\n".join(sorted(broken))
    listing = SITE.parent / "external-links.txt"
    listing.write_text("".join(f"{u}  ({', '.join(sorted(p))})\n" for u, p in sorted(external.items())))
    assert external, "the book cites the post and its sources: some external links are expected"
