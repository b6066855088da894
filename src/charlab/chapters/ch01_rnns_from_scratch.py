"""What chapter 1 (RNNs from scratch, in numpy) does at each scale. Its code is in `charlab.scratch`."""

from __future__ import annotations

from charlab.presets import for_scale

SIZES = {
    # iters: the faithful min-char-rnn; batched_iters: the batched RNN; hello_iters: the "hello" example;
    # resume_iters: the save/resume check; checks: gradient-check entries per parameter; speed_s: seconds per
    # side of the speed test. The dhnext A/B runs as long as the faithful run (iters).
    "smoke": dict(iters=300, batched_iters=40, hello_iters=200, resume_iters=100, checks=4,
                  speed_s=1.0),
    "cpu": dict(iters=30_000, batched_iters=3_000, hello_iters=300, resume_iters=500, checks=40,
                speed_s=6.0),
    "blog": dict(iters=200_000, batched_iters=20_000, hello_iters=300, resume_iters=2_000,
                 checks=200, speed_s=10.0),
}
BATCH = 32  # streams in the batched RNN


def sizes(scale: str) -> dict[str, float]:
    return for_scale(SIZES, scale)


def hello_update_verdict(rose: int, fell: int, models: int) -> tuple[str, str, str]:
    """The post: after one parameter update "the scores of the correct characters ... would be slightly higher
    ..., and the scores of incorrect characters would be slightly lower". Counted over `models` fresh models
    (4 correct-target and 12 other scores each): holds when at least 95% of both moved the right way, partly when
    most did (a step lowers the total loss, not every score), contradicted otherwise."""
    up, down = rose / (4 * models), fell / (12 * models)
    value = f"{up:.0%} of correct scores up, {down:.0%} of others down"
    measured = (f"one plain gradient step (learning rate 0.05) from {models} random initialisations raised "
                f"{rose} of {4 * models} correct-target scores and lowered {fell} of {12 * models} other scores")
    if min(up, down) >= 0.95:
        return "holds", value, measured
    return ("holds partly" if min(up, down) > 0.5 else "contradicted"), value, measured


def dhnext_verdict(with_dhnext: float, without: float, iters: int) -> str:
    """One sentence on the A/B of the gist's `+ dhnext` (validation nats/char after `iters` iterations)."""
    gap = without - with_dhnext
    if gap > 0.005:
        return (f"After {iters:,} iterations the correct gradient is ahead: validation {with_dhnext:.3f} against "
                f"{without:.3f} nats/char without `dhnext` ({gap:.3f} lower).")
    if gap < -0.005:
        return (f"After {iters:,} iterations the truncated update is still ahead: validation {without:.3f} against "
                f"{with_dhnext:.3f} nats/char with `dhnext` ({-gap:.3f} lower); the correct gradient has not won "
                "within this run.")
    return f"After {iters:,} iterations the two are level: {with_dhnext:.3f} and {without:.3f} nats/char."
