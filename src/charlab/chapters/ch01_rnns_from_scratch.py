"""What chapter 1 (RNNs from scratch, in numpy) does at each scale. Its code is in `charlab.scratch`."""

from __future__ import annotations

from charlab.presets import for_scale

SIZES = {
    # iters: the faithful min-char-rnn; batched_iters: the batched RNN; hello_iters: the "hello" example;
    # ab_iters: each side of the dhnext A/B; resume_iters: the save/resume check; checks: gradient-check
    # entries per parameter; speed_s: seconds per side of the speed test.
    "smoke": dict(iters=300, batched_iters=40, hello_iters=200, ab_iters=150, resume_iters=100, checks=4,
                  speed_s=1.0),
    "cpu": dict(iters=30_000, batched_iters=3_000, hello_iters=300, ab_iters=5_000, resume_iters=500, checks=40,
                speed_s=6.0),
    "blog": dict(iters=200_000, batched_iters=20_000, hello_iters=300, ab_iters=50_000, resume_iters=2_000,
                 checks=200, speed_s=10.0),
}
BATCH = 32  # streams in the batched RNN


def sizes(scale: str) -> dict[str, float]:
    return for_scale(SIZES, scale)
