"""The post's "hello" example: vocabulary h,e,l,o, three hidden units, inputs "hell", targets "ello".

It is min-char-rnn at its smallest (one 4-character chunk), so it reuses `minchar` for every computation; this
module only adds what the book shows: the 4x4 table of output scores, one small gradient step that should raise
the correct targets' scores and lower the others, a training run that records when the model first predicts
"ello", and the two figures.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from charlab.scratch.minchar import MinCharRNN, Params, lossfun

VOCAB = ["h", "e", "l", "o"]  # the post's order, not sorted
TEXT = "hello"


def make_model(seed: int = 0, init_scale: float = 0.5, learning_rate: float = 0.1) -> MinCharRNN:
    """A min-char-rnn on "hello" with 3 hidden units and a 4-step chunk.

    init_scale 0.5 (not the gist's 0.01) so the untrained scores are visibly different from each other, as in
    the post's diagram; with 0.01 they would all print as 0.00.
    """
    return MinCharRNN(TEXT, hidden_size=3, seq_length=4, learning_rate=learning_rate, init_scale=init_scale,
                      seed=seed, vocab=VOCAB)


def io(model: MinCharRNN) -> tuple[list[int], list[int]]:
    """Input indices of "hell" and target indices of "ello"."""
    return model.data[:4], model.data[1:5]


def scores(params: Params, inputs: list[int]) -> np.ndarray:
    """Output scores y_t (unnormalised log-probabilities), one row per time step, from a zero hidden state."""
    H, V = params["Wxh"].shape
    h = np.zeros((H, 1))
    rows = []
    for ix in inputs:
        x = np.zeros((V, 1))
        x[ix] = 1
        h = np.tanh(params["Wxh"] @ x + params["Whh"] @ h + params["bh"])
        rows.append((params["Why"] @ h + params["by"])[:, 0])
    return np.array(rows)


def gradient_step(params: Params, inputs: list[int], targets: list[int], lr: float = 0.05) -> Params:
    """A copy of params after one plain gradient-descent step on the chunk's loss (no clipping)."""
    _, grads, _ = lossfun(params, inputs, targets, np.zeros((params["Whh"].shape[0], 1)), clip=None)
    return {k: v - lr * grads[k] for k, v in params.items()}


def one_step(seed: int = 0, lr: float = 0.05) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """Scores for "hell" before and after one gradient step of a fresh model, and the targets."""
    model = make_model(seed)
    inputs, targets = io(model)
    before = scores(model.params, inputs)
    after = scores(gradient_step(model.params, inputs, targets, lr), inputs)
    return before, after, targets


def count_changes(before: np.ndarray, after: np.ndarray, targets: list[int]) -> tuple[int, int]:
    """(how many of the 4 correct-target scores rose, how many of the 12 other scores fell)."""
    delta = after - before
    correct = np.zeros_like(delta, dtype=bool)
    correct[np.arange(len(targets)), targets] = True
    return int(np.sum(delta[correct] > 0)), int(np.sum(delta[~correct] < 0))


@dataclass
class HelloRun:
    """Everything recorded while training on "hello"."""

    losses: np.ndarray  # chunk loss (sum over the 4 steps) per iteration
    p_target: np.ndarray  # (iters, 4): probability of the correct next character at each step
    predictions: list[str]  # argmax prediction of the 4 next characters, per iteration
    first_ello: int | None  # first iteration (0-based, before its update) at which the prediction is "ello"


def train(model: MinCharRNN, num_iters: int = 300) -> HelloRun:
    """Train with the gist's loop (Adagrad) and record, before each update, what the model predicts."""
    inputs, targets = io(model)
    losses, p_target, preds = [], [], []
    for _ in range(num_iters):
        y = scores(model.params, inputs)
        p = np.exp(y - y.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        p_target.append(p[np.arange(4), targets])
        preds.append("".join(VOCAB[i] for i in y.argmax(axis=1)))
        losses.append(model.step())
    first = next((i for i, s in enumerate(preds) if s == "ello"), None)
    return HelloRun(np.array(losses), np.array(p_target), preds, first)


def plot_scores(before: np.ndarray, after: np.ndarray, targets: list[int]):
    """The post's diagram as two 4x4 tables: scores before and after one update, correct targets outlined.

    Cells are coloured by the change (after - before): green where a score rose, red where it fell.
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    fig, axes = plt.subplots(1, 2, figsize=(9, 3.6), constrained_layout=True)
    delta = after - before
    lim = np.abs(delta).max() or 1.0
    axes[0].imshow(np.zeros_like(delta.T), cmap="Greys", vmin=0, vmax=1)  # plain white
    axes[1].imshow(delta.T, cmap="RdYlGn", vmin=-lim, vmax=lim)
    for ax, mat, title in ((axes[0], before, "scores before the update"),
                           (axes[1], after, "after one gradient step\n(green: rose, red: fell)")):
        for t in range(4):
            for v in range(4):
                correct = targets[t] == v
                txt = f"{mat[t, v]:.2f}"
                if mat is after:
                    txt += f"\n({delta[t, v]:+.2f})"
                ax.text(t, v, txt, ha="center", va="center", fontsize=9,
                        fontweight="bold" if correct else "normal")
                if correct:
                    ax.add_patch(Rectangle((t - 0.5, v - 0.5), 1, 1, fill=False, lw=2.5, ec="black"))
        ax.set_xticks(range(4), [f"in '{c}'" for c in "hell"])
        ax.set_yticks(range(4), [f"next '{c}'" for c in VOCAB])
        ax.set_title(title)
    fig.suptitle("Output scores for inputs 'hell' (outlined: the correct next character)")
    return fig


def plot_training(run: HelloRun):
    """Probability of each correct next character over training, and what the model predicts."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 3.6), constrained_layout=True)
    for t, (inp, tgt) in enumerate(zip("hell", "ello", strict=True)):
        ax.plot(run.p_target[:, t], label=f"p('{tgt}' | ...'{inp}')")
    if run.first_ello is not None:
        ax.axvline(run.first_ello, color="k", ls="--", lw=1)
        ax.text(run.first_ello, 0.03, f"  predicts 'ello' from iteration {run.first_ello}", fontsize=9)
    ax.set_ylim(0, 1)
    ax.set_xlabel("iteration")
    ax.set_ylabel("probability of the correct next character")
    ax.set_title(f"Training on 'hello': prediction went {run.predictions[0]!r} -> {run.predictions[-1]!r}")
    ax.legend(loc="center right", fontsize=9)
    return fig
