"""The widgets' front ends with an in-page model, rendered in headless Chromium from their ES modules with a
stand-in for anywidget's model (no kernel, as in the static book): the temperature widget samples from a typed
prime and streams the characters, the neuron browser reads pasted text. Small random models, so the answers come
from torch; tests/browser does the same on the built book with the chapters' models."""

from __future__ import annotations

import numpy as np
import torch

from charlab.model import CharRNN, ModelConfig
from charlab.neurons import record
from charlab.sampling import sample
from charlab.text import Vocab
from charlab.widgets import NeuronWidget, TemperatureWidget
from charlab.widgets.model_data import export_model, rounded_model
from charlab.widgets.neurons import encode_firing

VOCAB = Vocab(tuple("\n abcde{}"))

# A stand-in for anywidget's model: get/set/on/off/save_changes/send over the widget's state.
HARNESS = """
window.renderWidget = async (esm, state) => {
  const url = URL.createObjectURL(new Blob([esm], { type: "text/javascript" }));
  const mod = await import(url);
  const model = { get: (k) => state[k], set: (k, v) => { state[k] = v; }, on() {}, off() {}, save_changes() {},
                  send() { throw new Error("no kernel"); } };
  const el = document.createElement("div");
  document.body.append(el);
  mod.default.render({ model, el });
  return true;
};
"""


def tiny(seed: int = 0, layers: int = 2) -> CharRNN:
    torch.manual_seed(seed)
    return CharRNN(ModelConfig(vocab_size=len(VOCAB.chars), hidden_size=10, num_layers=layers, embedding_dim=4,
                               init_range=0.6)).eval()


def render(browser, widget):
    page = browser.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.set_content("<html><body></body></html>")
    page.add_script_tag(content=HARNESS)
    state = {k: v for k, v in widget.get_state().items() if not k.startswith("_")}
    page.evaluate("([esm, state]) => renderWidget(esm, state)", [widget._esm, state])
    return page, errors


def test_temperature_widget_samples_in_the_page_from_a_typed_prime(browser):
    payload = export_model(tiny(1), VOCAB)
    w = TemperatureWidget({0.0: "precomputed a", 1.0: "precomputed b"}, model=payload, length=120)
    page, errors = render(browser, w)
    root = page.locator('[data-charlab-widget="temperature"]')
    page.wait_for_function("document.querySelector('[data-model-state]').dataset.modelState === 'ready'")
    assert root.locator(".charlab-sample").inner_text() == "precomputed b"  # the static content, until asked
    root.locator("input[type=range]").press("Home")  # T = 0: the argmax sample
    root.locator(".charlab-prime").fill("ab{")
    root.locator("button.charlab-sample-live").click()
    page.wait_for_function("document.querySelector('[data-model-state]').dataset.modelState === 'done'")
    model, vocab = rounded_model(payload)
    assert root.locator(".charlab-sample").inner_text() == "ab{" + sample(model, vocab, 120, 0.0, prime="ab{")[0]
    assert "characters/s" in root.locator(".charlab-model-status").inner_text()
    # an unknown character in the prime is said, not sampled
    root.locator(".charlab-prime").fill("aXb")
    root.locator("button.charlab-sample-live").click()
    assert "never saw" in root.locator(".charlab-model-status").inner_text()
    assert root.get_attribute("data-model-state") == "error"
    assert not errors


def test_temperature_widget_streams_characters_as_they_are_made(browser):
    w = TemperatureWidget({1.0: "x"}, model=export_model(tiny(2), VOCAB), length=3000)
    page, errors = render(browser, w)
    page.wait_for_function("document.querySelector('[data-model-state]').dataset.modelState === 'ready'")
    page.locator("button.charlab-sample-live").click()
    # seen part-way: more than nothing, less than all, while still sampling
    page.wait_for_function("(() => { const n = document.querySelector('.charlab-sample-new').textContent.length;"
                           " return n > 0 && n < 3000; })()")
    page.wait_for_function("document.querySelector('[data-model-state]').dataset.modelState === 'done'",
                           timeout=60_000)
    assert len(page.locator(".charlab-sample-new").inner_text()) == 3000
    assert not errors


def test_neuron_browser_colours_pasted_text_by_the_chosen_cell(browser):
    model = tiny(3)
    payload = export_model(model, VOCAB)
    held = "ab{c}d\n"
    cells = [{"label": "layer 2, cell 3", "firing": encode_firing([0.0] * len(held)), "cell": 13},
             {"label": "layer 1, cell 0", "firing": encode_firing([0.5] * len(held)), "cell": 0}]
    w = NeuronWidget(held, cells, ["ab"] * len(held), [[50, 20]] * len(held), model=payload)
    page, errors = render(browser, w)
    root = page.locator('[data-charlab-widget="neurons"]')
    page.wait_for_function("document.querySelector('[data-model-state]').dataset.modelState === 'ready'")
    pasted = "{a{b}}\ncXde"
    root.locator("textarea.charlab-paste").fill(pasted)
    root.locator("button.charlab-read").click()
    page.wait_for_function("document.querySelector('[data-model-state]').dataset.modelState === 'own'")
    sample = root.locator(".charlab-sample")
    assert sample.inner_text() == pasted
    colours = sample.evaluate("el => [...el.querySelectorAll('span')].map(s => s.style.backgroundColor)")
    assert len(colours) == len(pasted)
    rounded, vocab = rounded_model(payload)
    known = pasted.replace("X", "")
    rec = record(rounded, vocab, known)
    want = rec.flat()[:, 13]  # cell 13 = layer 2, unit 3
    alphas = [float(c.rsplit(",", 1)[1].rstrip(")")) if c.startswith("rgba") else 1.0
              for i, c in enumerate(colours) if pasted[i] != "X"]
    assert np.allclose(alphas, np.abs(want), atol=0.006)  # the colour's strength is |tanh(c)|, to 2 decimals
    assert colours[pasted.index("X")] == "rgba(128, 128, 128, 0.25)"  # never seen: not read, grey
    assert "never seen by the model" in root.locator(".charlab-model-status").inner_text()
    # hovering a character shows the in-page model's top guesses
    sample.locator("span").nth(2).hover()
    guess = root.locator(".charlab-guess").first.inner_text()
    with torch.no_grad():
        probs = torch.softmax(rounded(torch.tensor(vocab.encode(known[:3]))[None])[0][0, -1], -1)
    best = int(probs.argmax())
    assert guess.startswith({"\n": "↵", " ": "␣"}.get(vocab.chars[best], vocab.chars[best]))
    assert guess.endswith(f"{round(100 * float(probs[best]))}%")
    # the slider recolours the pasted text; "back" restores the held-out text
    root.locator("input[type=range]").press("End")
    assert sample.evaluate("el => [...el.querySelectorAll('span')].map(s => s.style.backgroundColor)") != colours
    root.locator("button.charlab-back").click()
    assert sample.inner_text() == held
    assert not errors


def test_neuron_browser_reads_a_long_paste_in_slices_up_to_its_limit(browser):
    cells = [{"label": "layer 1, cell 0", "firing": encode_firing([0.0, 0.0]), "cell": 0}]
    w = NeuronWidget("ab", cells, ["ab", "ab"], [[50, 20], [50, 20]], model=export_model(tiny(4), VOCAB))
    page, errors = render(browser, w)
    page.wait_for_function("document.querySelector('[data-model-state]').dataset.modelState === 'ready'")
    page.evaluate("""() => { window.seen = []; const s = document.querySelector('.charlab-model-status');
        new MutationObserver(() => window.seen.push(s.textContent)).observe(s, {childList: true, subtree: true,
        characterData: true}); }""")
    page.locator("textarea.charlab-paste").fill("ab{c}d e\n" * 400)  # 3,600 characters: over the 3,000 read
    page.locator("button.charlab-read").click()
    page.wait_for_function("document.querySelector('[data-model-state]').dataset.modelState === 'own'",
                           timeout=60_000)
    seen = page.evaluate("window.seen")
    assert "reading... 100 of 3000 characters" in seen and "reading... 2900 of 3000 characters" in seen
    assert "(only the first 3000 of 3600)" in seen[-1]
    assert len(page.locator(".charlab-sample span").all()) == 3000
    assert not errors
