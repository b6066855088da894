"""The models that run in the built book's pages (issue 28), in headless Chromium, offline, over HTTP.

Chapter 2: the temperature widget samples from a typed prime at the slider's temperature with no kernel; the
in-page forward pass matches torch (fp32, on the same fp16-rounded weights, read back from the page) within 1e-3
in logits over 1,000 characters; its argmax sample of 200 characters from a prime is what `charlab sample
--temperature 0` writes with that prime from a checkpoint of those weights (where the two part, the two best
logits there must be within 1e-3). Chapter 9: the Linux browser colours pasted C by the chosen cell and shows the
in-page model's top guesses, with the same parity. Both pages keep their static content with JavaScript off, and
each carries one model of at most 5 MiB.

Run after building the book: scripts/build_book.sh && .venv/bin/pytest tests/browser
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse

import numpy as np
import pytest
import torch

from charlab.checkpoint import save_checkpoint
from charlab.widgets.model_data import MAX_BYTES, rounded_model

SITE = Path(os.environ.get("CHARLAB_BOOK_HTML", Path(__file__).resolve().parents[2] / "_build" / "html")).resolve()
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
PAGES = {"temperature": "notebooks/02_paul_graham.html", "neurons": "notebooks/09_neurons.html"}
NOISE = re.compile("THEBE_JS_URL|invalid theme mode|strict mode")  # every Jupyter Book 1 page (test_book_browser.py)
PARITY_CHARS = 1000
ARGMAX_CHARS = 200
TOLERANCE = 1e-3
C_TEXT = """static int count_open(const char *s)
{
	int depth = 0;	/* how deep we are */
	while (*s) {
		if (*s == '(')
			depth++;
		else if (*s == ')')
			depth--;
		s++;
	}
	return depth;
}
"""


def page_widgets(page_path: str, kind: str) -> list[dict]:
    """The states of the page's charlab widgets of `kind`, from the widget state embedded in the built page."""
    path = SITE / page_path
    if not path.is_file():
        pytest.fail(f"no {page_path} in the built book at {SITE}: run scripts/build_book.sh first")
    html = path.read_text("utf-8")
    states = []
    for block in re.findall(rf'<script type="{re.escape(WIDGET_STATE)}">(.*?)</script>', html, re.S):
        for m in json.loads(block)["state"].values():
            if re.fullmatch(rf"charlab\.widgets\.{kind}\.\w+Widget", m.get("state", {}).get("_anywidget_id", "")):
                states.append(m["state"])
    return states


def the_page_model(page_path: str, kind: str) -> tuple[dict, dict]:
    """(the widget state that carries a model, its payload); fails unless exactly one widget carries one."""
    carrying = [s for s in page_widgets(page_path, kind) if s.get("model")]
    assert len(carrying) == 1, (f"{page_path}: {len(carrying)} widgets carry a model, want one (execute the "
                                "notebook with this charlab to embed it)")
    state = carrying[0]
    size = len(json.dumps(state["model"]))
    assert size <= MAX_BYTES, f"{page_path}: {size / 2**20:.2f} MiB of model data, over 5 MiB"
    return state, state["model"]


def open_page(browser, server, page_path: str, javascript: bool = True):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, java_script_enabled=javascript)
    page = context.new_page()
    local = urlparse(server).netloc
    blocked, errors = [], []

    def route(r):
        if urlparse(r.request.url).netloc == local:
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.on("pageerror", lambda exc: NOISE.search(str(exc)) or errors.append(str(exc)))
    page.goto(f"{server}/{page_path}", wait_until="load")
    return context, page, blocked, errors


def wait_state(page, root_selector: str, state: str, timeout: int = 60_000) -> None:
    page.wait_for_function(f"(() => {{ const r = document.querySelector('{root_selector}');"
                           f" return r && r.dataset.modelState === '{state}'; }})()", timeout=timeout)


def parity_text(vocab_chars: tuple[str, ...], seed_text: str) -> str:
    """1,000 characters the model knows: the page's own text, repeated as needed."""
    known = "".join(ch for ch in seed_text if ch in set(vocab_chars))
    assert known, "no text on the page the model can read"
    return (known * (PARITY_CHARS // len(known) + 1))[:PARITY_CHARS]


def logit_gap(root, payload: dict, text: str) -> float:
    """max |logit difference| between the page's forward pass and torch on the same rounded weights."""
    got = np.array(root.evaluate("(el, text) => { const m = el.charlabModel; return m.logitsOf(m.encode(text).ids)"
                                 ".map(r => Array.from(r)); }", text))
    model, vocab = rounded_model(payload)
    with torch.no_grad():
        want = model(torch.tensor(vocab.encode(text))[None])[0][0].double().numpy()
    assert got.shape == want.shape
    return float(np.abs(got - want).max())


def argmax_in_page(root, prime: str) -> str:
    """The page's argmax sample of ARGMAX_CHARS characters after `prime`."""
    return root.evaluate("(el, [p, n]) => el.charlabModel.sample({prime: p, length: n, temperature: 0})",
                         [prime, ARGMAX_CHARS])


def cli_argmax(payload: dict, prime: str, tmp_path) -> str:
    """`charlab sample --temperature 0` from a checkpoint of the page's rounded weights."""
    model, vocab = rounded_model(payload)
    ckpt = save_checkpoint(tmp_path / "best.safetensors", model, vocab, {}, rng=False)
    out = subprocess.run([sys.executable, "-m", "charlab", "sample", str(ckpt), "--temperature", "0", "--prime",
                          prime, "--length", str(ARGMAX_CHARS)], capture_output=True, text=True, check=True)
    assert out.stdout.startswith(prime)
    return out.stdout[len(prime):len(prime) + ARGMAX_CHARS]  # the CLI ends its output with a newline


def check_argmax(payload: dict, page_text: str, cli_text: str, prime: str) -> None:
    """The same string, or where they part a near-tie of the two best logits (torch's, on the CLI's path)."""
    assert len(page_text) == len(cli_text) == ARGMAX_CHARS
    if page_text == cli_text:
        return
    at = next(i for i, (a, b) in enumerate(zip(page_text, cli_text, strict=True)) if a != b)
    model, vocab = rounded_model(payload)
    with torch.no_grad():
        logits = model(torch.tensor(vocab.encode(prime + cli_text[:at]))[None])[0][0, -1]
    top2 = logits.topk(2).values
    assert float(top2[0] - top2[1]) <= TOLERANCE, (
        f"the page's argmax sample parts from charlab sample's at character {at} where the two best logits are "
        f"{float(top2[0] - top2[1]):.2e} apart:\n page: {page_text!r}\n cli:  {cli_text!r}")


def test_chapter_2_samples_live_from_a_typed_prime(server, browser, tmp_path):
    state, payload = the_page_model(PAGES["temperature"], "temperature")
    context, page, blocked, errors = open_page(browser, server, PAGES["temperature"])
    try:
        root = page.locator('[data-charlab-widget="temperature"][data-model-state]')
        wait_state(page, '[data-charlab-widget="temperature"][data-model-state]', "ready")
        # as a reader: a prime, a temperature, "sample"; the characters stream into the sample box
        prime = "The most important thing"
        root.locator("input[type=range]").press("End")  # the highest temperature sampled on the page
        root.locator(".charlab-prime").fill(prime)
        root.locator("button.charlab-sample-live").click()
        wait_state(page, '[data-charlab-widget="temperature"][data-model-state]', "done")
        shown = root.locator(".charlab-sample").inner_text()
        made = root.locator(".charlab-sample-new").evaluate("el => el.textContent")
        assert shown.startswith(prime) and len(made) == state["length"]
        assert set(made) <= set(payload["vocab"])
        assert f"T = {state['temperatures'][-1]:g}" in root.locator(".charlab-note").first.inner_text()
        assert made not in state["samples"]  # made now, not a precomputed one

        text = parity_text(tuple(payload["vocab"]), "".join(state["samples"]))
        gap = logit_gap(root, payload, text)
        print(f"\nchapter 2: max |logit difference| over {len(text)} characters: {gap:.2e}")
        assert gap < TOLERANCE
        for argmax_prime in ("The most important thing", "Startups "):
            page_text = argmax_in_page(root, argmax_prime)
            cli_text = cli_argmax(payload, argmax_prime, tmp_path)
            print(f"chapter 2: argmax sample from {argmax_prime!r} equal to charlab sample's: {page_text == cli_text}")
            check_argmax(payload, page_text, cli_text, argmax_prime)
        # the reader's way to the argmax sample: top-k 1 in the widget, at whatever temperature
        root.locator(".charlab-prime").fill(argmax_prime)
        root.locator(".charlab-top-k").fill("1")
        root.locator("button.charlab-sample-live").click()
        wait_state(page, '[data-charlab-widget="temperature"][data-model-state]', "done")
        made = root.locator(".charlab-sample-new").evaluate("el => el.textContent")
        assert made[:ARGMAX_CHARS] == page_text
    finally:
        context.close()
    assert not blocked, f"requests to the network: {blocked}"
    assert not errors, f"JavaScript errors: {errors}"


def test_chapter_9_colours_pasted_text_in_the_page(server, browser, tmp_path):
    state, payload = the_page_model(PAGES["neurons"], "neurons")
    context, page, blocked, errors = open_page(browser, server, PAGES["neurons"])
    try:
        selector = '[data-charlab-widget="neurons"][data-model-state]'
        root = page.locator(selector)
        wait_state(page, selector, "ready")
        text = "".join(ch for ch in C_TEXT if ch in set(payload["vocab"]))
        root.locator("textarea.charlab-paste").fill(text)
        root.locator("button.charlab-read").click()
        wait_state(page, selector, "own")
        sample = root.locator(".charlab-sample")
        assert sample.inner_text() == text
        colours = "el => [...el.querySelectorAll('span')].map(s => s.style.backgroundColor)"
        first = sample.evaluate(colours)
        assert len(first) == len(text)
        # the colour is the chosen cell's tanh(c) after each character, as torch records it
        from charlab.neurons import record

        model, vocab = rounded_model(payload)
        cell = state["cells"][0]["cell"]
        want = record(model, vocab, text).flat()[:, cell]
        alphas = [float(c.rsplit(",", 1)[1].rstrip(")")) if c.startswith("rgba") else 1.0 for c in first]
        assert np.allclose(alphas, np.abs(want), atol=0.006)
        root.locator("input[type=range]").press("End")
        assert sample.evaluate(colours) != first, "another cell must recolour the pasted text"
        sample.locator("span").nth(10).hover()
        with torch.no_grad():
            probs = torch.softmax(model(torch.tensor(vocab.encode(text[:11]))[None])[0][0, -1], -1)
        best = vocab.chars[int(probs.argmax())]
        guess = root.locator(".charlab-guess").first.inner_text()
        assert guess.startswith({"\n": "↵", " ": "␣", "\t": "→"}.get(best, best))

        seed_text = state["text"] + text
        gap = logit_gap(root, payload, parity_text(tuple(payload["vocab"]), seed_text))
        print(f"\nchapter 9: max |logit difference| over {PARITY_CHARS} characters: {gap:.2e}")
        assert gap < TOLERANCE
        prime = "static int "
        page_text = argmax_in_page(root, prime)
        cli_text = cli_argmax(payload, prime, tmp_path)
        print(f"chapter 9: argmax sample from {prime!r} equal to charlab sample's: {page_text == cli_text}")
        check_argmax(payload, page_text, cli_text, prime)
    finally:
        context.close()
    assert not blocked, f"requests to the network: {blocked}"
    assert not errors, f"JavaScript errors: {errors}"


@pytest.mark.parametrize("page_path", sorted(PAGES.values()))
def test_pages_keep_their_static_content_without_javascript(server, browser, page_path):
    context, page, blocked, _ = open_page(browser, server, page_path, javascript=False)
    try:
        body = page.inner_text("body")
        assert "Run stamp." in body, "the run stamp is missing with JavaScript off"
        heading = "The temperature widget" if "02_" in page_path else "The neuron browser"
        assert heading in body
        assert page.locator(".cell_output img").count() > 0, "the figures are missing with JavaScript off"
    finally:
        context.close()
    assert not blocked
