"""Chapter 11 glue: two questions the post's readers asked that the book's own models can answer.

**Authorship by cross-entropy** (the reader feras: "by training the network with a specific person could we decide
if other text belongs to the same person or not?"). Seven texts, each with the model its chapter trained on it
(`run_experiment` with the chapter's experiment, so the finished run is reused) and a Kneser-Ney model counted on the
same training split (`kn_baseline`, its order chosen on the first half of the held-out text). Passages of 10, 30,
100 and 300 characters are drawn from the second half of each text's held-out split, which neither model nor the
order choice ever saw; each passage is read alone, from nothing (the network from the zero state, the n-gram model
with the context the passage itself gives), and attributed to the model under which its loss is lowest.

*Characters a model never saw.* The texts do not share one alphabet (Wikipedia has ~1,500 characters, Shakespeare 67).
A character outside a model's vocabulary costs that model ln(U) nats, U being the number of distinct characters of
all seven texts together (the cost of a uniform guess over every character the book knows), and the model reads a
space in its place (its first vocabulary character if it has no space). The same rule for both kinds of model.

**A Transformer at the LSTM's CPU budget** (readers asked how this relates to today's language models). `compare`
trains the cpu LSTM (1x512) and the `transformer-cpu` model (2 layers x 256, context 64) through the same trainer,
data, split, precision and threads for the same wall time, one after the other on one machine, and writes each run
to `results/compare/<model>/long/<dataset>/` (the results runner's layout, `charlab.blog.run_one`). The chapter only
reads them: five minutes per run is more than a page may spend. Run it on an idle machine:

    python -m charlab.chapters.ch11_questions compare [--budget-s 300] [--datasets tinyshakespeare warpeace]
"""

from __future__ import annotations

import argparse
import html
import json
import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from pathlib import Path

import numpy as np

from charlab import blog
from charlab.analysis.ngram import KNBaseline, kn_baseline
from charlab.checkpoint import Checkpoint, load_checkpoint
from charlab.claims import Verdict
from charlab.datasets import ensure
from charlab.errors import CharlabError
from charlab.evaluate import score_passages
from charlab.experiments import Corpus, Run, committed_run, load_corpus, results_dir, run_experiment, runs_dir
from charlab.presets import for_scale, get_preset
from charlab.runs import load_metrics
from charlab.units import bits

# ------------------------------------------------------------------------------------------------- authorship


@dataclass(frozen=True)
class Author:
    experiment: str  # the chapter's experiment: its preset and its run
    dataset: str
    label: str
    chapter: str


AUTHORS = (
    Author("pg", "pg", "Paul Graham", "chapter 2"),
    Author("shakespeare", "shakespeare", "Shakespeare", "chapter 3"),
    Author("warpeace", "warpeace", "Tolstoy", "chapter 5"),
    Author("wikipedia", "wikipedia", "Wikipedia", "chapter 6"),
    Author("latex", "latex", "Stacks (LaTeX)", "chapter 7"),
    Author("linux", "linux", "Linux (C)", "chapter 8"),
    Author("meta", "blog", "Karpathy (the post)", "chapter 10"),
)
LENGTHS = (10, 30, 100, 300)
# passages: drawn per text and length (seeded); orders: those Kneser-Ney may choose from; kn_chars: the training
# characters Kneser-Ney counts (the end of the training split; 0: all of it; smoke only keeps CI quick).
SIZES = {
    "smoke": dict(passages=12, orders=(2, 3, 4), kn_chars=300_000),
    "cpu": dict(passages=100, orders=(2, 3, 4, 5, 6, 7, 8), kn_chars=0),
    "blog": dict(passages=500, orders=(2, 3, 4, 5, 6, 7, 8, 10), kn_chars=0),
}
SEED = 0


def sizes(scale: str) -> dict:
    return for_scale(SIZES, scale)


@dataclass
class Candidate:
    """One author the classifier can name: the text as its chapter splits it, the chapter's network and the
    Kneser-Ney model of the same training split."""

    author: Author
    corpus: Corpus
    run: Run
    checkpoint: Checkpoint
    kn: KNBaseline


def candidates(scale: str, authors: Sequence[Author] = AUTHORS) -> list[Candidate]:
    """Each author's chapter run (trained if no finished run of its key exists) and Kneser-Ney model."""
    size = sizes(scale)
    out = []
    for a in authors:
        corpus = load_corpus(a.experiment, scale, a.dataset)
        run = run_experiment(a.experiment, scale, dataset=a.dataset, progress=False)
        train = corpus.train[-size["kn_chars"]:] if size["kn_chars"] else corpus.train
        kn = kn_baseline(train, corpus.held_out, set(corpus.text), size["orders"])
        out.append(Candidate(a, corpus, run, run.load(), kn))
    return out


def draw_passages(text: str, length: int, n: int, seed: int = SEED) -> list[str]:
    """`n` passages of `length` characters starting at random places of `text` (they may overlap)."""
    if len(text) < length:
        raise CharlabError(f"a text of {len(text):,} characters holds no passage of {length}")
    starts = np.random.default_rng(seed).integers(0, len(text) - length + 1, n)
    return [text[s:s + length] for s in starts]


def _stand_in(chars: Sequence[str]) -> str:
    return " " if " " in chars else sorted(chars)[0]


def _masked(texts: Sequence[str], chars: Sequence[str]) -> tuple[list[str], np.ndarray]:
    """The passages with every character outside `chars` replaced by the stand-in, and where the scored
    characters (all but each passage's first) were unseen."""
    known, s = set(chars), _stand_in(chars)
    clean = ["".join(c if c in known else s for c in t) for t in texts]
    unseen = np.array([[c not in known for c in t[1:]] for t in texts], dtype=bool)
    return clean, unseen


def passage_losses(cand: Candidate, texts: Sequence[str], union_size: int, networks_only: bool = False
                   ) -> tuple[np.ndarray, np.ndarray | None]:
    """Mean loss (nats/char) of each passage under the candidate's network and its Kneser-Ney model (None with
    `networks_only`), each passage read alone, an unseen character costing ln(union_size) (the module's rule)."""
    penalty = math.log(union_size)
    vocab = cand.checkpoint.vocab
    clean, unseen = _masked(texts, vocab.chars)
    net = score_passages(cand.checkpoint.model, np.stack([vocab.encode(t) for t in clean]))
    net[unseen] = penalty
    if networks_only:
        return net.mean(axis=1), None
    model = cand.kn.model
    clean, unseen = _masked(texts, model.vocab)
    kn = -np.log(model.passage_probs(clean, order=cand.kn.order))
    kn[unseen] = penalty
    return net.mean(axis=1), kn.mean(axis=1)


@dataclass(frozen=True)
class Attribution:
    """Every passage of one length scored under every candidate: truth (N,) is the index of the author that wrote
    it, losses[kind] (candidates x N) its mean nats/char under each candidate's model ("lstm" or "kn")."""

    length: int
    truth: np.ndarray
    losses: dict[str, np.ndarray]

    def predicted(self, kind: str) -> np.ndarray:
        return self.losses[kind].argmin(axis=0)

    def accuracy(self, kind: str) -> float:
        return float((self.predicted(kind) == self.truth).mean())

    def confusion(self, kind: str) -> np.ndarray:
        """counts[true author, attributed author]."""
        m = self.losses[kind].shape[0]
        counts = np.zeros((m, m), dtype=int)
        np.add.at(counts, (self.truth, self.predicted(kind)), 1)
        return counts

    def mean_loss(self, kind: str) -> np.ndarray:
        """[model, author]: mean nats/char of the author's passages under the model."""
        m = self.losses[kind].shape[0]
        return np.array([[self.losses[kind][i, self.truth == a].mean() for a in range(m)] for i in range(m)])


def attribute(cands: Sequence[Candidate], scale: str, lengths: Sequence[int] = LENGTHS,
              previous: dict[int, Attribution] | None = None, changed: Sequence[int] = ()) -> dict[int, Attribution]:
    """Draw each author's passages from the report half of its held-out text and score them under every model.
    With `previous` (the same candidates' attribution, same scale), only the networks of the candidates `changed`
    are scored again; the passages are the same (seeded) and so is every other row."""
    n, union = sizes(scale)["passages"], union_size(cands)
    out = {}
    for length in lengths:
        texts, truth = [], []
        for i, c in enumerate(cands):
            texts += draw_passages(c.kn.report, length, n, seed=SEED + length)
            truth += [i] * n
        if previous is None:
            scored = [passage_losses(c, texts, union) for c in cands]
            losses = {"lstm": np.stack([s[0] for s in scored]), "kn": np.stack([s[1] for s in scored])}
        else:
            losses = {k: v.copy() for k, v in previous[length].losses.items()}
            for i in changed:
                losses["lstm"][i] = passage_losses(cands[i], texts, union, networks_only=True)[0]
        out[length] = Attribution(length, np.array(truth), losses)
    return out


def with_long_models(cands: Sequence[Candidate]) -> tuple[list[Candidate], list[int]]:
    """The candidates with each network replaced by its experiment's committed long run (`results/long/`) where
    one exists that was trained on the same split; and which were replaced."""
    out, changed = [], []
    for i, c in enumerate(cands):
        r = committed_run(c.author.experiment, "long")
        same_split = r is not None and (r.config.val_frac, r.config.test_frac) == (c.corpus.config.val_frac,
                                                                                   c.corpus.config.test_frac)
        if same_split and (r.path / "model.safetensors").is_file():
            out.append(replace(c, checkpoint=load_checkpoint(r.path / "model.safetensors")))
            changed.append(i)
        else:
            out.append(c)
    return out, changed


def union_size(cands: Sequence[Candidate]) -> int:
    """U of the unseen-character rule: the distinct characters of all the candidates' texts together."""
    return len(set().union(*(set(c.corpus.text) for c in cands)))


def authorship_verdict(atts: dict[int, Attribution], who: str = "the chapters' networks") -> Verdict:
    """Yes (holds) when the chapters' networks name the author of 95% of 100-character passages; partly when they
    do so only at 300 characters, or name more than half at 100 (chance is one in seven); else not reached."""
    k = len(next(iter(atts.values())).losses["lstm"])
    net = {n: a.accuracy("lstm") for n, a in atts.items()}
    kn = {n: a.accuracy("kn") for n, a in atts.items()}
    lengths = "/".join(str(n) for n in atts)
    measured = (f"{who} attribute {', '.join(f'{v:.0%}' for v in net.values())} of held-out "
                f"passages of {lengths} characters to the right one of {k} authors (chance {1 / k:.0%}); Kneser-Ney "
                f"models of the same training texts {', '.join(f'{v:.0%}' for v in kn.values())}")
    at100, at300 = net.get(100, 0.0), net.get(300, 0.0)
    value = f"{at100:.0%} at 100 characters (Kneser-Ney {kn.get(100, 0.0):.0%})"
    if at100 >= 0.95:
        return Verdict("holds", value, measured)
    if at300 >= 0.95 or at100 > 0.5:
        return Verdict("holds partly", value, measured)
    return Verdict("not reached at this scale", value, measured)


def accuracy_note(atts: dict[int, Attribution]) -> str:
    """The accuracy figure in words: where each classifier first names 90% of the authors, and which is ahead."""
    k = len(next(iter(atts.values())).losses["lstm"])

    def first(kind: str) -> str:
        n = next((n for n, a in atts.items() if a.accuracy(kind) >= 0.9), None)
        best = max(a.accuracy(kind) for a in atts.values())
        return f"from {n} characters on" if n else f"at none of these lengths (at most {best:.0%})"

    rows = ", ".join(f"{n}: {a.accuracy('lstm'):.0%} against {a.accuracy('kn'):.0%}" for n, a in atts.items())
    ahead = [n for n, a in atts.items() if a.accuracy("lstm") > a.accuracy("kn")]
    behind = [n for n, a in atts.items() if a.accuracy("lstm") < a.accuracy("kn")]
    lead = ("The networks are ahead at every length" if not behind else
            "Kneser-Ney is ahead at every length" if not ahead else
            f"The networks are ahead at {', '.join(map(str, ahead))} characters and Kneser-Ney at "
            f"{', '.join(map(str, behind))}")
    return (f"Networks against Kneser-Ney, share of passages attributed to their author by length ({rows}; chance "
            f"{1 / k:.0%}). The networks name 90% of the authors {first('lstm')}, Kneser-Ney {first('kn')}. {lead}: "
            "with a few characters both have little to go on, and a passage's alphabet (braces, backslashes, "
            "Cyrillic or accented letters) already tells much of the answer.")


def long_note(atts: dict[int, Attribution], atts_long: dict[int, Attribution], labels: Sequence[str],
              swapped: Sequence[int]) -> str:
    """What the committed long models change: the accuracy per length, and each author's recognition at 100."""
    rows = ", ".join(f"{n}: {atts[n].accuracy('lstm'):.0%} -> {atts_long[n].accuracy('lstm'):.0%}" for n in atts)
    n = 100 if 100 in atts else max(atts)

    def recognised(att: Attribution, a: int) -> float:
        c = att.confusion("lstm")
        return c[a, a] / max(c[a].sum(), 1)

    moved = [(labels[a], recognised(atts[n], a), recognised(atts_long[n], a)) for a in range(len(labels))]
    moved = [m for m in moved if abs(m[2] - m[1]) >= 0.05]
    per = "; ".join(f"{lab} {b:.0%} -> {c:.0%}" for lab, b, c in moved) or "no author's by 5 points or more"
    return (f"With the long runs of {', '.join(labels[i] for i in swapped)} in place of their chapters' models "
            f"(longer training on the same training split), the networks' accuracy by length goes {rows}. At {n} "
            f"characters, the share of each author's passages recognised changes: {per}.")


def plot_confusion(att: Attribution, kind: str, labels: Sequence[str], ax, title: str = "") -> None:
    """The confusion matrix as shares of each author's passages (rows), with the counts written in."""
    counts = att.confusion(kind)
    share = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    ax.imshow(share, cmap="Blues", vmin=0, vmax=1)
    for i in range(len(labels)):
        for j in range(len(labels)):
            if counts[i, j]:
                ax.text(j, i, str(counts[i, j]), ha="center", va="center",
                        color="white" if share[i, j] > 0.5 else "black", fontsize=9)
    ax.set_xticks(range(len(labels)), labels, rotation=40, ha="right")
    ax.set_yticks(range(len(labels)), labels)
    ax.set(xlabel="attributed to", ylabel="written by", title=title or f"{kind}, {att.length} characters")


def confusion_note(att: Attribution, labels: Sequence[str]) -> str:
    """The biggest confusions of each classifier, in words."""
    parts = []
    for kind, name in (("lstm", "the networks"), ("kn", "Kneser-Ney")):
        c = att.confusion(kind).astype(float)
        np.fill_diagonal(c, 0)
        i, j = np.unravel_index(int(c.argmax()), c.shape)
        worst = int(np.argmin(np.diag(att.confusion(kind)) / np.maximum(att.confusion(kind).sum(axis=1), 1)))
        right = att.confusion(kind)[worst, worst] / max(att.confusion(kind)[worst].sum(), 1)
        parts.append(f"for {name} the most common mistake at {att.length} characters is {labels[i]} read as "
                     f"{labels[j]} ({int(c[i, j])} passages), and the author recognised least often is "
                     f"{labels[worst]} ({right:.0%})" if c.max() > 0 else f"{name} make no mistake")
    return "At this length, " + "; ".join(parts) + "."


def margin_note(att: Attribution, labels: Sequence[str]) -> str:
    """How far the own model's loss is below the best other model's, per author (the networks)."""
    loss = att.mean_loss("lstm")
    gaps = []
    for a in range(len(labels)):
        others = np.delete(loss[:, a], a)
        gaps.append((labels[a], others.min() - loss[a, a]))
    low = min(gaps, key=lambda g: g[1])
    high = max(gaps, key=lambda g: g[1])
    return (f"On average over its {att.length}-character passages, each author's own network reads them more "
            f"cheaply than the best other network by {min(g[1] for g in gaps):+.2f} to {max(g[1] for g in gaps):+.2f} "
            f"nats/char: the closest call is {low[0]} ({low[1]:+.2f}), the clearest {high[0]} ({high[1]:+.2f}). "
            "A negative margin would mean another author's model reads this author better than their own.")


# --------------------------------------------------------------------------------- the Transformer comparison

COMPARED = ("tinyshakespeare", "warpeace")
MODELS = ("lstm", "transformer")
BUDGET_S = 300.0  # the 5-minute cpu LSTM benchmark (benchmarks/quality_per_cpu_minute.py)
NANOGPT = 1.4697  # nanoGPT's shakespeare-char, 6x384 on a GPU: its README's best validation loss
# What makes a model: the fields each one takes from its preset. The rest (the data, its split, precision,
# threads, evaluation, seed) is the experiment's `long` preset for both, with the same time limit.
MODEL_FIELDS = ("cell", "hidden_size", "num_layers", "dropout", "embedding_dim", "heads", "window", "batch_size",
                "seq_len", "optimizer", "lr", "lr_schedule", "warmup_iters", "min_lr_frac", "weight_decay",
                "grad_clip", "grad_clamp", "state_reset_every")
PRESETS = {"lstm": "cpu", "transformer": "transformer-cpu"}
EVAL = dict(eval_interval=100, eval_max_chunks=24)  # a point every 100 updates, on the same 49K characters


def model_overrides(model: str) -> dict:
    preset = get_preset(PRESETS[model])
    return {f.name: getattr(preset, f.name) for f in fields(preset) if f.name in MODEL_FIELDS} | EVAL


def compare_root(results: Path | None = None) -> Path:
    return (results or results_dir()) / "compare"


def compare(datasets: Sequence[str] = COMPARED, budget_s: float = BUDGET_S, results: Path | None = None,
            force: bool = False) -> list[Path]:
    """Train both models on each dataset for `budget_s` of training time each, one after the other."""
    done = []
    for dataset in datasets:
        for model in MODELS:
            done.append(blog.run_one(dataset, "long", ensure(dataset), compare_root(results) / model, runs_dir(),
                                max_time_s=budget_s, overrides=model_overrides(model), force=force))
    return done


@dataclass(frozen=True)
class Compared:
    """One committed comparison run: its stamp, config, metrics, samples and model."""

    model: str
    dataset: str
    path: Path
    stamp: dict
    config: dict
    metrics: list[dict]
    samples: list[dict]

    @property
    def chars_per_iter(self) -> int:
        tc = self.config["train_config"]
        return tc["batch_size"] * tc["seq_len"]

    @property
    def best(self) -> float:
        return float(self.stamp["best_val_loss"])

    def curve(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Minutes of training, characters read, and validation loss at each evaluation."""
        scored = [m for m in self.metrics if m["val_loss"] == m["val_loss"]]
        return (np.array([m["elapsed_s"] / 60 for m in scored]),
                np.array([m["iter"] * self.chars_per_iter for m in scored], dtype=float),
                np.array([m["val_loss"] for m in scored]))

    def load(self) -> Checkpoint:
        return load_checkpoint(self.path / "model.safetensors")

    def describe(self) -> str:
        tc, s = self.config["train_config"], self.stamp
        shape = (f"{tc['num_layers']} layers x {tc['hidden_size']}, {tc['heads']} heads, context {tc['window']}"
                 if tc["cell"] == "transformer" else f"{tc['num_layers']}x{tc['hidden_size']}")
        return (f"{tc['cell'].upper()} {shape} ({s['parameters'] / 1e6:.2f} M parameters): {s['iterations']:,} "
                f"iterations ({s['epochs']:.2f} epochs) in {s['train_s']:.0f} s on {s['device']}, {s['precision']}; "
                f"best val {self.best:.3f} nats/char ({bits(self.best):.3f} bits/char) at iteration "
                f"{s['best_iter']:,}; {s['date_utc'][:16]} UTC, commit {str(s.get('git_commit'))[:10]}")


def committed_comparison(dataset: str, model: str, results: Path | None = None) -> Compared | None:
    path = compare_root(results) / model / "long" / dataset
    if not (path / "stamp.json").is_file():
        return None
    read = lambda name: json.loads((path / name).read_text())  # noqa: E731
    return Compared(model, dataset, path, read("stamp.json"), read("config.json"), load_metrics(path),
                    read("samples.json")["samples"])


def plot_comparison(pair: dict[str, Compared], axes, nanogpt: bool = False) -> None:
    """Validation loss against training minutes (left) and characters read (right) for both models of one text."""
    for model, run in pair.items():
        minutes, chars, loss = run.curve()
        tc = run.config["train_config"]
        label = f"{model} ({run.stamp['parameters'] / 1e6:.2f} M parameters): best {run.best:.3f}"
        axes[0].plot(minutes, loss, marker=".", label=label)
        axes[1].plot(chars / 1e6, loss, marker=".", label=f"{model}: batch {tc['batch_size']} x {tc['seq_len']}")
    for ax, xlabel in zip(axes, ("training time (minutes, evaluations included)", "characters read (millions)"),
                          strict=True):
        if nanogpt:
            ax.axhline(NANOGPT, color="gray", ls="--", label=f"nanoGPT 6x384 on a GPU: {NANOGPT}")
        ax.set(xlabel=xlabel, ylabel="val loss (nats/char)", ylim=(None, 3.0))
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    axes[0].set_title(next(iter(pair.values())).dataset)


def comparison_note(pairs: dict[str, dict[str, Compared]]) -> str:
    """The figure in words: each model's best loss, speed and characters read, per text."""
    out = []
    for d, p in pairs.items():
        lstm, t = p["lstm"], p["transformer"]
        speed = {m: r.stamp["iterations"] * r.chars_per_iter / max(r.stamp["train_s"], 1e-9) for m, r in p.items()}
        at = {m: r.curve() for m, r in p.items()}
        # the LSTM's loss when it had read as many characters as the Transformer read in all
        t_chars = at["transformer"][1][-1]
        lstm_same = float(np.interp(t_chars, at["lstm"][1], at["lstm"][2]))
        out.append(f"**{d}**: the Transformer's best {t.best:.3f} against the LSTM's {lstm.best:.3f} nats/char "
                   f"({t.best - lstm.best:+.3f}); it read {speed['transformer']:,.0f} characters per second of "
                   f"training against the LSTM's {speed['lstm']:,.0f}, {t_chars / 1e6:.2f} M characters in all, "
                   f"where the LSTM had {lstm_same:.3f} nats/char after as many characters")
    return "; ".join(out) + ". Per character read and per minute, the right and left panels compare the two."


def samples_html(pair: dict[str, Compared], dataset: str, chars: int = 500) -> str:
    """Both models' samples side by side, one row per temperature."""
    rows = []
    for temp in (1.0, 0.5):
        cols = []
        for model in MODELS:
            text = next((s["text"] for s in pair[model].samples if s["temperature"] == temp), "")
            cols.append(f'<td style="vertical-align:top;width:50%"><b>{model}, temperature {temp}</b>'
                        f'<pre style="white-space:pre-wrap;font-size:0.8em">{html.escape(text[:chars])}</pre></td>')
        rows.append("<tr>" + "".join(cols) + "</tr>")
    return f"<p><b>{html.escape(dataset)}</b></p><table>" + "".join(rows) + "</table>"


def comparison_verdict(pairs: dict[str, dict[str, Compared]]) -> Verdict:
    """Whether the Transformer's best validation loss is lower than the LSTM's at the same CPU time: holds when it
    is lower by more than 0.02 nats/char on every dataset, contradicted when higher by more than that on every
    dataset, else holds partly."""
    diffs = {d: p["transformer"].best - p["lstm"].best for d, p in pairs.items()}
    measured = "; ".join(f"{d}: Transformer {p['transformer'].best:.3f}, LSTM {p['lstm'].best:.3f} nats/char "
                         f"({diffs[d]:+.3f})" for d, p in pairs.items())
    value = ", ".join(f"{d} {v:+.3f}" for d, v in diffs.items())
    if all(v < -0.02 for v in diffs.values()):
        return Verdict("holds", value, measured)
    if all(v > 0.02 for v in diffs.values()):
        return Verdict("contradicted", value, measured)
    return Verdict("holds partly", value, measured)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m charlab.chapters.ch11_questions",
                                     description="Chapter 11's same-budget runs of the LSTM and the Transformer.")
    sub = parser.add_subparsers(dest="command", required=True)
    c = sub.add_parser("compare", help="train both models on each dataset for the same wall time, one after another")
    c.add_argument("--datasets", nargs="+", default=list(COMPARED))
    c.add_argument("--budget-s", type=float, default=BUDGET_S)
    c.add_argument("--results", type=Path, default=None, help="results folder (default: the checkout's results/)")
    c.add_argument("--force", action="store_true", help="replace committed comparison runs")
    args = parser.parse_args(argv)
    try:
        for path in compare(args.datasets, args.budget_s, args.results, args.force):
            print(path)
    except CharlabError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
