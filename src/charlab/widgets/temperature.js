// Temperature widget: a slider over the sampled temperatures shows each sample and its measures.
// DOM contract (tests/browser): root [data-charlab-widget="temperature"], input[type=range], .charlab-sample.

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

    const root = h("div", { class: "charlab-widget", "data-charlab-widget": "temperature" }, [
      h("div", { class: "charlab-controls" }, [h("label", {}, ["temperature ", slider]), value]),
      h("div", { class: "charlab-body" }, [h("div", { class: "charlab-main" }, [sample, source, live]), panel.node]),
    ]);
    el.append(root);

    function show(i) {
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
    if (model.get("live")) {
      model.on("msg:custom", onMsg);
      try {
        model.send({ type: "ping" });
      } catch (e) {
        /* static page: no kernel, the live controls stay hidden */
      }
    }
    return () => {
      unbind();
      model.off("msg:custom", onMsg);
    };
  },
};
