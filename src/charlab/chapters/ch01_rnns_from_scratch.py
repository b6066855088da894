"""What chapter 1 (RNNs from scratch, in numpy) does at each scale. Its code is in `charlab.scratch`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import FancyArrowPatch, Rectangle

from charlab.errors import CharlabError
from charlab.presets import for_scale
from charlab.scratch import hello, minchar
from charlab.scratch.minchar import Params

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


# -- the post's first figure: what goes in and what comes out ----------------------------------------------------


@dataclass(frozen=True)
class IOPattern:
    """Which time steps of a recurrent model read an input from outside and which produce an output."""

    steps: int
    inputs: frozenset[int]  # steps that read a vector given from outside (not the model's own output fed back)
    outputs: frozenset[int]  # steps whose output is used (predicted, scored or written)

    @classmethod
    def of(cls, steps: int, inputs: Sequence[int], outputs: Sequence[int]) -> IOPattern:
        return cls(steps, frozenset(inputs), frozenset(outputs))


# The post's figure, left to right: (1) to (5), as the post names them; the steps each one reads and writes.
SEQUENCE_TYPES: dict[str, IOPattern] = {
    "one to one": IOPattern.of(1, [0], [0]),
    "one to many": IOPattern.of(3, [0], [0, 1, 2]),
    "many to one": IOPattern.of(3, [0, 1, 2], [2]),
    "many to many": IOPattern.of(5, [0, 1, 2], [3, 4]),
    "synced many to many": IOPattern.of(3, [0, 1, 2], [0, 1, 2]),
}
POST_EXAMPLES = {  # the post's caption
    "one to one": "no RNN: image classification",
    "one to many": "image captioning",
    "many to one": "sentiment analysis",
    "many to many": "machine translation",
    "synced many to many": "labelling each video frame",
}


def sequence_type(pattern: IOPattern) -> str:
    """The post's name for a pattern: one input and one output is "one to one"; one input and several outputs "one
    to many"; several inputs and one output "many to one"; several of both "synced many to many" when every input
    step is also an output step, else "many to many" (read a sequence, then write one)."""
    many_in, many_out = len(pattern.inputs) > 1, len(pattern.outputs) > 1
    if many_in and many_out:
        return "synced many to many" if pattern.inputs == pattern.outputs else "many to many"
    if many_out:
        return "one to many"
    return "many to one" if many_in else "one to one"


def training_pattern(params: Params, inputs: Sequence[int]) -> IOPattern:
    """What min-char-rnn's training does with a chunk: every character of `inputs` is read, and the model's scores
    (`charlab.scratch.hello.scores`, the forward pass of the gist's `lossfun`) give one prediction of the next
    character per input, each scored against its target."""
    rows = hello.scores(params, list(inputs))
    return IOPattern.of(len(inputs), range(len(inputs)), range(len(rows)))


def sampling_pattern(params: Params, seed_ix: int, n: int, seed: int = 0) -> IOPattern:
    """What min-char-rnn's sampling does (`charlab.scratch.minchar.sample`): one character is given, and each of
    the `n` characters it writes is fed back as the next input, so only the first step reads from outside."""
    h = np.zeros((params["Whh"].shape[0], 1))
    written = minchar.sample(params, h, seed_ix, n, np.random.default_rng(seed))
    return IOPattern.of(len(written), [0], range(len(written)))


def past_effect(params: Params, inputs: Sequence[int]) -> float:
    """How much the scores of the last step change when only the first input character changes (largest absolute
    difference): 0 for a one-to-one model, which sees one character at a time."""
    other = [(inputs[0] + 1) % params["Why"].shape[0], *inputs[1:]]
    return float(np.abs(hello.scores(params, list(inputs))[-1] - hello.scores(params, other)[-1]).max())


def sequence_type_answer(train: IOPattern, sampling: IOPattern, effect: float,
                         guess: str = "one to one") -> tuple[str, str, str]:
    """A reader guessed that a character-level model is `guess` ("one to one, since it's character to
    character"). The guess holds when training or sampling has that shape and (for one to one) no output depends
    on an earlier input; contradicted otherwise. Returns (verdict, value, measured)."""
    t, s = sequence_type(train), sequence_type(sampling)
    value = f"training: {t}; sampling: {s}"
    measured = (f"in training, min-char-rnn reads {len(train.inputs)} characters and makes {len(train.outputs)} "
                f"predictions, one after each input ({t}, the post's type "
                f"{list(SEQUENCE_TYPES).index(t) + 1}); in sampling it is given {len(sampling.inputs)} character(s) "
                f"and writes {len(sampling.outputs)}, each fed back as the next input ({s}, type "
                f"{list(SEQUENCE_TYPES).index(s) + 1}); changing only the first input character changes the last "
                f"step's scores by up to {effect:.3g}, so each output depends on "
                + ("every character before it" if effect > 0 else "its own input only"))
    matches = guess in (t, s) and (guess != "one to one" or effect == 0)
    return ("holds" if matches else "contradicted"), value, measured


_COLOURS = {"input": "#e57373", "state": "#81c784", "output": "#64b5f6"}  # the post's red, green and blue
_ROWS = {"input": 0.0, "state": 1.2, "output": 2.4}  # heights of the three rows of boxes


def plot_sequence_types(highlight: Mapping[str, str] | None = None, types: Mapping[str, IOPattern] | None = None):
    """The post's first figure: one panel per type, inputs (red) at the bottom, the state (green) in the middle,
    outputs (blue) on top, arrows for the functions between them. `highlight` maps a type's name to a label
    (e.g. {"synced many to many": "char-rnn training"}): that panel gets a frame and the label."""
    types = dict(types or SEQUENCE_TYPES)
    highlight = dict(highlight or {})
    unknown = set(highlight) - set(types)
    if unknown:
        raise CharlabError(f"no such sequence type: {', '.join(sorted(unknown))}")
    widths = [p.steps for p in types.values()]
    fig, axes = plt.subplots(1, len(types), figsize=(2.1 * len(types) + 0.4 * sum(widths), 3.6),
                             gridspec_kw={"width_ratios": [w + 0.8 for w in widths]})
    axes = np.atleast_1d(axes)
    for i, (ax, (name, p)) in enumerate(zip(axes, types.items(), strict=True)):
        def box(x: float, row: str, ax: plt.Axes = ax) -> None:
            ax.add_patch(Rectangle((x - 0.3, _ROWS[row] - 0.3), 0.6, 0.6, facecolor=_COLOURS[row],
                                   edgecolor="#333333", lw=0.8))

        def arrow(a: tuple[float, float], b: tuple[float, float], ax: plt.Axes = ax) -> None:
            ax.add_patch(FancyArrowPatch(a, b, arrowstyle="-|>", mutation_scale=9, lw=1, color="#333333"))

        for t in range(p.steps):
            box(t, "state")
            if t in p.inputs:
                box(t, "input")
                arrow((t, 0.32), (t, 0.88))
            if t in p.outputs:
                box(t, "output")
                arrow((t, 1.52), (t, 2.08))
            if t > 0:
                arrow((t - 0.68, 1.2), (t - 0.32, 1.2))
        ax.set_xlim(-0.9, p.steps - 0.1)
        ax.set_ylim(-0.9, 3.6)
        ax.set_aspect("equal")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(f"({i + 1}) {name}", fontsize=9)
        ax.set_xlabel(POST_EXAMPLES.get(name, ""), fontsize=7.5)
        label = highlight.get(name)
        for spine in ax.spines.values():
            spine.set_visible(label is not None)
            spine.set_color("#c62828")
            spine.set_linewidth(2.5)
        if label:
            ax.text((p.steps - 1) / 2, 3.25, label, ha="center", va="center", fontsize=7.5, color="#c62828",
                    fontweight="bold")
    fig.suptitle("red: inputs, green: the RNN's state, blue: outputs (after the post's first figure)", fontsize=9)
    fig.tight_layout()
    return fig
