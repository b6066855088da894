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
import torch.nn.functional as F

from .config import TrainConfig
from .errors import CharlabError
from .model import CharRNN, ModelConfig, detach_state


def model_for(config: TrainConfig, vocab_size: int) -> CharRNN:
    """The CharRNN a training run with `config` would build for a vocabulary of `vocab_size` characters."""
    return CharRNN(ModelConfig(vocab_size=vocab_size, cell=config.cell, hidden_size=config.hidden_size,
                               num_layers=config.num_layers, dropout=config.dropout,
                               embedding_dim=config.embedding_dim))


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)  # CUDA calls return before the GPU has finished: wait for it


def time_per_batch(config: TrainConfig, vocab_size: int, iters: int = 3, device: str | torch.device = "cpu",
                   warmup: int = 1, seed: int = 0) -> float:
    """Median wall-clock seconds of one training iteration (forward + backward + optimizer step) at `config`'s
    model, batch size and sequence length, after `warmup` uncounted iterations.

    The optimizer and the gradient clamp/clip are the ones `config` names, as in `charlab.train`. The hidden state
    is carried between iterations (truncated BPTT), like a real run.
    """
    if iters < 1 or warmup < 0:
        raise CharlabError(f"iters must be >= 1 and warmup >= 0 (got {iters}, {warmup})")
    if vocab_size < 1:
        raise CharlabError(f"vocab_size must be positive, got {vocab_size}")
    device = torch.device(device)
    gen = torch.Generator().manual_seed(seed)
    model = model_for(config, vocab_size).to(device).train()
    if config.optimizer == "adam":
        opt: torch.optim.Optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr)
    else:
        opt = torch.optim.RMSprop(model.parameters(), lr=config.lr, alpha=0.95, eps=1e-8)
    shape = (config.batch_size, config.seq_len)
    x = torch.randint(vocab_size, shape, generator=gen).to(device)
    y = torch.randint(vocab_size, shape, generator=gen).to(device)
    state = model.init_state(config.batch_size, device)
    times = []
    for i in range(warmup + iters):
        _sync(device)
        t0 = time.perf_counter()
        logits, state = model(x, state)
        loss = F.cross_entropy(logits.reshape(-1, vocab_size), y.reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if config.grad_clamp > 0:
            for p in model.parameters():
                p.grad.clamp_(-config.grad_clamp, config.grad_clamp)
        if config.grad_clip > 0:
            torch.nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
        opt.step()
        state = detach_state(state)
        _sync(device)
        if i >= warmup:
            times.append(time.perf_counter() - t0)
    return statistics.median(times)
