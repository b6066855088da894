// The in-page model: charlab's CharRNN (embedding or one-hot -> stacked LSTM -> linear head) as plain typed-array
// code over the fp16 weights that charlab/widgets/model_data.py embeds in the widget's state. No library: the forward
// pass is three matrix-vector products per layer and character, which plain loops do at about a GFLOP/s, and the
// book must run it offline with nothing to fetch. _assets.py prepends this file to the widgets that use it.

// fp16 bits -> float, through a table of all 65,536 values (exact: every fp16 value is a float32 value).
let FP16_TABLE = null;
function fp16Table() {
  if (FP16_TABLE) return FP16_TABLE;
  FP16_TABLE = new Float32Array(65536);
  for (let b = 0; b < 65536; b++) {
    const sign = b & 0x8000 ? -1 : 1;
    const exp = (b >> 10) & 0x1f;
    const frac = b & 0x3ff;
    let v;
    if (exp === 0) v = frac * 2 ** -24;
    else if (exp === 31) v = frac ? NaN : Infinity;
    else v = (1 + frac / 1024) * 2 ** (exp - 15);
    FP16_TABLE[b] = sign * v;
  }
  return FP16_TABLE;
}

function decodeFp16(base64) {
  const bin = atob(base64);
  const n = bin.length >> 1;
  const table = fp16Table();
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = table[bin.charCodeAt(2 * i) | (bin.charCodeAt(2 * i + 1) << 8)];
  return out;
}

// A seeded generator of uniform numbers in [0, 1) (mulberry32): the same seed gives the same sample in any browser.
function seededRandom(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class CharLSTM {
  constructor(payload) {
    if (payload.format !== "charlab-lstm-fp16/1") throw new Error(`unknown model format ${payload.format}`);
    const cfg = payload.config;
    this.V = cfg.vocab_size;
    this.H = cfg.hidden_size;
    this.L = cfg.num_layers;
    this.E = cfg.embedding_dim;
    this.chars = Array.from(payload.vocab); // code points, as Python's str
    this.index = new Map(this.chars.map((ch, i) => [ch, i]));
    const flat = decodeFp16(payload.data);
    const w = {};
    let at = 0;
    for (const [name, shape] of payload.tensors) {
      const n = shape.reduce((a, b) => a * b, 1);
      w[name] = flat.subarray(at, at + n);
      at += n;
    }
    const { V, H, L, E } = this;
    const G = 4 * H;
    // Layer 0's input term for every character, with both biases: W_ih·x + b_ih + b_hh where x is the character's
    // embedding (or its one-hot vector: a column of W_ih).
    this.inTable = new Float64Array(V * G);
    const wih0 = w["rnn.weight_ih_l0"], bih0 = w["rnn.bias_ih_l0"], bhh0 = w["rnn.bias_hh_l0"];
    const inSize = E > 0 ? E : V;
    for (let v = 0; v < V; v++) {
      for (let r = 0; r < G; r++) {
        let s = bih0[r] + bhh0[r];
        if (E > 0) {
          const emb = w["embed.weight"];
          for (let j = 0; j < E; j++) s += wih0[r * inSize + j] * emb[v * E + j];
        } else {
          s += wih0[r * inSize + v];
        }
        this.inTable[v * G + r] = s;
      }
    }
    this.wih = [null];
    this.bias = [null];
    this.whh = [];
    for (let k = 0; k < L; k++) {
      this.whh.push(w[`rnn.weight_hh_l${k}`]);
      if (k > 0) {
        this.wih.push(w[`rnn.weight_ih_l${k}`]);
        const b = new Float64Array(G);
        for (let r = 0; r < G; r++) b[r] = w[`rnn.bias_ih_l${k}`][r] + w[`rnn.bias_hh_l${k}`][r];
        this.bias.push(b);
      }
    }
    this.head = w["head.weight"];
    this.headBias = w["head.bias"];
    this.gates = new Float64Array(G);
  }

  zeroState() {
    const s = { h: [], c: [] };
    for (let k = 0; k < this.L; k++) {
      s.h.push(new Float64Array(this.H));
      s.c.push(new Float64Array(this.H));
    }
    return s;
  }

  // The ids of `text` and the characters the model never saw (those are left out of `ids`, with their places).
  encode(text) {
    const ids = [], unknown = [], at = [];
    Array.from(text).forEach((ch, t) => {
      const id = this.index.get(ch);
      if (id === undefined) unknown.push(ch);
      else {
        ids.push(id);
        at.push(t);
      }
    });
    return { ids, unknown: [...new Set(unknown)], at };
  }

  // Read character `id`: update `state` in place and write the next character's logits into `logits` (length V).
  step(id, state, logits) {
    const { H, L, V } = this;
    const G = 4 * H;
    const g = this.gates;
    let x = null;
    for (let k = 0; k < L; k++) {
      if (k === 0) {
        g.set(this.inTable.subarray(id * G, id * G + G));
      } else {
        const wih = this.wih[k], b = this.bias[k];
        for (let r = 0; r < G; r++) {
          let s = b[r];
          const o = r * H;
          for (let j = 0; j < H; j++) s += wih[o + j] * x[j];
          g[r] = s;
        }
      }
      const whh = this.whh[k], h = state.h[k], c = state.c[k];
      for (let r = 0; r < G; r++) {
        let s = 0;
        const o = r * H;
        for (let j = 0; j < H; j++) s += whh[o + j] * h[j];
        g[r] += s;
      }
      // PyTorch's gate order: input, forget, candidate, output.
      for (let u = 0; u < H; u++) {
        const i = 1 / (1 + Math.exp(-g[u]));
        const f = 1 / (1 + Math.exp(-g[H + u]));
        const cand = Math.tanh(g[2 * H + u]);
        const o = 1 / (1 + Math.exp(-g[3 * H + u]));
        c[u] = f * c[u] + i * cand;
        h[u] = o * Math.tanh(c[u]);
      }
      x = h;
    }
    const w = this.head, b = this.headBias;
    for (let v = 0; v < V; v++) {
      let s = b[v];
      const o = v * H;
      for (let j = 0; j < H; j++) s += w[o + j] * x[j];
      logits[v] = s;
    }
    return logits;
  }

  // The ids that start a sample, as charlab.sampling.start_ids: the prime, or a newline when there is none.
  startIds(prime) {
    if (prime) {
      const { ids, unknown } = this.encode(prime);
      if (unknown.length) throw new Error(`the model never saw ${unknown.map((c) => JSON.stringify(c)).join(", ")}`);
      return ids;
    }
    return [this.index.has("\n") ? this.index.get("\n") : 0];
  }

  // A whole sample (makeSampler's options), as one string.
  sample(options) {
    const s = makeSampler(this, options);
    let out = "";
    while (!s.done) out += s.next(256);
    return out;
  }

  // Logits after each character of `ids`, from the all-zero state: an array of Float64Array(V).
  logitsOf(ids) {
    const state = this.zeroState();
    const out = [];
    for (const id of ids) out.push(this.step(id, state, new Float64Array(this.V)));
    return out;
  }
}

// One id from `logits` as charlab.sampling.pick_next: argmax at T = 0, else softmax(logits / T) over the top k.
function pickNext(logits, temperature, topK, random) {
  const V = logits.length;
  if (temperature === 0) {
    let best = 0;
    for (let v = 1; v < V; v++) if (logits[v] > logits[best]) best = v;
    return best;
  }
  let kth = -Infinity;
  if (topK && topK < V) kth = Array.from(logits).sort((a, b) => b - a)[topK - 1];
  let max = -Infinity;
  for (let v = 0; v < V; v++) if (logits[v] >= kth && logits[v] > max) max = logits[v];
  const p = new Float64Array(V);
  let total = 0;
  for (let v = 0; v < V; v++) {
    p[v] = logits[v] >= kth ? Math.exp((logits[v] - max) / temperature) : 0;
    total += p[v];
  }
  let r = random() * total;
  for (let v = 0; v < V; v++) {
    r -= p[v];
    if (r < 0 && p[v] > 0) return v;
  }
  for (let v = V - 1; v >= 0; v--) if (p[v] > 0) return v;
  return 0;
}

// A sampler that makes `length` characters after `prime` in slices, so the page stays responsive and the text can
// be shown as it is made. next(n) returns the next up-to-n characters ("" when done).
function makeSampler(model, { prime = "", length = 600, temperature = 1, topK = 0, seed = 0 } = {}) {
  const state = model.zeroState();
  let logits = new Float64Array(model.V);
  for (const id of model.startIds(prime)) model.step(id, state, logits);
  const random = seededRandom(seed);
  let made = 0;
  return {
    next(n) {
      let out = "";
      for (let k = 0; k < n && made < length; k++, made++) {
        const id = pickNext(logits, temperature, topK, random);
        out += model.chars[id];
        model.step(id, state, logits);
      }
      return out;
    },
    get done() {
      return made >= length;
    },
  };
}

// Read `text` from the zero state: tanh(c) of every cell after each character (Float32Array, T x cells, cell
// j = layer * H + unit) and the five likeliest next characters with their probabilities. Characters the model never
// saw are not read (their row stays NaN and they get no guesses). A reader works in slices, next(n) reading the next
// n characters, so a page can keep responding and show progress; readText reads it all at once.
function textReader(model, text, topN = 5) {
  const chars = Array.from(text);
  const cells = model.L * model.H;
  const firing = new Float32Array(chars.length * cells).fill(NaN);
  const guesses = new Array(chars.length).fill(null);
  const state = model.zeroState();
  const logits = new Float64Array(model.V);
  const unknown = new Set();
  let t = 0;
  function readOne() {
    const id = model.index.get(chars[t]);
    if (id === undefined) {
      unknown.add(chars[t]);
      return;
    }
    model.step(id, state, logits);
    for (let k = 0; k < model.L; k++) {
      const c = state.c[k];
      for (let u = 0; u < model.H; u++) firing[t * cells + k * model.H + u] = Math.tanh(c[u]);
    }
    let max = -Infinity;
    for (let v = 0; v < model.V; v++) max = Math.max(max, logits[v]);
    let total = 0;
    for (let v = 0; v < model.V; v++) total += Math.exp(logits[v] - max);
    const order = Array.from(logits.keys()).sort((a, b) => logits[b] - logits[a]).slice(0, topN);
    guesses[t] = order.map((v) => [model.chars[v], Math.exp(logits[v] - max) / total]);
  }
  return {
    next(n) {
      for (let k = 0; k < n && t < chars.length; k++, t++) readOne();
      return t;
    },
    get done() {
      return t >= chars.length;
    },
    get total() {
      return chars.length;
    },
    result() {
      return { chars, firing, cells, guesses, unknown: [...unknown] };
    },
  };
}

function readText(model, text, topN = 5) {
  const reader = textReader(model, text, topN);
  while (!reader.done) reader.next(1024);
  return reader.result();
}

// Build the model from a widget's payload after the page has drawn (decoding takes a moment); `done(model, error)`.
function loadModelLater(payload, done) {
  setTimeout(() => {
    try {
      done(new CharLSTM(payload), null);
    } catch (e) {
      done(null, e);
    }
  }, 0);
}
