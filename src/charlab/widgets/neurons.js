// Neuron browser: a slider over cells (best-ranked first) colours the text by the chosen cell's firing (the post's
// blue = low, green = excited); hovering (or focusing) a character shows the model's top guesses for the next one.
// DOM contract (tests/browser): root [data-charlab-widget="neurons"], input[type=range], .charlab-sample holding one
// span per character whose background is the firing.

const LEVELS = "0123456789abcdefghijklmnopqrstu";

function firingColour(level) {
  const v = (2 * level) / (LEVELS.length - 1) - 1;
  const rgb = v >= 0 ? "39,174,96" : "52,120,219";
  return `rgba(${rgb},${Math.abs(v).toFixed(2)})`;
}

function shown(ch) {
  return ch === "\n" ? "↵" : ch === " " ? "␣" : ch === "\t" ? "→" : ch;
}

export default {
  render({ model, el }) {
    const text = model.get("text");
    const cells = model.get("cells");
    const guesses = model.get("guesses");
    const probs = model.get("probs");
    const slider = h("input", {
      type: "range", min: 0, max: cells.length - 1, step: 1, value: model.get("index"),
      class: "charlab-slider", "aria-label": "cell, best-ranked first",
    });
    const value = h("span", { class: "charlab-value" });
    const sample = h("pre", { class: "charlab-sample charlab-firing-text" });
    const spans = [];
    for (let t = 0; t < text.length; t++) {
      const s = h("span", { "data-t": t }, [text[t]]);
      spans.push(s);
      sample.append(s);
    }
    const guessBox = h("div", { class: "charlab-guesses" }, ["hover a character for the model's guesses"]);

    function showGuesses(t) {
      guessBox.replaceChildren(h("div", { class: "charlab-measure-name" }, [`after “${shown(text[t])}”:`]));
      for (let k = 0; k < guesses[t].length; k++) {
        const p = probs[t][k];
        guessBox.append(h("div", { class: "charlab-guess", style: `background:rgba(214,39,40,${(p / 100).toFixed(2)})` },
          [`${shown(guesses[t][k])}  ${p}%`]));
      }
    }
    sample.addEventListener("mouseover", (e) => {
      const t = e.target.getAttribute && e.target.getAttribute("data-t");
      if (t !== null && t !== undefined) showGuesses(Number(t));
    });

    const root = h("div", { class: "charlab-widget", "data-charlab-widget": "neurons" }, [
      h("div", { class: "charlab-controls" }, [h("label", {}, ["cell ", slider]), value]),
      h("div", { class: "charlab-body" }, [
        h("div", { class: "charlab-main" }, [sample]),
        h("div", { class: "charlab-side" }, [guessBox]),
      ]),
    ]);
    el.append(root);

    function show(i) {
      slider.value = i;
      value.textContent = `#${i + 1} of ${cells.length}: ${cells[i].label}`;
      const firing = cells[i].firing;
      for (let t = 0; t < spans.length; t++) spans[t].style.backgroundColor = firingColour(LEVELS.indexOf(firing[t]));
    }
    return bindSlider(model, slider, show);
  },
};
