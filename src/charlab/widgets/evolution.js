// Evolution widget: a slider over training iterations shows that iteration's sample, a marker on the loss
// curve, and the sample's measures.
// DOM contract (tests/browser): root [data-charlab-widget="evolution"], input[type=range], .charlab-sample.

export default {
  render({ model, el }) {
    const iterations = model.get("iterations");
    const samples = model.get("samples");
    const losses = model.get("losses");
    const { slider, value, sample, panel } = sliderParts(model, iterations, "training iteration", "iteration");
    const loss = lineChart(losses, { width: 340, height: 130, title: "training loss", klass: "charlab-loss" });

    const root = h("div", { class: "charlab-widget", "data-charlab-widget": "evolution" }, [
      h("div", { class: "charlab-controls" }, [h("label", {}, ["iteration ", slider]), value]),
      h("div", { class: "charlab-body" }, [
        h("div", { class: "charlab-main" }, [sample]),
        h("div", { class: "charlab-side" }, [loss.node, panel.node]),
      ]),
    ]);
    el.append(root);

    function show(i) {
      slider.value = i;
      value.textContent = `iteration ${iterations[i]}`;
      sample.textContent = samples[i];
      loss.mark(iterations[i]);
      panel.show(i);
    }
    return bindSlider(model, slider, show);
  },
};
