"""Baby names: the data preparation, generation and baselines of the names chapter.

The post feeds char-rnn "8000 baby names listed out, one per line" and reports that about 90% of the sampled
names do not occur in the training data. Three pieces make that measurable here:

- `load_names` fetches the corpus and `prepare_names` (`charlab.datasets.names`, which the results runner uses
  too) shuffles its lines with a fixed seed and splits it by *lines*: the validation split is a set of whole names
  the model never sees.
- `generate_names` samples many streams at once and splits them into lines, like reading the post's long
  sample one name per line.
- `kn_names_baseline` is the book's one counting baseline (`charlab.analysis.ngram.kn_baseline`): Kneser-Ney,
  its order chosen on the first half of the validation names, reported on the second half, where
  `rnn_report_loss` scores the RNN too (`charlab.evaluate.score_text`, after the same text).
"""

from __future__ import annotations

import html
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import matplotlib.pyplot as plt
import pandas as pd

from charlab.analysis.names import (
    name_alphabet,
    name_set,
    normalize_name,
    novelty_rate,
    split_names,
    well_formed,
    well_formed_rate,
)
from charlab.analysis.ngram import KNBaseline, NGramModel, kn_baseline
from charlab.datasets import ensure
from charlab.datasets.names import NamesSplit, prepare_names, read_names  # noqa: F401 (the chapter's data)
from charlab.errors import CharlabError
from charlab.evaluate import score_text
from charlab.model import CharRNN, inference
from charlab.presets import for_scale
from charlab.sampling import sample
from charlab.tables import table
from charlab.text import Vocab
from charlab.units import bits

SIZES = {"smoke": dict(names=300), "cpu": dict(names=3000), "blog": dict(names=3000)}  # per temperature
TEMPERATURES = (0.25, 0.5, 0.75, 1.0, 1.25, 1.5)
ORDER_NAMES = {1: "unigram", 2: "bigram", 3: "trigram"}
# The post's list of generated names that "do not occur in the training data" (Karpathy, 2015), verbatim.
POST_NAMES = """Rudi Levette Berice Lussa Hany Mareanne Chrestina Carissy Marylen Hammine Janye Marlise Jacacrie Hendred
Romand Charienna Nenotto Ette Dorane Wallen Marly Darine Salina Elvyn Ersia Maralena Minoria Ellia Charmin Antley
Nerille Chelon Walmor Evena Jeryly Stachon Charisa Allisa Anatha Cathanie Geetra Alexie Jerin Cassen Herbett Cossie
Velen Daurenge Robester Shermond Terisa Licia Roselen Ferine Jayn Lusine Charyanne Sales Sanny Resa Wallon Martine
Merus Jelen Candica Wallin Tel Rachene Tarine Ozila Ketia Shanne Arnande Karella Roselina Alessia Chasty Deland
Berther Geamar Jackein Mellisand Sagdy Nenc Lessie Rasemy Guen Gavi Milea Anneda Margoris Janin Rodelin Zeanna
Elyne Janah Ferzina Susta Pey Castina""".split()


def sizes(scale: str) -> dict[str, int]:
    return for_scale(SIZES, scale)


def order_name(order: int) -> str:
    return ORDER_NAMES.get(order, f"{order}-gram")


def load_names(seed: int = 0, val_frac: float = 0.1) -> NamesSplit:
    """The names corpus, fetched if missing, shuffled with `seed` and split by lines (`prepare_names`): the last
    `val_frac` of the names are held out."""
    return prepare_names(ensure("names"), seed=seed, val_frac=val_frac)


def val_overlap(split: NamesSplit) -> tuple[set[str], set[str]]:
    """(validation names that are also training names, validation names the model never sees), as `name_set`s:
    a name listed as both male and female can fall on both sides of the split."""
    known, held_out = name_set(split.train_names), name_set(split.val_names)
    return held_out & known, held_out - known


def found_in(names: Iterable[str], pool: Iterable[str]) -> list[str]:
    """The names of `names` that occur in `pool` (trimmed, ignoring case), in the order of `names`."""
    known = name_set(pool)
    return [n for n in names if normalize_name(n) in known]


def new_names(names: Iterable[str], split: NamesSplit) -> list[str]:
    """The well-formed names of `names` that are not training names, each listed once (ignoring case), in the
    order they come: the sampled names the post would have shown."""
    known, alphabet = name_set(split.train_names), name_alphabet(split.train_names)
    seen: set[str] = set()
    page = []
    for name in names:
        key = normalize_name(name)
        if well_formed(name, alphabet) and key not in known and key not in seen:
            seen.add(key)
            page.append(name)
    return page


def generate_names(model: CharRNN, vocab: Vocab, n: int, temperature: float = 1.0, seed: int = 0,
                   streams: int = 64, length: int = 256, max_rounds: int = 8) -> list[str]:
    """Up to `n` names sampled from `model`: `streams` texts of `length` characters at a time, each started
    from a newline and split into lines (`charlab.analysis.names.split_names`: empty lines are kept and count as
    names, the clipped last line of each text is dropped).

    Sampling stops after `max_rounds` rounds even if fewer than `n` names came out (a barely trained model may
    hardly ever end a line), so the result can be shorter than `n`. Same arguments, same names.
    """
    if n < 1:
        raise CharlabError(f"n must be a positive number of names, got {n}")
    names: list[str] = []
    for r in range(max_rounds):
        for text in sample(model, vocab, length, temperature, num=streams, seed=seed + r):
            names += split_names(text)
        if len(names) >= n:
            break
    return names[:n]


def end_of_training_note(metrics: Sequence[dict[str, Any]], flat: float = 0.01) -> str:
    """Where the best validation loss came and what the validation loss did after it, computed from the metrics
    (a direction the prose states is the numbers' own): still falling at the end; level within `flat` nats/char
    of its best; or rising while the model starts to memorise names."""
    best = min(metrics, key=lambda m: m["val_loss"])
    last = metrics[-1]
    where = f"The best validation loss, {best['val_loss']:.4f}, came at iteration {best['iter']:,} of {last['iter']:,}"
    if best is last:
        return f"{where}: still falling at the end of training, so this run stopped before the model began to memorise."
    rise = last["val_loss"] - best["val_loss"]
    if rise <= flat:
        return (f"{where}; by the end it was {last['val_loss']:.4f}, within {flat:g} nats/char of it: the model had "
                "stopped improving on held-out names but not yet clearly begun to memorise them.")
    return (f"{where}; by the end it had risen to {last['val_loss']:.4f} while the training loss kept falling: on a "
            "corpus this small the model starts to memorise names, which is why we sample from the best checkpoint.")


def kn_names_baseline(split: NamesSplit, orders: Iterable[int] = (2, 3, 4, 5, 6, 7, 8, 10)) -> KNBaseline:
    """The book's one counting baseline on the names (`charlab.analysis.ngram.kn_baseline`): interpolated
    Kneser-Ney counted on the training names, its order chosen on the first half of the validation names and its
    loss reported on the second half; the vocabulary is every character of the corpus."""
    return kn_baseline(split.train_text, split.val_text, set(split.text), orders)


def rnn_report_loss(model: CharRNN, vocab: Vocab, baseline: KNBaseline) -> float:
    """The RNN's loss on the baseline's report half, read after everything before it, as the baseline is."""
    with inference(model):
        return score_text(model, vocab, baseline.report, context=baseline.report_context)


def baseline_table(baseline: KNBaseline, rnn_label: str, rnn_loss: float) -> pd.DataFrame:
    """Each Kneser-Ney order's loss on the tuning half, then the chosen order and the RNN on the report half (the
    second half of the validation names), in nats and bits per character."""
    rows = [{"model": f"Kneser-Ney, order {r.order}", "first half: choosing the order (nats/char)": r.val_loss,
             "second half: reported (nats/char)": baseline.loss if r.order == baseline.order else None}
            for r in baseline.tuned]
    rows.append({"model": rnn_label, "first half: choosing the order (nats/char)": None,
                 "second half: reported (nats/char)": rnn_loss})
    for r in rows:
        r["bits/char (second half)"] = bits(r["second half: reported (nats/char)"]) \
            if r["second half: reported (nats/char)"] is not None else None
    return table(rows, {"first half: choosing the order (nats/char)": "{:.3f}",
                        "second half: reported (nats/char)": "{:.3f}", "bits/char (second half)": "{:.3f}"})


def baseline_sentence(baseline: KNBaseline, rnn_loss: float, chars_per_name: float) -> str:
    """The RNN against the Kneser-Ney baseline on the report half, in words computed from the numbers: the gap
    in nats per character and what it makes of a name of average length."""
    gap = baseline.loss - rnn_loss
    ratio = math.exp(abs(gap) * chars_per_name)
    if gap == 0:
        return (f"On the second half of the validation names the RNN and Kneser-Ney (order {baseline.order}) both "
                f"need {rnn_loss:.3f} nats/char.")
    return (f"On the second half of the validation names the RNN needs **{rnn_loss:.3f} nats/char**, "
            f"{abs(gap):.3f} {'less' if gap > 0 else 'more'} than Kneser-Ney counting with the order chosen on the "
            f"first half (order {baseline.order}, {baseline.loss:.3f}). Over a name of average length "
            f"({chars_per_name:.1f} characters with its newline) that makes a held-out name {ratio:,.1f} times "
            f"{'more' if gap > 0 else 'less'} probable under the RNN than under the counts.")


def order_sentence(baseline: KNBaseline) -> str:
    """Where counting's sweet spot is on the tuning half, from the numbers: the best order, and how the orders
    below and above it score."""
    tuned = sorted(baseline.tuned, key=lambda r: r.order)
    best = min(tuned, key=lambda r: r.val_loss)
    text = f"On the first half, order {best.order} scores best ({best.val_loss:.3f} nats/char)"
    above = [r for r in tuned if r.order > best.order]
    if above:
        worst = max(above, key=lambda r: r.val_loss)
        text += (f"; longer contexts score worse, up to {worst.val_loss:.3f} at order {worst.order}: fewer training "
                 f"names share such a context")
    else:
        text += ", the longest context tried: more context still helps here"
    return text + "."


def ngram_names(split: NamesSplit, n: int, order: int = 2, seed: int = 0, temperature: float = 1.0) -> list[str]:
    """Up to `n` names from an unsmoothed n-gram model of the training names (Goldberg's model: it only
    reproduces n-grams it counted), generated as one text started after a newline and split into lines."""
    model = NGramModel(order, alpha=0.0, vocab=sorted(set(split.text))).fit(split.train_text)
    mean_len = len(split.train_text) / len(split.train_names)
    text = model.sample(int(n * mean_len * 1.5) + 50, seed=seed, temperature=temperature, prime="\n")
    return split_names(text)[:n]


def within_one_edit(name: str, known: set[str], alphabet: Iterable[str] | None = None) -> bool:
    """True when `name` (trimmed, case-insensitive) is in `known` (a `name_set`) or becomes a member by deleting,
    inserting or replacing one character: "Marylen" is one edit from "Marilen" if that is a training name.

    Tries every one-edit variant (about 2 x len(alphabet) x the name's length set lookups) instead of comparing
    against every known name, so checking thousands of samples takes a second. `alphabet` (default: the
    characters of `known`) is what an edit may insert; pass it when checking many names.
    """
    s = name.strip().lower()
    if s in known:
        return True
    alphabet = set(alphabet) if alphabet is not None else {c for k in known for c in k}
    for i in range(len(s) + 1):
        if i < len(s) and s[:i] + s[i + 1:] in known:
            return True
        for c in alphabet:
            if s[:i] + c + s[i:] in known or (i < len(s) and s[:i] + c + s[i + 1:] in known):
                return True
    return False


@dataclass(frozen=True)
class NameStats:
    """What a set of generated names looks like next to the training and validation names (shares in [0, 1])."""

    count: int  # names generated (empty lines included)
    novelty: float  # non-empty names that are not training names (`charlab.analysis.names.novelty_rate`)
    well_formed: float  # all names that are capitalised and use only the corpus's characters
    distinct: float  # distinct names / names: low when the sampler repeats itself
    near_copies: float  # novel names within one edit of a training name
    held_out: float  # names that are real validation names the model never saw in training
    mean_length: float  # characters per non-empty name
    length_off: float  # `length_distance` to the validation names: 0 = lengths distributed like real names


def length_shares(names: Sequence[str]) -> Counter[int]:
    """{length: share of `names` of that length} (trimmed; an empty name has length 0); empty for no names."""
    counts = Counter(len(n.strip()) for n in names)
    return Counter({k: c / len(names) for k, c in counts.items()})


def length_distance(names: Sequence[str], reference: Sequence[str]) -> float:
    """Total variation distance between the name-length histograms of `names` and `reference` (trimmed; an empty
    name has length 0): the smallest share of `names` that would have to change length for the two histograms
    to match. 0 = same shape, 1 = no length in common. NaN if either is empty.

    A bigram model cannot count, so it ends names too early and too late ("Ma", "Oreloteleledrdi"); each of its
    names may look fine, but their lengths do not.
    """
    if not names or not reference:
        return math.nan
    a, b = length_shares(names), length_shares(reference)
    return 0.5 * sum(abs(a[k] - b[k]) for k in a.keys() | b.keys())


def measure_names(names: Sequence[str], split: NamesSplit) -> NameStats:
    """`NameStats` of `names` generated by a model trained on `split.train_names`."""
    known = name_set(split.train_names)
    unseen_real = val_overlap(split)[1]
    nonempty = [n.strip() for n in names if n.strip()]
    novel = [n for n in nonempty if n.lower() not in known]
    alphabet = {c for k in known for c in k}
    nan = math.nan
    return NameStats(
        count=len(names),
        novelty=novelty_rate(names, split.train_names),
        well_formed=well_formed_rate(names, name_alphabet(split.train_names)),
        distinct=len({n.lower() for n in names}) / len(names) if names else nan,
        near_copies=sum(within_one_edit(n, known, alphabet) for n in novel) / len(novel) if novel else nan,
        held_out=sum(n.lower() in unseen_real for n in nonempty) / len(names) if names else nan,
        mean_length=sum(map(len, nonempty)) / len(nonempty) if nonempty else nan,
        length_off=length_distance(names, split.val_names),
    )


def stats_table(rows: dict[str, NameStats]) -> pd.DataFrame:
    """`NameStats` as a table, one row per labelled set of names, shares as percentages."""
    return table([{"names from": label, "count": s.count, "new": s.novelty, "well-formed": s.well_formed,
                   "distinct": s.distinct, "new but one edit from a training name": s.near_copies,
                   "real held-out names": s.held_out, "mean length": s.mean_length,
                   "length histogram off by": s.length_off} for label, s in rows.items()],
                 {**dict.fromkeys(("new", "well-formed", "distinct", "new but one edit from a training name",
                                   "real held-out names", "length histogram off by"), "{:.0%}"),
                  "new": "{:.1%}", "mean length": "{:.1f}"})


def plot_name_shares(stats: dict[float, NameStats], title: str = "", target: float = 0.9) -> plt.Figure:
    """The shares of new, well-formed and distinct names, and of new names one edit from a training name, against
    the sampling temperature, with the post's `target` share of new names as a dashed line."""
    temps = sorted(stats)
    fig, ax = plt.subplots(figsize=(8, 4.5))
    series = {"new: not a training name (% of names)": "novelty", "well-formed (% of names)": "well_formed",
              "distinct (% of names)": "distinct", "one edit from a training name (% of the new names)": "near_copies"}
    for label, field in series.items():
        ax.plot(temps, [100 * getattr(stats[t], field) for t in temps], "o-", label=label)
    ax.axhline(100 * target, ls="--", lw=1, color="gray")
    ax.annotate(f"the post: about {target:.0%} new", (temps[0], 100 * target), va="bottom", fontsize=8, color="gray")
    ax.set_xlabel("sampling temperature")
    ax.set_ylabel("share (%)")
    ax.set_ylim(0, 105)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    ax.set_title(title)
    return fig


def plot_name_lengths(curves: dict[str, Sequence[str]], max_length: int = 20) -> plt.Figure:
    """The share of names of each length up to `max_length`, one line per labelled set of names; a set whose
    label starts with "real" is drawn as the thick black reference."""
    lengths = range(0, max_length + 1)
    fig, ax = plt.subplots(figsize=(8, 4))
    for label, names in curves.items():
        real = label.startswith("real")
        shares = length_shares(names)
        ax.plot(lengths, [100 * shares[k] for k in lengths], "o-" if real else ".-", label=label,
                lw=3 if real else 1.5, color="black" if real else None)
    ax.set_xlabel("name length (characters)")
    ax.set_ylabel("% of names")
    ax.set_xticks(range(0, max_length + 1, 2))
    ax.grid(alpha=0.3)
    ax.legend()
    ax.set_title("How long are the names?")
    return fig


def new_names_verdict(stats: dict[float, NameStats], target: float = 0.9) -> tuple[str, str, str]:
    """(verdict, value, measured) for the post's "90% [of the sampled names] don't [occur in the training data]".

    The post gives no temperature, so the rule reads the sweep: *holds* when sampling the model's own
    distribution (T = 1) gives at least `target` - 5 points of new names while at least 95% of the names are
    well formed; *holds partly* when some other tried temperature reaches `target` with names still well
    formed; *not reached at this scale* otherwise."""
    temps = sorted(stats)
    s1 = stats[1.0]
    reach = [t for t in temps if stats[t].novelty >= target and stats[t].well_formed >= 0.95]
    value = f"{s1.novelty:.1%} new at T = 1" + (f"; ≥ {target:.0%} from T = {reach[0]:g}" if reach else "")
    measured = (f"{s1.novelty:.1%} of {s1.count:,} names sampled at T = 1 are not training names "
                f"({s1.well_formed:.0%} well formed); " + ", ".join(f"{stats[t].novelty:.1%} at T = {t:g}"
                                                                   for t in temps) + ".")
    if s1.novelty >= target - 0.05 and s1.well_formed >= 0.95:
        return "holds", value, measured
    if reach:
        return "holds partly", value, measured
    return "not reached at this scale", value, measured


def distinct_names_note(lines: Sequence[str]) -> str:
    """Why the distinct count of names depends on how names are compared: exact lines against names trimmed and
    compared without case (the data page counts the former, the chapter's measures use the latter)."""
    exact = set(lines)
    groups: dict[str, set[str]] = {}
    for line in lines:
        groups.setdefault(normalize_name(line), set()).add(line)
    merged = sorted(" / ".join(repr(v) for v in sorted(g)) for g in groups.values() if len(g) > 1)
    return (f"{len(exact):,} distinct lines, {len(groups):,} distinct names when trailing spaces and case are "
            f"ignored, as every measure here does" + (f" ({'; '.join(merged)})" if merged else ""))


def name_grid_html(names: Sequence[str], columns: int = 6) -> str:
    """An HTML table of `names`, filled column by column (read down, like a page of a names book)."""
    if columns < 1:
        raise CharlabError(f"columns must be positive, got {columns}")
    rows = math.ceil(len(names) / columns)
    cells = [[names[c * rows + r] if c * rows + r < len(names) else "" for c in range(columns)]
             for r in range(rows)]
    body = "".join("<tr>" + "".join(f'<td style="padding:2px 14px">{html.escape(x)}</td>' for x in row)
                   + "</tr>" for row in cells)
    return f'<table style="border-collapse:collapse;font-family:Georgia,serif">{body}</table>'
