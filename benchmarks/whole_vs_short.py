"""Issue 24's diagnosis, per chapter: each finished run's held-out loss on the whole validation split against the
loss training reported on its short pieces, for the runs that the chapters' last execution trained or reused.

Training validates on `eval_max_chunks` x batch x sequence-length characters spread evenly over the split, each
piece read after a 128-character burn-in (`charlab.evaluate.score_ids` with `max_chars`); the chapters score the
whole split, read as long streams. Before training practised the all-zero state (`state_reset_every`), the two
parted by 0.18-0.32 nats/char on chapters 6 and 10 (the long streams met states training never saw). With the
fix they should agree to the pieces' sampling noise. This prints, for every `runs/*-cpu-*` run: its best
checkpoint's whole-split loss, the short-piece loss its training recorded for that checkpoint, and the gap.

    .venv/bin/python benchmarks/whole_vs_short.py [RUNS_DIR]

A loss measurement, not a timing: it may run beside other work. Results are recorded in benchmarks/README.md.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from charlab.checkpoint import load_checkpoint
from charlab.config import TrainConfig
from charlab.evaluate import score_split
from charlab.text import read_text

GAP = 0.05  # nats/char: issue 24's bound for a gap that is not a defect


def main(runs: Path) -> None:
    print(f"{'run':32s} {'val chars':>10s} {'pieces':>6s} {'short pieces':>12s} {'whole split':>11s} {'gap':>7s}")
    for run_json in sorted(runs.glob("*-cpu-*/run.json")):
        manifest = json.loads(run_json.read_text())
        if manifest.get("best_val_loss") is None:
            continue
        ckpt = load_checkpoint(run_json.parent)  # the best checkpoint
        config = TrainConfig.from_dict(ckpt.meta["train_config"])
        data = Path(ckpt.meta["data_path"])
        if not data.is_file():
            print(f"{run_json.parent.name:32s} data file {data} is gone")
            continue
        text = read_text(data, encoding_errors=config.encoding_errors, byte_level=config.byte_level)
        whole = score_split(ckpt.model, ckpt.vocab, text, config.val_frac, config.test_frac)
        short = manifest["best_val_loss"]
        n_val = round(len(text) * config.val_frac)
        flag = "" if abs(whole - short) <= GAP else "  > 0.05"
        pieces = config.eval_max_chunks or "all"  # all: training scored the whole split too
        print(f"{run_json.parent.name:32s} {n_val:10,d} {pieces!s:>6s} {short:12.3f} {whole:11.3f} "
              f"{whole - short:+7.3f}{flag}", flush=True)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("runs"))
