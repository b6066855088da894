"""Training speed of the batched numpy RNN against the faithful min-char-rnn, in the same run.

    python benchmarks/numpy_rnn_speed.py [--batch-size 32] [--seconds 6] [--threads 1] [--min-ratio 10] [--float32]

Both run on the same text (tiny Shakespeare, or --text FILE) with the same hyperparameters (hidden 100,
seq_length 25, float64; --float32 adds a line for the batched model in float32, still against the float64 gist).
BLAS is pinned to --threads threads *before* numpy is imported: the faithful version's
100x100 matrix-vector products cannot use more than one core, so one thread each is the fair per-core comparison
(and on a busy machine extra BLAS threads only add contention).
"""

from __future__ import annotations

import argparse
import os
import sys


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--seconds", type=float, default=6.0, help="timing budget per model (split over rounds)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1, help="BLAS threads for both models")
    ap.add_argument("--text", help="a UTF-8 text file (default: tiny Shakespeare via charlab.datasets)")
    ap.add_argument("--min-ratio", type=float, default=None, help="exit 1 if the float64 speed-up is below this")
    ap.add_argument("--float32", action="store_true", help="also time the batched model in float32")
    args = ap.parse_args()
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(args.threads)

    from charlab.scratch.numpy_rnn import compare_speed  # imports numpy, after the thread pinning

    if args.text:
        with open(args.text, encoding="utf-8") as f:
            text = f.read()
        source = args.text
    else:
        from charlab import datasets

        text = datasets.ensure("tinyshakespeare").read_text(encoding="utf-8")
        source = "tinyshakespeare"
    r = compare_speed(text, batch_size=args.batch_size, seconds=args.seconds, rounds=args.rounds)
    print(f"text: {source} ({len(text):,} chars), hidden 100, seq_length 25, float64, {args.threads} BLAS thread(s)")
    print(f"faithful min-char-rnn      : {r['faithful_chars_per_s']:>10,.0f} chars/s")
    print(f"batched numpy RNN (B={args.batch_size:<3}): {r['batched_chars_per_s']:>10,.0f} chars/s")
    print(f"speed-up: {r['ratio']:.1f}x (target >= 10x)")
    if args.float32:
        r32 = compare_speed(text, batch_size=args.batch_size, seconds=args.seconds, rounds=args.rounds,
                            dtype="float32")
        print(f"batched, float32 (B={args.batch_size:<3}) : {r32['batched_chars_per_s']:>10,.0f} chars/s, "
              f"{r32['ratio']:.1f}x the faithful version timed alongside it "
              f"({r32['faithful_chars_per_s']:,.0f} chars/s)")
    if args.min_ratio is not None and r["ratio"] < args.min_ratio:
        print(f"speed-up below --min-ratio {args.min_ratio}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
