// Helpers shared by charlab's widgets. charlab/widgets/_assets.py prepends this file to each widget's module
// (anywidget loads one module per widget from a string, so there is no import between files).
// No external libraries: the static book must render these with no network.

const SVG_NS = "http://www.w3.org/2000/svg";

// Create an HTML element. Text goes through textContent, never innerHTML: samples are arbitrary model output.
function h(tag, attrs = {}, children = []) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  for (const c of children) node.append(c);
  return node;
}

function svg(tag, attrs = {}) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  return node;
}

// A number for humans: '–' when undefined, 3 significant digits otherwise.
function fmt(v) {
  if (v === null || v === undefined || Number.isNaN(v)) return "–";
  const a = Math.abs(v);
  if (a >= 1000) return v.toFixed(0);
  if (a === 0) return "0";
  return Number(v.toPrecision(3)).toString();
}

// A small line chart of points [[x, y], ...] (y may be null: a gap) with a movable marker.
// Returns {node, mark(x)}; mark(x) puts a vertical rule at x and a dot on the point nearest to x.
function lineChart(points, { width = 320, height = 110, title = "", klass = "" } = {}) {
  const pad = { l: 38, r: 8, t: title ? 16 : 6, b: 18 };
  const valid = points.filter((p) => p[1] !== null && p[1] !== undefined);
  const xs = points.map((p) => p[0]);
  const ys = valid.map((p) => p[1]);
  let [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  let [y0, y1] = ys.length ? [Math.min(...ys), Math.max(...ys)] : [0, 1];
  if (x1 === x0) [x0, x1] = [x0 - 1, x1 + 1];
  if (y1 === y0) [y0, y1] = [y0 - 1, y1 + 1];
  const X = (x) => pad.l + ((x - x0) / (x1 - x0)) * (width - pad.l - pad.r);
  const Y = (y) => height - pad.b - ((y - y0) / (y1 - y0)) * (height - pad.t - pad.b);
  const root = svg("svg", {
    class: `charlab-chart ${klass}`, width, height, viewBox: `0 0 ${width} ${height}`, role: "img",
  });
  if (title) {
    const t = svg("text", { x: pad.l, y: 11, class: "charlab-chart-title" });
    t.textContent = title;
    root.append(t);
  }
  root.append(svg("rect", {
    x: pad.l, y: pad.t, width: width - pad.l - pad.r, height: height - pad.t - pad.b, class: "charlab-chart-frame",
  }));
  let d = "";
  let pen = false;
  for (const [x, y] of points) {
    if (y === null || y === undefined) { pen = false; continue; }
    d += `${pen ? "L" : "M"}${X(x).toFixed(1)},${Y(y).toFixed(1)}`;
    pen = true;
  }
  root.append(svg("path", { d, class: "charlab-chart-line" }));
  const label = (x, y, text, anchor) => {
    const t = svg("text", { x, y, "text-anchor": anchor, class: "charlab-chart-label" });
    t.textContent = text;
    root.append(t);
  };
  label(pad.l - 3, pad.t + 8, fmt(y1), "end");
  label(pad.l - 3, height - pad.b, fmt(y0), "end");
  label(pad.l, height - 5, fmt(x0), "start");
  label(width - pad.r, height - 5, fmt(x1), "end");
  const rule = svg("line", { y1: pad.t, y2: height - pad.b, class: "charlab-marker" });
  const dot = svg("circle", { r: 3.5, class: "charlab-marker-dot" });
  root.append(rule, dot);
  function mark(x) {
    rule.setAttribute("x1", X(x));
    rule.setAttribute("x2", X(x));
    let best = null;
    for (const p of valid) if (best === null || Math.abs(p[0] - x) < Math.abs(best[0] - x)) best = p;
    dot.style.display = best ? "" : "none";
    if (best) {
      dot.setAttribute("cx", X(best[0]));
      dot.setAttribute("cy", Y(best[1]));
    }
  }
  return { node: root, mark };
}

// The measures panel: one row per measure with its current value and a sparkline over the slider's axis.
// `measures` is [[name, [value per slider position]], ...] (a list, so the author's order survives).
function measuresPanel(measures, axis, axisLabel) {
  const rows = [];
  const table = h("div", { class: "charlab-measures" });
  for (const [name, values] of measures) {
    const value = h("span", { class: "charlab-measure-value" });
    const chart = lineChart(axis.map((x, i) => [x, values[i]]), { width: 150, height: 44, klass: "charlab-spark" });
    chart.node.setAttribute("aria-label", `${name} against ${axisLabel}`);
    table.append(h("div", { class: "charlab-measure" }, [h("span", { class: "charlab-measure-name" }, [name]), value,
      chart.node]));
    rows.push({ values, value, chart });
  }
  function show(i) {
    for (const r of rows) {
      r.value.textContent = fmt(r.values[i]);
      r.chart.mark(axis[i]);
    }
  }
  return { node: table, show };
}

// Tell the kernel the slider moved, when there is one. In the static page there is no comm: saving is
// pointless and may throw or reject, so failures are ignored (the front end already shows the choice).
// What every charlab widget starts with: a slider with one stop per value of `axis`, the value shown beside it,
// the sample box and the measures panel over the same axis.
function sliderParts(model, axis, ariaLabel, axisLabel) {
  const slider = h("input", {
    type: "range", min: 0, max: axis.length - 1, step: 1, value: model.get("index"),
    class: "charlab-slider", "aria-label": ariaLabel,
  });
  const value = h("span", { class: "charlab-value" });
  const sample = h("pre", { class: "charlab-sample" });
  return { slider, value, sample, panel: measuresPanel(model.get("measures"), axis, axisLabel) };
}

// Keep the view and the model's index in step: show the index at start, on every slider move (telling the
// kernel, if any), and whenever Python sets it. Returns the clean-up for render()'s return value.
function bindSlider(model, slider, show) {
  show(model.get("index"));
  slider.addEventListener("input", () => {
    const i = Number(slider.value);
    show(i);
    syncIndex(model, i);
  });
  const onIndex = () => show(model.get("index"));
  model.on("change:index", onIndex);
  return () => model.off("change:index", onIndex);
}

function syncIndex(model, i) {
  model.set("index", i);
  try {
    const p = model.save_changes();
    if (p && typeof p.catch === "function") p.catch(() => {});
  } catch (e) {
    /* no kernel: nothing to sync */
  }
}
