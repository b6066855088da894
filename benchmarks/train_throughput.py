"""Training throughput of `charlab train` against a bare PyTorch loop, measured in the same run.

For each `cpu` preset, compare characters per second of charlab's training step (batching, LR schedule,
gradient clipping, state carrying, loss bookkeeping) with a bare loop doing the same `nn.LSTM` forward, backward
and optimizer step on random data. Target: charlab's overhead <= 10%. Also reports achieved GFLOP/s next to a
large fp32 matmul measured in the same run, so the numbers say how close to the machine's peak training runs.

    python benchmarks/train_throughput.py [--iters 20] [--rounds 3] [--presets cpu names-cpu]
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from charlab.config import TrainConfig
from charlab.presets import get_preset, preset_names
from charlab.provenance import device_description
from charlab.train import Trainer

VOCAB = 65  # tiny Shakespeare's vocabulary size


def flops_per_char(c: TrainConfig, vocab: int = VOCAB) -> float:
    """Multiply-adds x2 of one character's forward pass, x3 for forward + backward."""
    gates = {"lstm": 4, "gru": 3, "rnn": 1}[c.cell]
    inp = c.embedding_dim or vocab
    fwd = 0
    for layer in range(c.num_layers):
        fwd += 2 * gates * c.hidden_size * ((inp if layer == 0 else c.hidden_size) + c.hidden_size)
    fwd += 2 * c.hidden_size * vocab
    return 3 * fwd


def matmul_gflops(n: int = 2048, repeats: int = 5, trials: int = 3) -> float:
    """Best of `trials` timings of `repeats` n x n fp32 matmuls: the machine's practical peak."""
    a, b = torch.randn(n, n), torch.randn(n, n)
    a @ b
    best = 0.0
    for _ in range(trials):
        t = time.perf_counter()
        for _ in range(repeats):
            a @ b
        best = max(best, 2 * n**3 * repeats / (time.perf_counter() - t) / 1e9)
    return best


def synthetic_text(chars: int, seed: int = 0) -> str:
    rng = np.random.default_rng(seed)
    alphabet = np.array(list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ .,;:!?'-\n\"()[]0123456789&$@"))
    return "".join(rng.choice(alphabet[:VOCAB], size=chars))


def charlab_chars_per_s(trainer: Trainer, iters: int) -> float:
    for _ in range(2):
        trainer.train_step()
    t = time.perf_counter()
    for _ in range(iters):
        trainer.train_step()
    return iters * trainer.config.batch_size * trainer.config.seq_len / (time.perf_counter() - t)


class Bare(nn.Module):
    def __init__(self, c: TrainConfig):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, c.embedding_dim) if c.embedding_dim else None
        cell = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}[c.cell]
        self.rnn = cell(c.embedding_dim or VOCAB, c.hidden_size, c.num_layers, batch_first=True,
                        dropout=c.dropout if c.num_layers > 1 else 0.0)
        self.head = nn.Linear(c.hidden_size, VOCAB)

    def forward(self, x):
        inp = self.embed(x) if self.embed is not None else F.one_hot(x, VOCAB).float()
        return self.head(self.rnn(inp)[0])


def bare_chars_per_s(c: TrainConfig, iters: int) -> float:
    model = Bare(c)
    opt = torch.optim.AdamW(model.parameters(), lr=c.lr) if c.optimizer == "adam" else torch.optim.RMSprop(
        model.parameters(), lr=c.lr)
    x = torch.randint(0, VOCAB, (c.batch_size, c.seq_len))
    y = torch.randint(0, VOCAB, (c.batch_size, c.seq_len))

    def step():
        loss = F.cross_entropy(model(x).reshape(-1, VOCAB), y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()

    for _ in range(2):
        step()
    t = time.perf_counter()
    for _ in range(iters):
        step()
    return iters * c.batch_size * c.seq_len / (time.perf_counter() - t)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--iters", type=int, default=20, help="timed iterations per measurement")
    parser.add_argument("--rounds", type=int, default=5,
                        help="alternating rounds; the overhead is the median of the per-round ratios")
    parser.add_argument("--presets", nargs="*", default=[p for p in preset_names() if p.endswith("cpu")])
    args = parser.parse_args(argv)
    torch.manual_seed(0)
    peak = matmul_gflops()
    print(f"device: {device_description('cpu')}; fp32 2048x2048 matmul: {peak:.1f} GFLOP/s")
    print(f"{'preset':22s} {'charlab chars/s':>16s} {'bare chars/s':>13s} {'overhead':>9s} {'GFLOP/s':>8s} "
          f"{'of matmul':>9s}")
    worst = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.presets:
            c = get_preset(name).with_overrides(device="cpu", max_iters=10**9)
            path = Path(tmp) / f"{name}.txt"
            path.write_text(synthetic_text(c.batch_size * c.seq_len * (args.iters + 4) * 10 // 9 + 10))
            trainer = Trainer(path, c, Path(tmp) / f"run-{name}", progress=False)
            ours, bare = [], []
            for _ in range(args.rounds):  # alternate so both see the same machine conditions
                ours.append(charlab_chars_per_s(trainer, args.iters))
                bare.append(bare_chars_per_s(c, args.iters))
            # paired per-round ratios, so a slow moment of the machine hits both sides of one ratio
            overhead = 1 - statistics.median(o / b for o, b in zip(ours, bare, strict=True))
            ours, bare = statistics.median(ours), statistics.median(bare)
            worst = max(worst, overhead)
            gflops = ours * flops_per_char(c) / 1e9
            print(f"{name:22s} {ours:16,.0f} {bare:13,.0f} {overhead:9.1%} {gflops:8.1f} {gflops / peak:9.1%}")
    verdict = "OK" if worst <= 0.10 else "ABOVE TARGET"
    print(f"worst overhead {worst:.1%} (target <= 10%): {verdict}")
    return 0 if math.isfinite(worst) else 1


if __name__ == "__main__":
    sys.exit(main())
