// Temperature widget: a slider over the sampled temperatures shows each sample and its measures.
// DOM contract (tests/browser): root [data-charlab-widget="temperature"], input[type=range], .charlab-sample.
// With an in-page model (the `model` trait): .charlab-page-model holding input.charlab-prime, input.charlab-top-k,
// input.charlab-seed and button.charlab-sample-live; the root's data-model-state says "loading", "ready",
// "sampling", "done" or "error", and the root's `charlabModel` property is the CharLSTM (lstm.js) once loaded.

export default {
  render({ model, el }) {
    const temps = model.get("temperatures");
    const samples = model.get("samples");
    const { slider, value, sample, panel } = sliderParts(model, temps, "sampling temperature", "temperature");
    const source = h("div", { class: "charlab-note" });

    // Live controls: hidden until a kernel answers the ping below (never shown in the static book).
    const prime = h("input", { type: "text", class: "charlab-prime", placeholder: "prime text (optional)" });
    prime.value = model.get("prime");
    const button = h("button", { type: "button", class: "charlab-sample-now" }, ["sample now"]);
    const live = h("div", { class: "charlab-live", hidden: "" }, [prime, button]);

    const payload = model.get("model");
    const hasModel = payload && payload.format;
    const pageModel = hasModel ? pageSampler(model, payload, () => temps[Number(slider.value)], sample, source)
      : null;

    const root = h("div", { class: "charlab-widget", "data-charlab-widget": "temperature" }, [
      h("div", { class: "charlab-controls" }, [h("label", {}, ["temperature ", slider]), value]),
      h("div", { class: "charlab-body" }, [
        h("div", { class: "charlab-main" }, [sample, source, pageModel ? pageModel.node : live]), panel.node,
      ]),
    ]);
    el.append(root);
    if (pageModel) pageModel.start(root);

    function show(i) {
      if (pageModel) pageModel.stop();
      slider.value = i;
      value.textContent = `T = ${fmt(temps[i])}`;
      sample.textContent = samples[i];
      source.textContent = "sampled when the notebook was executed";
      panel.show(i);
    }
    const unbind = bindSlider(model, slider, show);

    let pending = 0;
    const onMsg = (msg) => {
      if (msg.type === "pong" && msg.live) live.hidden = false;
      if (msg.type === "sample" && msg.id === pending) {
        button.disabled = false;
        if (msg.error) {
          source.textContent = `sampling failed: ${msg.error}`;
        } else {
          sample.textContent = msg.text;
          source.textContent = `sampled just now at T = ${fmt(msg.temperature)}` +
            (prime.value ? ` from the prime ${JSON.stringify(prime.value)}` : "");
        }
      }
    };
    button.addEventListener("click", () => {
      pending += 1;
      button.disabled = true;
      source.textContent = "sampling...";
      model.send({ type: "sample", id: pending, temperature: temps[Number(slider.value)], prime: prime.value });
    });
    if (model.get("live") && !hasModel) {
      model.on("msg:custom", onMsg);
      try {
        model.send({ type: "ping" });
      } catch (e) {
        /* static page: no kernel, the live controls stay hidden */
      }
    }
    return () => {
      if (pageModel) pageModel.stop();
      unbind();
      model.off("msg:custom", onMsg);
    };
  },
};

// The in-page sampler's controls: prime, top-k, seed and "sample", at the slider's temperature. The characters are
// made in slices between frames and appended to the sample box as they come.
function pageSampler(model, payload, temperature, sample, source) {
  const prime = h("input", { type: "text", class: "charlab-prime", placeholder: "prime text (optional)",
    "aria-label": "prime text" });
  prime.value = model.get("prime");
  const topK = h("input", { type: "number", class: "charlab-top-k", min: 0, step: 1, value: 0,
    "aria-label": "top-k (0: all characters)" });
  const seed = h("input", { type: "number", class: "charlab-seed", min: 0, step: 1, value: 1, "aria-label": "seed" });
  const button = h("button", { type: "button", class: "charlab-sample-live", disabled: "" }, ["sample"]);
  const status = h("span", { class: "charlab-note charlab-model-status" }, ["loading the model..."]);
  const node = h("div", { class: "charlab-page-model" }, [
    h("div", { class: "charlab-live" }, [prime, h("label", {}, ["top-k ", topK]), h("label", {}, ["seed ", seed]),
      button]),
    status,
  ]);
  let lstm = null;
  let root = null;
  let run = 0; // the current sampling's number: a new click or a slider move stops the one before
  const setState = (s) => root && root.setAttribute("data-model-state", s);

  function start(r) {
    root = r;
    setState("loading");
    loadModelLater(payload, (m, error) => {
      if (error) {
        status.textContent = `the in-page model could not be loaded: ${error.message}`;
        setState("error");
        return;
      }
      lstm = m;
      root.charlabModel = m;
      button.disabled = false;
      status.textContent = `in-page model ready: LSTM ${m.L}x${m.H}, ${m.V} characters, runs in this browser`;
      setState("ready");
    });
  }

  function stop() {
    run += 1;
    if (lstm && root && root.getAttribute("data-model-state") === "sampling") setState("ready");
  }

  button.addEventListener("click", () => {
    if (!lstm) return;
    stop();
    const mine = run;
    const T = temperature();
    const k = Math.max(0, Math.floor(Number(topK.value) || 0));
    const s = Math.max(0, Math.floor(Number(seed.value) || 0));
    let sampler;
    try {
      sampler = makeSampler(lstm, { prime: prime.value, length: model.get("length"), temperature: T, topK: k,
        seed: s });
    } catch (e) {
      status.textContent = `cannot sample: ${e.message}`;
      setState("error");
      return;
    }
    const made = h("span", { class: "charlab-sample-new" });
    sample.replaceChildren(h("span", { class: "charlab-sample-prime" }, [prime.value]), made);
    source.textContent = `sampling in this browser at T = ${fmt(T)}` + (k ? `, top-k ${k}` : "") + `, seed ${s}` +
      (prime.value ? ` from the prime ${JSON.stringify(prime.value)}` : "");
    setState("sampling");
    const t0 = performance.now();
    let n = 0;
    const slice = () => {
      if (mine !== run) return;
      const piece = sampler.next(20);
      n += Array.from(piece).length;
      made.append(piece);
      if (sampler.done) {
        const secs = (performance.now() - t0) / 1000;
        status.textContent = `${n} characters in ${secs.toFixed(2)} s (${Math.round(n / secs)} characters/s)`;
        setState("done");
      } else {
        setTimeout(slice, 0);
      }
    };
    slice();
  });
  return { node, start, stop };
}
