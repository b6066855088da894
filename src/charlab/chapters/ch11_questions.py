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
trains the cpu LSTM (1x512) and the `transformer-cpu` model (nanoGPT's CPU configuration) through the same trainer,
data, split, precision and threads for the same wall time, one after the other on one machine, and writes each run
to `results/compare/<model>/long/<dataset>/` (the results runner's layout, `charlab.blog.run_one`). The chapter only
reads them: five minutes per run is more than a page may spend. Run it on an idle machine:

    python -m charlab.chapters.ch11_questions compare [--budget-s 300] [--datasets tinyshakespeare warpeace]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np

from charlab import blog
from charlab.analysis.ngram import KNBaseline, kn_baseline
from charlab.checkpoint import Checkpoint, load_checkpoint
from charlab.claims import Verdict
from charlab.datasets import ensure
from charlab.errors import CharlabError
from charlab.evaluate import score_passages
from charlab.experiments import Corpus, Run, committed_results, load_corpus, run_experiment, runs_dir
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
# passages: drawn per text and length (seeded); orders: those Kneser-Ney may choose from.
SIZES = {
    "smoke": dict(passages=12, orders=(2, 3, 4)),
    "cpu": dict(passages=200, orders=(2, 3, 4, 5, 6, 7, 8)),
    "blog": dict(passages=500, orders=(2, 3, 4, 5, 6, 7, 8, 10)),
}
SEED = 0


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
    orders = for_scale(SIZES, scale)["orders"]
    out = []
    for a in authors:
        corpus = load_corpus(a.experiment, scale, a.dataset)
        run = run_experiment(a.experiment, scale, dataset=a.dataset, progress=False)
        kn = kn_baseline(corpus.train, corpus.held_out, set(corpus.text), orders)
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


def passage_losses(cand: Candidate, texts: Sequence[str], union_size: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean loss (nats/char) of each passage under the candidate's network and its Kneser-Ney model, each passage
    read alone, an unseen character costing ln(union_size) (the module's rule)."""
    penalty = math.log(union_size)
    vocab = cand.checkpoint.vocab
    clean, unseen = _masked(texts, vocab.chars)
    net = score_passages(cand.checkpoint.model, np.stack([vocab.encode(t) for t in clean]))
    net[unseen] = penalty
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


def attribute(cands: Sequence[Candidate], scale: str, lengths: Sequence[int] = LENGTHS) -> dict[int, Attribution]:
    """Draw each author's passages from the report half of its held-out text and score them under every model."""
    n, union = for_scale(SIZES, scale)["passages"], union_size(cands)
    out = {}
    for length in lengths:
        texts, truth = [], []
        for i, c in enumerate(cands):
            texts += draw_passages(c.kn.report, length, n, seed=SEED + length)
            truth += [i] * n
        scored = [passage_losses(c, texts, union) for c in cands]
        out[length] = Attribution(length, np.array(truth), {"lstm": np.stack([s[0] for s in scored]),
                                                            "kn": np.stack([s[1] for s in scored])})
    return out


def union_size(cands: Sequence[Candidate]) -> int:
    """U of the unseen-character rule: the distinct characters of all the candidates' texts together."""
    return len(set().union(*(set(c.corpus.text) for c in cands)))


def authorship_verdict(atts: dict[int, Attribution]) -> Verdict:
    """Yes (holds) when the chapters' networks name the author of 95% of 100-character passages; partly when they
    do so only at 300 characters, or name more than half at 100 (chance is one in seven); else not reached."""
    k = len(next(iter(atts.values())).losses["lstm"])
    net = {n: a.accuracy("lstm") for n, a in atts.items()}
    kn = {n: a.accuracy("kn") for n, a in atts.items()}
    lengths = "/".join(str(n) for n in atts)
    measured = (f"the chapters' networks attribute {', '.join(f'{v:.0%}' for v in net.values())} of held-out "
                f"passages of {lengths} characters to the right one of {k} authors (chance {1 / k:.0%}); Kneser-Ney "
                f"models of the same training texts {', '.join(f'{v:.0%}' for v in kn.values())}")
    at100, at300 = net.get(100, 0.0), net.get(300, 0.0)
    value = f"{at100:.0%} at 100 characters (Kneser-Ney {kn.get(100, 0.0):.0%})"
    if at100 >= 0.95:
        return Verdict("holds", value, measured)
    if at300 >= 0.95 or at100 > 0.5:
        return Verdict("holds partly", value, measured)
    return Verdict("not reached at this scale", value, measured)


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
    return (results or committed_results("any", "long").parents[1]) / "compare"  # results/compare


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
