"""Speed of the numpy text analyses (n-gram models, loop finder) against plain-Python references, in the same run.

Each analysis is timed next to a straightforward pure-Python implementation of the same computation (dicts and
loops, written here), on the same input, alternating the two for `--rounds` rounds; the reported number is the
median time of each and the speed-up is reference / charlab. Both must give the same answer (checked every round),
so the reference is also an independent check of the result. Targets, as speed-ups over the reference:

* `NGramModel(5, alpha=0.1)`: count a megabyte of random text, score 100,000 characters of it: >= 3x
* `KneserNey(8)`: count 900,000 characters, score the next 100,000 at order 8: >= 5x
* `find_cycle` on a 2,000-character sample (a random one without a loop, one ending in the post's loop): >= 4x

These replace the unit tests' wall-clock bounds (5 s, 15 s and 1 s on the same workloads), which could fail on a
busy machine. Run it on an otherwise idle machine; writes `results/analysis_speed.json`.

    python benchmarks/analysis_speed.py [--rounds 3] [--chars 1000000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import statistics
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path

import numpy as np

from charlab.analysis.cycles import Cycle, find_cycle
from charlab.analysis.ngram import KneserNey, NGramModel
from charlab.provenance import cpu_name

HERE = Path(__file__).resolve().parent
ALPHABET = list("abcdefghijklmnopqrstuvwxyz  \n.,")  # the unit tests' random text: 30 characters, space twice as likely
UNIT = "is that they were all the same thing that was a startup "  # the post's near-zero-temperature loop
TARGETS = {"add-alpha 5-gram": 3.0, "Kneser-Ney, order 8": 5.0, "find_cycle": 4.0}


# ------------------------------------------------------------------------------ plain-Python references
def ref_add_alpha_loss(train: str, text: str, n: int, alpha: float) -> float:
    """Mean -log P of every character of `text` with a full context in `text`, P = (c(hc) + a) / (c(h.) + a V)."""
    grams = Counter(train[i : i + n] for i in range(len(train) - n + 1))
    contexts = Counter(train[i : i + n - 1] for i in range(len(train) - n + 1))
    V = len(set(train))
    total = 0.0
    for i in range(len(text) - n + 1):
        w = text[i : i + n]
        total -= math.log((grams[w] + alpha) / (contexts[w[:-1]] + alpha * V))
    return total / (len(text) - n + 1)


def _ney_discount(counts) -> float:
    n1 = sum(1 for c in counts if c == 1)
    n2 = sum(1 for c in counts if c == 2)
    return 0.5 if n1 + 2 * n2 == 0 else min(max(n1 / (n1 + 2 * n2), 0.05), 0.95)


def ref_kneser_ney_loss(train: str, val: str, n: int) -> float:
    """Interpolated Kneser-Ney of order n as `KneserNey`'s docstring defines it, with dicts: raw counts at order n,
    continuation counts N1+(.hc) below it, Ney's discount per order, P_0 = 1/V; scored on `val` with the end of
    `train` as the first characters' context."""
    V = len(set(train))
    levels = []  # per k = 1..n: (counts of hc, totals of h, followers of h, D_k)
    for k in range(1, n + 1):
        if k == n:
            counts = Counter(train[i : i + k] for i in range(len(train) - k + 1))
        else:  # the number of distinct characters before hc: one per distinct (k+1)-gram type ending in hc
            counts = Counter(g[1:] for g in {train[i : i + k + 1] for i in range(len(train) - k)})
        totals, followers = defaultdict(int), defaultdict(int)
        for g, c in counts.items():
            totals[g[:-1]] += c
            followers[g[:-1]] += 1
        levels.append((counts, totals, followers, _ney_discount(counts.values())))
    full = train[len(train) - (n - 1) :] + val
    total = 0.0
    for i in range(n - 1, len(full)):
        p = 1.0 / V
        for k, (counts, totals, followers, d) in enumerate(levels, start=1):
            g = full[i - k + 1 : i + 1]
            den = totals.get(g[:-1], 0)
            if den > 0:
                p = (max(counts.get(g, 0) - d, 0.0) + d * followers[g[:-1]] * p) / den
        total -= math.log(p)
    return total / len(val)


def ref_find_cycle(text: str, min_period: int = 4, min_repeats: float = 3.0) -> Cycle | None:
    """`find_cycle` with its defaults, one character comparison at a time."""
    n = len(text)

    def runs(p: int) -> list[tuple[int, int]]:  # maximal runs of text[i] == text[i + p]
        out, start = [], None
        for i in range(n - p):
            if text[i] == text[i + p]:
                if start is None:
                    start = i
            elif start is not None:
                out.append((start, i))
                start = None
        if start is not None:
            out.append((start, n - p))
        return out

    candidates = [(e - s + p, p, s) for p in range(min_period, int(n / min_repeats) + 1) for s, e in runs(p)
                  if e - s + p >= min_repeats * p]
    for coverage, p, start in sorted(candidates, key=lambda c: (-c[0], c[1], c[2])):
        unit = text[start : start + p]
        q = (unit + unit).find(unit, 1)
        if q < min_period:
            continue
        if q < p:
            s, e = [r for r in runs(q) if r[0] <= start][-1]
            start, end = s, e + q
        else:
            end = start + coverage
        return Cycle(period=q, start=start, end=end, unit=text[start : start + q], reaches_end=end == n)
    return None


# ------------------------------------------------------------------------------ timing
def race(fast: Callable[[], object], reference: Callable[[], object], rounds: int,
         same: Callable[[object, object], bool]) -> dict:
    """Median seconds of each, alternating them; every round's answers must agree."""
    times: dict[str, list[float]] = {"charlab": [], "reference": []}
    for _ in range(rounds):
        answers = []
        for name, fn in (("charlab", fast), ("reference", reference)):
            t0 = time.perf_counter()
            answers.append(fn())
            times[name].append(time.perf_counter() - t0)
        if not same(*answers):
            raise SystemExit(f"charlab and the reference disagree: {answers[0]!r} against {answers[1]!r}")
    s = {name: statistics.median(t) for name, t in times.items()}
    return {"charlab_s": s["charlab"], "reference_s": s["reference"], "speedup": s["reference"] / s["charlab"],
            "answer": repr(answers[0])}


def busy_cpu_seconds() -> float | None:
    """CPU seconds all processes have used since boot (Linux /proc/stat; None elsewhere)."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return None
    user, nice, system, _idle, _iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def own_cpu_seconds() -> float:
    t = os.times()
    return t.user + t.system


def close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--chars", type=int, default=1_000_000, help="random text for the n-gram models")
    parser.add_argument("--out", type=Path, default=HERE / "results")
    args = parser.parse_args(argv)
    load, busy0, own0, wall0 = os.getloadavg()[0], busy_cpu_seconds(), own_cpu_seconds(), time.perf_counter()
    text = "".join(np.random.default_rng(0).choice(ALPHABET, size=args.chars))
    scored, split = text[: args.chars // 10], args.chars * 9 // 10
    train, val = text[:split], text[split:]
    rng = np.random.default_rng(0)
    no_loop = "".join(rng.choice(list("abcdefghij klmnop"), size=2000))
    loop = no_loop[:1000] + (UNIT * 20)[:1000]
    results = {
        "add-alpha 5-gram": race(lambda: NGramModel(5, alpha=0.1).fit(text).loss(scored),
                                 lambda: ref_add_alpha_loss(text, scored, 5, 0.1), args.rounds, close),
        "Kneser-Ney, order 8": race(lambda: KneserNey(8).fit(train).loss(val, context=train),
                                    lambda: ref_kneser_ney_loss(train, val, 8), args.rounds, close),
        "find_cycle": race(lambda: (find_cycle(no_loop), find_cycle(loop)),
                           lambda: (ref_find_cycle(no_loop), ref_find_cycle(loop)), args.rounds,
                           lambda a, b: a == b and a[0] is None and a[1] is not None),
    }
    loads = (load, os.getloadavg()[0])  # the 1-minute load average before and after
    wall = time.perf_counter() - wall0
    busy1 = busy_cpu_seconds()
    # Cores' worth of CPU that *other* processes used during the run: ~0 on an idle machine.
    others = None if busy0 is None or busy1 is None else max(0.0, (busy1 - busy0 - (own_cpu_seconds() - own0)) / wall)
    stamp = {"date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "cpu": cpu_name(),
             "cores": os.cpu_count(), "load_average_1min": {"start": loads[0], "end": loads[1]},
             "other_processes_cores": others, "wall_s": wall, "rounds": args.rounds,
             "chars": args.chars, "targets": TARGETS, "results": results}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "analysis_speed.json").write_text(json.dumps(stamp, indent=1))
    idle = "unknown" if others is None else f"{others:.2f} cores"
    print(f"{stamp['date']}, {stamp['cpu']} ({stamp['cores']} cores), median of {args.rounds} alternating rounds, "
          f"{wall:.0f} s; other processes used {idle} on average (1-min load {loads[0]:.2f} before, "
          f"{loads[1]:.2f} after)\n")
    print("| analysis | charlab (s) | plain-Python reference (s) | speed-up | target |")
    print("|---|---:|---:|---:|---:|")
    for name, r in results.items():
        print(f"| {name} | {r['charlab_s']:.3f} | {r['reference_s']:.3f} | {r['speedup']:.1f}x | "
              f">= {TARGETS[name]:g}x |")
    missed = [name for name, r in results.items() if r["speedup"] < TARGETS[name]]
    if missed:
        print(f"\nbelow target: {', '.join(missed)}", file=sys.stderr)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
