"""Characters per second of the in-page model (lstm.js) in headless Chromium, against PyTorch in the same run.

    python benchmarks/in_page_sampling.py [RUN_DIR ...] [--chars 2000] [--rounds 3]

For each run (default: the newest `runs/pg-cpu-*` and `runs/linux-cpu-*`, the models chapters 2 and 9 carry),
the model is exported as the page carries it (fp16 weights, `charlab.widgets.model_data.export_model`) and loaded
into a blank page with lstm.js; it then
- samples `--chars` characters at T = 1 (makeSampler, no DOM: the forward pass and the draw), and
- reads `--chars` characters of the model's own sample (readText: every cell's tanh(c) and the top five guesses
  after each character, what the neuron browser does with pasted text),
each the median of `--rounds` rounds. The baseline, in the same invocation on the same machine: charlab's
`sample` in PyTorch (one thread, fp32) on the same rounded weights. The numbers are stated measurements, not a
timed test; the ratio says how much slower the browser is than PyTorch on this CPU. It also states the parity that
tests/browser checks on the built book, here on these runs: the largest |logit difference| against PyTorch over
1,000 characters of the model's own sample, and whether the argmax samples of 200 characters from a prime agree.
Writes benchmarks/results/in_page_sampling.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import time
from importlib import resources
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]

TIMING_JS = """
([payload, chars, rounds]) => {
  const t0 = performance.now();
  const model = new CharLSTM(payload);
  const loadS = (performance.now() - t0) / 1000;
  const sampleRates = [], readRates = [];
  let text = "";
  for (let r = 0; r < rounds; r++) {
    const s = makeSampler(model, { length: chars, temperature: 1, seed: r + 1 });
    const a = performance.now();
    text = "";
    while (!s.done) text += s.next(64);
    sampleRates.push(chars / ((performance.now() - a) / 1000));
    const b = performance.now();
    readText(model, text);
    readRates.push(Array.from(text).length / ((performance.now() - b) / 1000));
  }
  return { loadS, sampleRates, readRates, userAgent: navigator.userAgent };
}
"""


def newest(pattern: str) -> Path | None:
    found = sorted((ROOT / "runs").glob(pattern), key=lambda p: p.stat().st_mtime)
    return found[-1] if found else None


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("runs", nargs="*", type=Path)
    ap.add_argument("--chars", type=int, default=2000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "in_page_sampling.json")
    args = ap.parse_args()

    import numpy as np
    import torch
    from playwright.sync_api import sync_playwright

    from charlab.checkpoint import load_checkpoint
    from charlab.sampling import sample
    from charlab.widgets.model_data import export_model, payload_bytes, rounded_model

    runs = args.runs or [p for p in (newest("pg-cpu-*"), newest("linux-cpu-*")) if p is not None]
    if not runs:
        raise SystemExit("no run given and no runs/pg-cpu-* or runs/linux-cpu-*: train one or pass a run directory")
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        raise SystemExit("no chromium on PATH")
    lstm_js = resources.files("charlab.widgets").joinpath("lstm.js").read_text("utf-8")
    results = []
    load_before = os.getloadavg()[0]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        for run in runs:
            ckpt = load_checkpoint(run)
            payload = export_model(ckpt.model, ckpt.vocab)
            model, vocab = rounded_model(payload)
            page = browser.new_page()
            page.set_content("<html><body></body></html>")
            page.add_script_tag(content=lstm_js)
            js = page.evaluate(TIMING_JS, [payload, args.chars, args.rounds])
            text = sample(model, vocab, 1000, temperature=1.0, seed=0)[0]
            got = np.array(page.evaluate("([p, t]) => { const m = new CharLSTM(p); return m.logitsOf(m.encode(t).ids)"
                                         ".map(r => Array.from(r)); }", [payload, text]))
            with torch.no_grad():
                want = model(torch.tensor(vocab.encode(text))[None])[0][0].double().numpy()
            prime = text[:20]
            page_argmax = page.evaluate("([p, prime]) => new CharLSTM(p).sample({prime, length: 200, temperature: 0})",
                                        [payload, prime])
            torch_argmax = sample(model, vocab, 200, temperature=0.0, prime=prime)[0]
            page.close()
            torch_rates = []
            torch.manual_seed(0)
            for r in range(args.rounds):
                t0 = time.perf_counter()
                sample(model, vocab, args.chars, temperature=1.0, seed=r + 1)  # one thread, as the page
                torch_rates.append(args.chars / (time.perf_counter() - t0))
            c = model.config
            row = {
                "run": run.name, "model": f"LSTM {c.num_layers}x{c.hidden_size}, embedding {c.embedding_dim}, "
                                        f"{len(vocab.chars)} characters, {model.num_parameters():,} parameters",
                "page_data_MiB": round(payload_bytes(payload) / 2**20, 2),
                "load_s": round(js["loadS"], 3),
                "browser_sample_chars_per_s": round(statistics.median(js["sampleRates"])),
                "browser_read_chars_per_s": round(statistics.median(js["readRates"])),
                "torch_sample_chars_per_s": round(statistics.median(torch_rates)),
                "max_abs_logit_diff_1000_chars": float(np.abs(got - want).max()),
                "argmax_200_chars_equal": page_argmax == torch_argmax,
            }
            row["browser_over_torch"] = round(row["browser_sample_chars_per_s"] / row["torch_sample_chars_per_s"], 2)
            results.append(row)
            print(json.dumps(row))
        user_agent = js["userAgent"]
        browser.close()
    out = {"date_utc": time.strftime("%Y-%m-%d %H:%M", time.gmtime()), "machine": platform.processor() or
           platform.machine(), "browser": user_agent,
           "load_average_1min": [round(load_before, 2), round(os.getloadavg()[0], 2)],
           "chars": args.chars, "rounds": args.rounds, "runs": results}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
