"""Open every page of the built book in headless Chromium, offline, and check it really works.

Run after building the book:  scripts/build_book.sh && .venv/bin/pytest tests/browser
(CHARLAB_BOOK_HTML=path/to/_build/html selects another build.)

Per page, it fails on: any request that is not to the local server (all are blocked, so a hidden CDN
dependency shows up here), any failed request or HTTP error, any JavaScript error beyond the known harmless
noise of Jupyter Book pages, any charlab widget the page's embedded widget state promises but that did not render
(or any widget that rendered "Error displaying widget"), a charlab widget whose `.charlab-sample` does not
change when its slider is moved with the keyboard (its text; for the neuron browser, whose text stays, the
colouring of its characters: choosing another cell must recolour them), and equations that MathJax did not
typeset. On chapter pages it also checks that the run stamp is visible and the Colab link is there, and saves a
full-page screenshot to _build/screenshots/, and that the page shows as many figures as its notebook stores, none of
them broken.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from urllib.parse import urlparse

import nbformat
import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from charlab.book.stamp import images

REPO = Path(__file__).resolve().parents[2]
SITE = Path(os.environ.get("CHARLAB_BOOK_HTML", REPO / "_build" / "html")).resolve()  # as conftest.py serves it
SCREENSHOTS = SITE.parent / "screenshots"
# Seen on every default Jupyter Book 1 page, with or without our additions; harmless.
KNOWN_NOISE = [
    re.compile(r"Identifier 'THEBE_JS_URL' has already been declared"),
    re.compile(r"Got invalid theme mode"),
    re.compile(r"strict mode"),
]
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
RENDER_TIMEOUT_MS = 20_000


def pages() -> list[str]:
    """Every HTML page of the book, relative to the site root (assets excluded)."""
    if not (SITE / "index.html").is_file():
        return ["<no build>"]
    skip = {"_static", "_sources", "_images", "vendor"}
    return sorted(
        p.relative_to(SITE).as_posix() for p in SITE.rglob("*.html") if not skip & set(p.relative_to(SITE).parts)
    )


def expected_widgets(html: str) -> tuple[int, dict[str, int]]:
    """(number of widget views, charlab widgets per kind) promised by the page's embedded widget state."""
    states = re.findall(rf'<script type="{re.escape(WIDGET_STATE)}">(.*?)</script>', html, re.S)
    models = {}
    for state in states:
        models.update(json.loads(state)["state"])
    views = [json.loads(v) for v in re.findall(rf'<script type="{re.escape(WIDGET_VIEW)}">(.*?)</script>', html, re.S)]
    kinds: dict[str, int] = {}
    for view in views:
        model_id = view["model_id"]
        anywidget_id = models.get(model_id, {}).get("state", {}).get("_anywidget_id", "")
        match = re.fullmatch(r"charlab\.widgets\.(\w+)\.\w+Widget", anywidget_id)
        if match:
            kinds[match.group(1)] = kinds.get(match.group(1), 0) + 1
    return len(views), kinds


def is_noise(text: str) -> bool:
    return any(p.search(text) for p in KNOWN_NOISE)


def wait_or_explain(page, condition: str, what: str, blocked, failed, errors) -> None:
    """Wait for a JS condition; on timeout fail with what the page tried to load and what went wrong."""
    try:
        page.wait_for_function(condition, timeout=RENDER_TIMEOUT_MS)
    except PlaywrightTimeout:
        pytest.fail(
            f"{what} within {RENDER_TIMEOUT_MS // 1000} s. Blocked network requests: {blocked}; "
            f"failed requests: {failed}; JavaScript errors: {errors}"
        )


def check_widget_responds(widget, name: str, kind: str) -> None:
    """Move the slider with the keyboard, as a reader would, and require the sample to change."""
    slider = widget.locator("input[type=range]")
    sample = widget.locator(".charlab-sample")
    assert slider.count() == 1, f"{name}: expected one input[type=range], found {slider.count()}"
    assert sample.count() == 1, f"{name}: expected one .charlab-sample, found {sample.count()}"
    low, high = int(slider.get_attribute("min")), int(slider.get_attribute("max"))
    if high == low:
        return  # a single sample: nothing to move to

    def shown() -> str:
        if kind == "neurons":  # the same text, coloured by another cell
            return sample.evaluate("el => [...el.querySelectorAll('span')].map(s => s.style.backgroundColor).join(';')")
        return sample.inner_text()

    slider.focus()
    slider.press("Home")
    first = shown()
    slider.press("End")
    last = shown()
    assert first.strip(), f"{name}: empty sample at the slider's start"
    if kind == "neurons":
        # one span per character as Python counts them (code points: [...text], not UTF-16 units)
        spans, chars = sample.evaluate("el => [el.querySelectorAll('span').length, [...el.textContent].length]")
        assert chars and spans == chars, f"{name}: {spans} coloured spans for {chars} characters"
    assert first != last, f"{name}: the sample did not change when the slider moved from {low} to {high}"
    assert slider.input_value() == str(high), f"{name}: slider did not move"


@pytest.mark.parametrize("page_path", pages())
def test_page_works_offline(page_path, server, browser):
    if page_path == "<no build>":
        pytest.fail(f"no built book at {SITE}: run scripts/build_book.sh first")
    html = (SITE / page_path).read_text("utf-8")
    local = urlparse(server).netloc
    blocked, failed, errors = [], [], []

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()

    def route(r):
        url = r.request.url
        if urlparse(url).netloc == local:
            r.continue_()
        else:
            blocked.append(url)
            r.abort()

    page.route("**/*", route)
    page.on("requestfailed", lambda req: req.url not in blocked and failed.append(f"{req.url} ({req.failure})"))
    page.on("response", lambda resp: resp.status >= 400 and failed.append(f"{resp.url} (HTTP {resp.status})"))
    page.on("pageerror", lambda exc: is_noise(str(exc)) or errors.append(f"uncaught: {exc}"))
    page.on("console", lambda msg: msg.type == "error" and not is_noise(msg.text) and errors.append(msg.text))
    try:
        page.goto(f"{server}/{page_path}", wait_until="load")

        n_views, kinds = expected_widgets(html)
        if n_views:
            # html-manager replaces each view script with a rendered widget; wait for ours to appear.
            want = sum(kinds.values())
            wait_or_explain(
                page,
                f"document.querySelectorAll('[data-charlab-widget]').length >= {want}"
                f" && document.querySelectorAll('.widget-subarea').length >= {n_views}",
                f"{n_views} widget(s), {want} of them charlab's, did not all render",
                blocked, failed, errors,
            )
            assert "Error displaying widget" not in page.inner_text("body"), "a widget failed to render"
            for kind, count in kinds.items():
                found = page.locator(f'[data-charlab-widget="{kind}"]')
                assert found.count() == count, f"expected {count} {kind} widget(s), found {found.count()}"
                for i in range(count):
                    check_widget_responds(found.nth(i), f"{kind} widget #{i + 1}", kind)

        if 'class="math notranslate' in html:  # Sphinx's markup for $...$ and $$...$$
            wait_or_explain(
                page,
                "window.MathJax && MathJax.startup && MathJax.startup.promise"
                " && document.querySelectorAll('mjx-container').length > 0",
                "MathJax did not typeset the page's equations",
                blocked, failed, errors,
            )
            page.evaluate("MathJax.startup.promise")
            assert page.locator("mjx-merror").count() == 0, "MathJax could not typeset an equation"

        if page_path.startswith("notebooks/"):
            stamp = page.get_by_text("Run stamp.", exact=False).first
            assert stamp.is_visible(), "the run stamp is not visible"
            colab = page.locator(f'a[href*="colab.research.google.com/github/"][href$="{Path(page_path).stem}.ipynb"]')
            assert colab.count() >= 1, "no Open in Colab link"
            source = nbformat.read(REPO / "notebooks" / f"{Path(page_path).stem}.ipynb", as_version=4)
            want = sum(images(c) for c in source.cells if c.cell_type == "code")
            shown = page.locator(".cell_output img")
            assert shown.count() == want, f"the notebook stores {want} figure(s), the page shows {shown.count()}"
            broken = page.evaluate("[...document.querySelectorAll('.cell_output img')]"
                                   ".filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src)")
            assert not broken, f"figures that did not load: {broken}"
            # Sticky parts would land in the middle of a full-page picture.
            page.add_style_tag(content=(
                ".header-article, .bd-header-article, .skip-link, #pst-back-to-top { display: none !important; }"
                " .bd-sidebar-primary, .bd-header { position: static !important; }"
            ))
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / f"{Path(page_path).stem}.png"), full_page=True)

        page.wait_for_load_state("networkidle")
    finally:
        context.close()
    assert not blocked, f"requests to the network (the book must work offline): {blocked}"
    assert not failed, f"failed requests: {failed}"
    assert not errors, f"JavaScript errors: {errors}"
