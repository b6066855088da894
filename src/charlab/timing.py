"""How long one training iteration takes: the post's "one batch on a TITAN Z GPU takes about 0.46 seconds".

The post quotes the time of one batch (forward, backward and parameter update) for a 2x512 LSTM, batch 100,
BPTT 100. To compare, we time exactly that work on whatever machine runs the chapter, with random character ids
(the speed of an LSTM does not depend on which characters it reads), so no data or training run is needed. The
first iterations are not counted: they pay one-off costs (memory allocation, cuDNN autotuning, thread start-up).
"""

from __future__ import annotations

import statistics
import time

import torch

from .config import TrainConfig
from .device import resolve_precision
from .errors import CharlabError
from .model import detach_state
from .train import build_model, build_optimizer, forward_loss, update


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)  # CUDA calls return before the GPU has finished: wait for it


def time_per_batch(config: TrainConfig, vocab_size: int, iters: int = 3, device: str | torch.device = "cpu",
                   warmup: int = 1, seed: int = 0) -> float:
    """Median wall-clock seconds of one training iteration (forward + backward + optimizer step) at `config`'s
    model, batch size and sequence length, after `warmup` uncounted iterations.

    Model, optimizer, loss and update are `charlab.train`'s own building blocks, so this times what training
    runs, at `config.precision`. The hidden state is carried between iterations (truncated BPTT), like a run.
    """
    if iters < 1 or warmup < 0:
        raise CharlabError(f"iters must be >= 1 and warmup >= 0 (got {iters}, {warmup})")
    if vocab_size < 1:
        raise CharlabError(f"vocab_size must be positive, got {vocab_size}")
    device = torch.device(device)
    dtype = resolve_precision(config.precision, device)
    gen = torch.Generator().manual_seed(seed)
    model = build_model(config, vocab_size).to(device).train()
    opt = build_optimizer(model, config)
    shape = (config.batch_size, config.seq_len)
    x = torch.randint(vocab_size, shape, generator=gen).to(device)
    y = torch.randint(vocab_size, shape, generator=gen).to(device)
    state = model.init_state(config.batch_size, device)
    times = []
    for i in range(warmup + iters):
        _sync(device)
        t0 = time.perf_counter()
        loss, state = forward_loss(model, x, y, state, dtype)
        update(model, opt, loss, config)
        state = detach_state(state, torch.float32)
        _sync(device)
        if i >= warmup:
            times.append(time.perf_counter() - t0)
    return statistics.median(times)
