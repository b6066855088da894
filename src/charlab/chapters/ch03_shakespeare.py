"""Glue for the Shakespeare chapter: its sizes per scale, the post's facts it compares with, each text with its
speaker layout (`load_plays`), the post's model, the n-gram baseline, the speaker-tag report, the line-length
comparison (samples against real held-out excerpts of the same size) and the nanoGPT yardstick.

The measures themselves are in `charlab.analysis.plays` (speaker tags, speeches, line lengths); this module
only arranges them the way the chapter reports them.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from charlab.analysis.ngram import NGramModel
from charlab.analysis.plays import (
    Layout,
    LengthComparison,
    Speech,
    compare_lengths,
    line_lengths,
    longest_speech,
    pick_speaker,
    play_layout,
    real_tag_share,
    speaker_names,
    speaker_prime,
    speeches,
    titled_works,
)
from charlab.analysis.textstats import random_windows
from charlab.device import resolve_device
from charlab.errors import CharlabError
from charlab.experiments import Corpus, Run, committed_results, load_corpus
from charlab.model import CharRNN
from charlab.presets import for_scale
from charlab.runs import load_metrics
from charlab.tables import table
from charlab.text import Vocab
from charlab.units import bits

# How much text the chapter samples for its measurements (the models and training are in the presets).
SIZES = {
    "smoke": dict(num_samples=4, sample_len=500),
    "cpu": dict(num_samples=12, sample_len=2000),
    "blog": dict(num_samples=32, sample_len=3000),
}
NGRAM_ORDER = 6  # the n-gram baseline sees the previous 5 characters, nothing more
# Goldberg's notebook ("The unreasonable effectiveness of Character-level Language Models", 2015) samples Shakespeare
# from unsmoothed counts with `order` characters of history: 2, 4, 7 and 10. The line-length test (a reader's claim
# about his samples) uses those four, as NGramModel(order + 1, alpha=0): our order counts the predicted character.
GOLDBERG_ORDERS = (2, 4, 7, 10)
# The speakers of the post's samples, in order: a prime names the first one the training text knows.
POST_SPEAKERS = ["PANDARUS", "Second Senator", "DUKE VINCENTIO", "Second Lord", "Clown", "VIOLA", "KING LEAR"]
NANOGPT_VAL_LOSS = 1.4697  # nanoGPT README, config/train_shakespeare_char.py, one A100 GPU
LENGTH_BIN, LENGTH_TOP = 5, 120  # line-length histogram: 5-character bins, lines over 120 share the last bin
LENGTH_DRAWS = 20  # sets of real excerpts: how far real text of the samples' size falls from the whole file


def sizes(scale: str) -> dict[str, int]:
    return for_scale(SIZES, scale)


@dataclass(frozen=True)
class Plays:
    """A play-format text as the chapter measures it: the corpus (text, provenance and the split its experiment
    trains on), its speaker layout, and the speaker every sample starts with."""

    corpus: Corpus
    layout: Layout
    speaker: str  # the first of POST_SPEAKERS the text knows, spelled as the text spells it

    @property
    def text(self) -> str:
        return self.corpus.text

    @property
    def prime(self) -> str:
        """The opening of a speech by `speaker`, the way this text opens one: what the samples start from."""
        return speaker_prime(self.speaker, self.layout)

    def first_speech(self, chars: int = 700) -> str:
        """About `chars` characters of the text from the first speech of `speaker` on, cut at a line end."""
        first = next(s for s in speeches(self.text, self.layout) if s.speaker == self.speaker)
        excerpt = self.text[first.start : first.start + chars]
        return excerpt[: excerpt.rfind("\n")]

    def speech_lines(self) -> np.ndarray:
        """The number of lines of every speech of the text."""
        return np.array([s.num_lines for s in speeches(self.text, self.layout)])

    def longest_speech(self, samples: Sequence[str]) -> tuple[int, Speech] | None:
        """(index into `samples`, speech) of the complete sampled speech with the most lines; None if none."""
        return longest_speech(list(samples), self.layout)

    def tag_rate(self, num: int, length: int, seed: int = 0) -> float:
        """Speaker tags per 1,000 characters of real held-out text: `num` random windows of `length` characters,
        each starting at a line start (the same amount of text as `num` samples of `length` characters)."""
        windows = random_windows(self.corpus.held_out, num, length, seed=seed, line_start=True)
        return 1000 * sum(len(speaker_names(w, self.layout)) for w in windows) / (num * length)


def load_plays(experiment: str, scale: str) -> Plays:
    """The text of `experiment` (`shakespeare` or `tinyshakespeare`), fetched if missing and split as its preset
    at `scale` trains on it, with its layout (`play_layout`) and the speaker its samples start with."""
    corpus = load_corpus(experiment, scale)
    layout = play_layout(corpus.text)
    return Plays(corpus, layout, pick_speaker(POST_SPEAKERS, corpus.text, layout))


def final_model(run: Run) -> tuple[CharRNN, Vocab]:
    """The last checkpoint of `run`, the model the chapter measures, on the GPU if there is one."""
    ckpt = run.load("last.safetensors")
    return ckpt.model.to(resolve_device("auto")), ckpt.vocab


def ngram_samples(plays: Plays, num: int, length: int, order: int = NGRAM_ORDER) -> list[str]:
    """`num` samples of `length` characters from an unsmoothed character n-gram model (Goldberg's) counted on
    the training split, each started from the same prime as the LSTM's samples (seeds 0 to num - 1)."""
    model = NGramModel(order, alpha=0).fit(plays.corpus.train)
    return [model.sample(length, seed=i, prime=plays.prime) for i in range(num)]


def goldberg_label(history: int) -> str:
    """The row label of Goldberg's unsmoothed model with `history` characters of context."""
    return f"n-gram, Goldberg's order {history}"


def goldberg_samples(plays: Plays, num: int, length: int, orders: Sequence[int] = GOLDBERG_ORDERS
                     ) -> dict[str, list[str]]:
    """Samples of Goldberg's unsmoothed models, one set per order of his notebook (`orders`: characters of
    history), labelled by `goldberg_label`: `num` samples of `length` characters each from the LSTM's prime."""
    return {goldberg_label(h): ngram_samples(plays, num, length, order=h + 1) for h in orders}


def speaker_report(label: str, texts: Sequence[str], reference_text: str, layout: Layout) -> dict[str, Any]:
    """Speaker tags of `texts` against the characters of `reference_text`: how many tags, how many distinct,
    the share (pooled over all tags) that are real characters, every name by frequency (`names`) and the
    invented ones by frequency (`invented`)."""
    real = {t.lower() for t in speaker_names(reference_text, layout)}
    tags = [t for s in texts for t in speaker_names(s, layout)]
    return {"label": label, "tags": len(tags), "distinct": len(set(tags)), "share": real_tag_share(tags, real),
            "names": Counter(tags), "invented": Counter(t for t in tags if t.lower() not in real)}


def speaker_table(reports: Sequence[dict[str, Any]]) -> pd.DataFrame:
    return table([{"samples": r["label"], "speaker tags": r["tags"], "distinct names": r["distinct"],
                   "real characters (share of tags)": r["share"] if r["tags"] else "no tags sampled",
                   "most frequent invented": ", ".join(f"{n} ({c})" for n, c in r["invented"].most_common(6))
                   or "none"} for r in reports],
                 {"real characters (share of tags)": lambda v: v if isinstance(v, str) else f"{v:.1%}"})


def sample_line_lengths(texts: Sequence[str], prime: str = "") -> np.ndarray:
    """Line lengths of samples; the prime completes each sample's first line."""
    return np.concatenate([line_lengths(prime + t) for t in texts])


@dataclass
class LengthRow:
    """One kind of text of one dataset compared with the whole file: one comparison per draw."""

    dataset: str
    label: str
    lengths: list[np.ndarray]
    comparisons: list[LengthComparison]

    @property
    def tv(self) -> list[float]:
        return [c.tv for c in self.comparisons]


@dataclass
class LengthCase:
    """A dataset for the line-length comparison: its text, where its held-out part starts, the prime of its
    samples and the samples to compare ({label: texts})."""

    name: str
    text: str
    train_end: int
    prime: str
    samples: dict[str, list[str]]


def compare_line_lengths(cases: Sequence[LengthCase], num: int, length: int,
                         draws: int = LENGTH_DRAWS) -> tuple[list[LengthRow], plt.Figure]:
    """Line lengths of each case's samples and of `draws` sets of `num` real held-out excerpts of `length`
    characters (the same amount of text), each compared with the whole file; and the figure of the histograms."""
    rows: list[LengthRow] = []
    fig, axes = plt.subplots(1, len(cases), figsize=(6 * len(cases), 4.2), sharey=True, squeeze=False)
    for ax, case in zip(axes[0], cases, strict=True):
        reference = line_lengths(case.text)
        held_out = case.text[case.train_end:]
        kinds = [(f"real excerpts (held out), {draws} draws",
                  [sample_line_lengths(random_windows(held_out, num, length, seed=d, line_start=True))
                   for d in range(draws)])]
        kinds += [(label, [sample_line_lengths(texts, case.prime)]) for label, texts in case.samples.items()]
        for label, lens in kinds:
            cmps = [compare_lengths(x, reference, bin_width=LENGTH_BIN, max_length=LENGTH_TOP) for x in lens]
            rows.append(LengthRow(case.name, label, lens, cmps))
            ax.step(cmps[0].edges[:-1], cmps[0].p, where="post", lw=1.5 if "LSTM" in label else 1,
                    label=label.split(",")[0].replace(")", ", one draw)") if len(lens) > 1 else label)
        ax.fill_between(cmps[0].edges[:-1], cmps[0].q, step="post", color="gray", alpha=0.3, label="whole file")
        ax.set_title(case.name)
        ax.set_xlabel(f"line length (characters, {LENGTH_BIN}-character bins)")
        ax.legend(fontsize=8)
    axes[0, 0].set_ylabel("share of lines")
    fig.tight_layout()
    return rows, fig


def _spread(values: Sequence[float]) -> str:
    """One value, or the median (smallest-largest) of several draws."""
    if len(values) == 1:
        return f"{values[0]:.3f}"
    return f"{np.median(values):.3f} ({min(values):.3f}-{max(values):.3f})"


def length_table(rows: Sequence[LengthRow]) -> pd.DataFrame:
    out = []
    for r in rows:
        counts = [len(x) for x in r.lengths]
        out.append({
            "text": f"{r.dataset}: {r.label}",
            "lines": f"{np.median(counts):g} ({min(counts)}-{max(counts)})" if len(counts) > 1 else counts[0],
            "mean length (whole file)": f"{np.mean([c.mean_sample for c in r.comparisons]):.1f} "
                                        f"({r.comparisons[0].mean_reference:.1f})",
            "TV distance": _spread(r.tv),
            "KS statistic": _spread([c.ks for c in r.comparisons]),
        })
    return table(out)


def yardstick_table(run: Run, val_loss: float) -> pd.DataFrame:
    """The LSTM of `run` (its loss `val_loss` on the whole validation split) next to nanoGPT's published number."""
    c = run.config
    return table([
        {"model": f"this notebook: LSTM {c.num_layers}x{c.hidden_size}, {run.parameters / 1e6:.2f}M params",
         "trained on": f"{run.device}, {run.result.iters:,} iterations",
         "val loss (nats/char)": val_loss, "bits/char": bits(val_loss)},
        {"model": "nanoGPT: transformer 6 layers x 384, ~10.7M params",
         "trained on": "one A100 GPU, 5,000 iterations, ~3 min",
         "val loss (nats/char)": NANOGPT_VAL_LOSS, "bits/char": bits(NANOGPT_VAL_LOSS)},
    ], {"val loss (nats/char)": "{:.4f}", "bits/char": "{:.3f}"})


def committed_run(experiment: str) -> str:
    """One line on the `blog`-scale run committed under `results/blog/<experiment>/`: its best validation loss, or
    that there is none."""
    committed = committed_results(experiment, "blog")
    metrics = load_metrics(committed)
    if not metrics:
        return (f"{experiment}: no blog-scale run has been committed under results/blog/{experiment}/ "
                f"(it needs a GPU: run this notebook with CHARLAB_SCALE=blog, or `charlab train` on one)")
    best = min(m["val_loss"] for m in metrics)
    return (f"{experiment}: committed blog-scale run in {committed}: best val loss {best:.4f} nats/char "
            f"({bits(best):.3f} bits/char) after {metrics[-1]['iter']:,} iterations")


_SMALL_WORDS = {"a", "and", "in", "of", "or", "the", "to"}


def _title(caps: str) -> str:
    """"THE WINTER'S TALE" -> "The Winter's Tale" (str.title would give "Winter'S")."""
    words = caps.lower().split()
    return " ".join(w if i and w in _SMALL_WORDS else w[:1].upper() + w[1:] for i, w in enumerate(words))


def validation_works(text: str, train_end: int) -> str:
    """A sentence naming the works in the held-out part of the text, from its title pages (`titled_works`)."""
    works = titled_works(text)
    if not works:
        return "This file has no title pages, so the works in its validation split are not named here."
    before = [t for off, t in works if off < train_end]
    after = [t for off, t in works if off >= train_end]
    first = f"It starts inside *{_title(before[-1])}*" if before else "It starts before the first title"
    rest = (", then holds " + ", ".join(f"*{_title(t)}*" for t in after)) if after else ""
    return (f"{first}{rest}; apart from the part of *{_title(before[-1])}* before the split, the model never sees "
            "these works in training." if before else f"{first}{rest}.")


def _is_ngram(row: LengthRow) -> bool:
    return "gram" in row.label


def best_ngram(rows: Sequence[LengthRow], dataset: str) -> LengthRow:
    """The n-gram row of `dataset` whose line lengths are closest to the whole file's (lowest TV distance)."""
    grams = [r for r in rows if r.dataset == dataset and _is_ngram(r)]
    if not grams:
        raise CharlabError(f"no n-gram samples were compared on {dataset!r}")
    return min(grams, key=lambda r: r.tv[0])


def line_length_verdict(rows: Sequence[LengthRow]) -> tuple[str, str, str]:
    """A reader's claim (mattmcirvin, under the post): the RNN gets line lengths right where Goldberg's n-gram
    models do not. On the first dataset with n-gram rows (one per order of Goldberg's notebook), against the best of
    them: *holds* when the LSTM's TV distance is below every order's and within the range of real excerpts of the
    same size; *holds partly* when below every order's but above every real draw; *contradicted* when an order's
    is not above the LSTM's."""
    dataset = next(r.dataset for r in rows if _is_ngram(r))
    mine = [r for r in rows if r.dataset == dataset]
    real = next(r for r in mine if r.label.startswith("real"))
    lstm = next(r for r in mine if r.label.startswith("LSTM"))
    grams = [r for r in mine if _is_ngram(r)]
    gram = best_ngram(rows, dataset)
    others = [r for r in rows if r.dataset != dataset and r.label.startswith("LSTM")]
    extra = ""
    for r in others:
        real_other = next(x for x in rows if x.dataset == r.dataset and x.label.startswith("real"))
        inside = r.tv[0] <= max(real_other.tv)
        extra += (f"; on {r.dataset} the LSTM's {r.tv[0]:.3f} is {'within' if inside else 'above'} its real "
                  f"range ({min(real_other.tv):.3f}-{max(real_other.tv):.3f})")
    value = f"TV {lstm.tv[0]:.3f} vs {gram.label} {gram.tv[0]:.3f}"
    orders = ", ".join(f"{g.label.rsplit(' ', 1)[-1] if 'order' in g.label else g.label} {g.tv[0]:.3f}"
                       for g in grams)
    measured = (f"{dataset}: the TV distance of the LSTM's line lengths from the whole file is {lstm.tv[0]:.3f}, "
                f"the n-gram models' (by order) {orders}, real excerpts of the same size "
                f"{min(real.tv):.3f}-{max(real.tv):.3f} over {len(real.tv)} draws{extra}")
    if lstm.tv[0] >= gram.tv[0]:
        return "contradicted", value, measured
    return ("holds" if lstm.tv[0] <= max(real.tv) else "holds partly"), value, measured


def speaker_verdict(reports: Sequence[dict[str, Any]], real_tags_per_kchar: float,
                    sample_chars: int) -> tuple[str, str, str]:
    """The post: "it samples both speaker's names and the contents". Holds when the LSTM's samples (the first
    report) open speeches as often as real text does (tags per 1,000 characters within a factor of 2)."""
    r = reports[0]
    rate = 1000 * r["tags"] / sample_chars
    ratio = rate / real_tags_per_kchar if real_tags_per_kchar else math.nan
    value = f"{rate:.1f} tags / 1,000 chars (real {real_tags_per_kchar:.1f})"
    measured = (f"{r['label']}: {r['tags']} speaker tags in {sample_chars:,} sampled characters, {rate:.1f} per 1,000 "
                f"against {real_tags_per_kchar:.1f} in real held-out text"
                + (f"; {r['share']:.0%} of them are characters of the plays and {r['distinct']} are distinct"
                   if r["tags"] else ""))
    return ("holds" if 0.5 <= ratio <= 2 else "contradicted"), value, measured


# The long run (results/long/tinyshakespeare, `charlab.experiments.committed_run`), when one is committed: its
# samples at temperature 1 (as the page samples) get the same measures as the page's runs.
def result_texts(samples: Sequence[dict[str, Any]], temperature: float = 1.0) -> list[str]:
    """The texts of a committed run's samples (`Result.samples`: {"temperature", "text"}) at `temperature`."""
    texts = [s["text"] for s in samples if math.isclose(float(s["temperature"]), temperature)]
    if not texts:
        raise CharlabError(f"no sample at temperature {temperature}; there are "
                           f"{sorted({s['temperature'] for s in samples})}")
    return texts


def no_long_run(experiment: str) -> str:
    """The sentence shown where no long run of `experiment` is committed."""
    return (f"No long run of `{experiment}` is committed yet (`results/long/{experiment}/`, written by "
            f"`python -m charlab.blog one`), so this page shows its own runs only; the claims are judged at this "
            f"page's scale alone.")


def long_length_case(plays: Plays, texts: Sequence[str], samples: dict[str, list[str]]) -> LengthCase:
    """The line-length comparison for a long run's `texts` on `plays` (the text it trained on), beside `samples`
    (Goldberg's n-grams of the same amount of text). Its samples were not primed, so no prime completes their
    first line."""
    return LengthCase(f"{plays.corpus.name}, long run", plays.text, plays.corpus.n_train, "",
                      {"LSTM samples (long run)": list(texts), **samples})
