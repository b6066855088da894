// Neuron browser: a slider over cells (best-ranked first) colours the text by the chosen cell's firing (the post's
// blue = low, green = excited); hovering (or focusing) a character shows the model's top guesses for the next one.
// DOM contract (tests/browser): root [data-charlab-widget="neurons"], input[type=range], .charlab-sample holding one
// span per character whose background is the firing. With an in-page model (the `model` trait): .charlab-own-text
// holding textarea.charlab-paste, button.charlab-read and button.charlab-back; the root's data-model-state says
// "loading", "ready", "reading", "own" (the pasted text is shown) or "error", and its `charlabModel` property is the
// CharLSTM (lstm.js) once loaded.

const LEVELS = "0123456789abcdefghijklmnopqrstu";

function firingColour(level) {
  return valueColour((2 * level) / (LEVELS.length - 1) - 1);
}

function valueColour(v) {
  if (Number.isNaN(v)) return "rgba(128,128,128,0.25)"; // a character the model never saw: not read
  const rgb = v >= 0 ? "39,174,96" : "52,120,219";
  return `rgba(${rgb},${Math.abs(v).toFixed(2)})`;
}

function shown(ch) {
  return ch === "\n" ? "↵" : ch === " " ? "␣" : ch === "\t" ? "→" : ch;
}

export default {
  render({ model, el }) {
    const text = Array.from(model.get("text")); // code points, as Python's str indexes them
    const cells = model.get("cells");
    const guesses = model.get("guesses");
    const probs = model.get("probs");
    const slider = h("input", {
      type: "range", min: 0, max: cells.length - 1, step: 1, value: model.get("index"),
      class: "charlab-slider", "aria-label": "cell, best-ranked first",
    });
    const value = h("span", { class: "charlab-value" });
    const sample = h("pre", { class: "charlab-sample charlab-firing-text" });
    let spans = [];
    let own = null; // the reader's text, read by the in-page model: {chars, firing, cells, guesses, unknown}
    function fill(chars) {
      spans = chars.map((ch, t) => h("span", { "data-t": t }, [ch]));
      sample.replaceChildren(...spans);
    }
    fill(text);
    const guessBox = h("div", { class: "charlab-guesses" }, ["hover a character for the model's guesses"]);

    function showGuesses(t) {
      const ch = own ? own.chars[t] : text[t];
      guessBox.replaceChildren(h("div", { class: "charlab-measure-name" }, [`after “${shown(ch)}”:`]));
      const rows = own ? (own.guesses[t] || []).map(([g, p]) => [g, Math.round(100 * p)])
        : Array.from(guesses[t]).map((g, k) => [g, probs[t][k]]);
      if (own && !own.guesses[t]) guessBox.append(h("div", {}, ["a character the model never saw: not read"]));
      for (const [g, p] of rows) {
        guessBox.append(h("div", { class: "charlab-guess", style: `background:rgba(214,39,40,${(p / 100).toFixed(2)})` },
          [`${shown(g)}  ${p}%`]));
      }
    }
    sample.addEventListener("mouseover", (e) => {
      const t = e.target.getAttribute && e.target.getAttribute("data-t");
      if (t !== null && t !== undefined) showGuesses(Number(t));
    });

    const payload = model.get("model");
    const ownText = payload && payload.format ? ownTextControls(model, payload) : null;

    const root = h("div", { class: "charlab-widget", "data-charlab-widget": "neurons" }, [
      h("div", { class: "charlab-controls" }, [h("label", {}, ["cell ", slider]), value]),
      h("div", { class: "charlab-body" }, [
        h("div", { class: "charlab-main" }, ownText ? [sample, ownText.node] : [sample]),
        h("div", { class: "charlab-side" }, [guessBox]),
      ]),
    ]);
    el.append(root);

    function show(i) {
      slider.value = i;
      value.textContent = `#${i + 1} of ${cells.length}: ${cells[i].label}`;
      if (own) {
        const j = cells[i].cell;
        for (let t = 0; t < spans.length; t++) spans[t].style.backgroundColor = valueColour(own.firing[t * own.cells + j]);
        return;
      }
      const firing = cells[i].firing;
      for (let t = 0; t < spans.length; t++) spans[t].style.backgroundColor = firingColour(LEVELS.indexOf(firing[t]));
    }
    if (ownText) {
      ownText.start(root, (result) => {
        own = result;
        fill(own ? own.chars : text);
        show(Number(slider.value));
      });
    }
    return bindSlider(model, slider, show);
  },
};

// "Your own text": a box to paste into, "read it" (the in-page model reads it from the zero state) and "back to the
// held-out text". `onText(result)` gets readText's result, or null to go back.
function ownTextControls(model, payload) {
  const max = model.get("max_chars");
  const box = h("textarea", { class: "charlab-paste", rows: 5, placeholder: `paste your own text (up to ${max} `
    + "characters) and press “read it”", "aria-label": "your own text" });
  const read = h("button", { type: "button", class: "charlab-read", disabled: "" }, ["read it"]);
  const back = h("button", { type: "button", class: "charlab-back", disabled: "" }, ["back to the held-out text"]);
  const status = h("div", { class: "charlab-note charlab-model-status" }, ["loading the model..."]);
  const node = h("div", { class: "charlab-own-text" }, [box, h("div", { class: "charlab-live" }, [read, back]), status]);
  let lstm = null;

  function start(root, onText) {
    const setState = (s) => root.setAttribute("data-model-state", s);
    setState("loading");
    loadModelLater(payload, (m, error) => {
      if (error) {
        status.textContent = `the in-page model could not be loaded: ${error.message}`;
        setState("error");
        return;
      }
      lstm = m;
      root.charlabModel = m;
      read.disabled = false;
      status.textContent = `in-page model ready: LSTM ${m.L}x${m.H}, ${m.V} characters; it reads your text in this `
        + "browser";
      setState("ready");
    });
    read.addEventListener("click", () => {
      const chars = Array.from(box.value);
      if (!lstm || !chars.length) return;
      const text = chars.slice(0, max).join("");
      status.textContent = "reading...";
      setState("reading");
      read.disabled = true;
      const reader = textReader(lstm, text);
      const t0 = performance.now();
      const slice = () => { // a slice per task: the page keeps responding and shows how far it got
        const at = reader.next(100);
        if (!reader.done) {
          status.textContent = `reading... ${at} of ${reader.total} characters`;
          setTimeout(slice, 0);
          return;
        }
        const secs = (performance.now() - t0) / 1000;
        const result = reader.result();
        onText(result);
        read.disabled = false;
        back.disabled = false;
        status.textContent = `read ${result.chars.length} characters in ${secs.toFixed(2)} s in this browser`
          + (chars.length > max ? ` (only the first ${max} of ${chars.length})` : "")
          + (result.unknown.length ? `; not read, never seen by the model: ${result.unknown.map((c) => JSON.stringify(c))
            .join(" ")}` : "");
        setState("own");
      };
      setTimeout(slice, 0);
    });
    back.addEventListener("click", () => {
      onText(null);
      back.disabled = true;
      status.textContent = "the held-out text, recorded when the notebook was executed";
      setState("ready");
    });
  }
  return { node, start };
}
