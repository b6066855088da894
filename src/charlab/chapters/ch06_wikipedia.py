"""Glue for the Wikipedia chapter: its sizes per scale, the post's facts, the measures of one set of windows (LSTM
samples, n-gram samples or real held-out text) arranged into tables, the counting baseline, the committed `long`
run beside the page's own, and the verdicts.

The measures themselves are in `charlab.analysis.wikitext` (brackets, XML, links, URLs, timestamps, structure);
this module pools them over a set of windows and compares the sets. Every verdict returns (verdict, value,
measured, gate) so that the page's run and the `long` run are judged by the same code (`verdicts`).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from charlab.analysis.ngram import KNBaseline, NGramModel, kn_baseline
from charlab.analysis.wikitext import (
    BracketStats,
    TagCloses,
    WikiItems,
    bracket_stats,
    element_texts,
    novel_share,
    pool_bracket_stats,
    tag_closes,
    timestamps,
    url_well_formed,
    valid_timestamp,
    wiki_items,
    xml_blocks,
    xml_report,
)
from charlab.claims import Gate, Verdict
from charlab.evaluate import score_text
from charlab.experiments import Result
from charlab.model import CharRNN
from charlab.presets import for_scale
from charlab.sampling import sample
from charlab.tables import cell, table
from charlab.text import Vocab
from charlab.units import bits

# How much text the chapter samples and measures (the model and its training are in the presets).
SIZES = {
    "smoke": dict(num_samples=4, sample_len=400, burn_in=100, xml_samples=4, xml_len=300, orders=(1, 2, 3, 4)),
    "cpu": dict(num_samples=24, sample_len=2000, burn_in=300, xml_samples=32, xml_len=500,
                orders=(2, 3, 4, 5, 6, 7, 8)),
    "blog": dict(num_samples=64, sample_len=3000, burn_in=500, xml_samples=64, xml_len=500,
                 orders=(2, 3, 4, 5, 6, 7, 8, 9, 10)),
}
GRAVES_BPC = 1.67  # Graves (2013), Table 2: 7-layer LSTM on enwik8 (96 MB train, 4 MB test), 1.67 bits/char
XML_PRIME = "  <page>\n    <title>"  # how a page starts in the dump: primes the "XML mode" samples
TEMPERATURES = (0.5, 0.8, 1.0)
BRACKET_KINDS = {"[[": "[[ ]] links", "{{": "{{ }} templates", "(": "( ) parentheses", "''": "'' italics",
                 "'''": "''' bold"}
STRUCTURES = {"headings": "headings", "list_items": "list items", "templates": "templates",
              "wikilinks": "[[links]]", "external_links": "external links", "html_tags": "HTML tags (ref, ...)"}
XML_TAGS = ("page", "revision", "contributor")
MIN_XML_CLOSES = 10  # fewer closing tags in the page-start samples than this judge nothing
# The URL claim's competence gate: at least half of the URLs a model writes must be well-formed (`url_well_formed`)
# before "it hallucinates URLs" can be judged; real held-out Wikipedia's URLs are almost all well-formed (the
# page shows the share), a model that writes `http://ww.` does not yet write URLs at all.
URL_GATE = 0.5
URL_HOLDS = 0.8  # holds: the share of well-formed new URLs at least this fraction of real held-out text's share
CLAIMS = {  # id -> the post's words
    "ch06-parentheses": "the model learns to open and close the parenthesis correctly",
    "ch06-valid-xml": "it closes the correct tags appropriately and in the correct nested order",
    "ch06-hallucinated-url": "the yahoo url above doesn't actually exist, the model just hallucinated it",
    "ch06-invented-metadata": "the model completely makes up the timestamp, id, and so on",
    "ch06-headings-lists": "sometimes it creates headings, lists, etc.",
}


def sizes(scale: str) -> dict:
    return for_scale(SIZES, scale)


def first_title(text: str) -> str:
    titles = element_texts(text, "title")
    return titles[0] if titles else "?"


def last_title(text: str) -> str:
    titles = element_texts(text, "title")
    return titles[-1] if titles else "?"


@dataclass
class WindowMeasures:
    """Every measure of one set of equally long windows, pooled over the windows."""

    label: str
    chars: int
    brackets: dict[str, BracketStats]
    tags: TagCloses
    blocks: dict[str, tuple[int, int]]  # tag -> (complete blocks, well-formed blocks)
    mismatched: Counter = field(default_factory=Counter)  # (opened, closed) tag pairs in blocks that fail
    items: list[WikiItems] = field(default_factory=list)
    timestamps: list[str] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)

    @property
    def links(self) -> list[str]:
        return [t for i in self.items for t in i.wikilinks]

    @property
    def urls(self) -> list[str]:
        return [u for i in self.items for u in i.urls]

    @property
    def hosts(self) -> list[str]:
        return [h for i in self.items for h in i.hosts]

    @property
    def well_formed_urls(self) -> list[bool]:
        """`url_well_formed` of each URL, in the order of `urls`."""
        return [url_well_formed(u) for u in self.urls]

    def per_kchar(self, key: str) -> float:
        """Structure `key` per 1,000 characters of wikitext (NaN when the windows hold no wikitext)."""
        chars = sum(i.chars for i in self.items)
        return 1000 * sum(i.counts[key] for i in self.items) / chars if chars else math.nan

    def well_formed_share(self, tag: str) -> float:
        n, good = self.blocks[tag]
        return good / n if n else math.nan


def measure_windows(label: str, windows: Sequence[str]) -> WindowMeasures:
    """Pool the `analysis.wikitext` measures over `windows` (each window measured on its own)."""
    blocks, mismatched = {}, Counter()
    for tag in XML_TAGS:
        report = xml_report(b for w in windows for b in xml_blocks(w, tag))
        blocks[tag] = (report.blocks, report.well_formed)
        mismatched += report.mismatched
    tags = TagCloses()
    for w in windows:
        tags = tags + tag_closes(w)
    return WindowMeasures(
        label, sum(map(len, windows)), pool_bracket_stats(bracket_stats(w) for w in windows), tags, blocks,
        mismatched, [wiki_items(w) for w in windows], [t for w in windows for t in timestamps(w)],
        [i for w in windows for i in element_texts(w, "id")])


@dataclass(frozen=True)
class Known:
    """What the training text contains, to tell invented links, URLs, timestamps and ids from copied ones."""

    links: set[str]
    urls: set[str]
    hosts: set[str]
    domains: set[str]
    timestamps: set[str]
    ids: set[str]

    @classmethod
    def from_text(cls, train: str) -> Known:
        items = wiki_items(train)  # one parse of every <text> element: ~5 s for 4 MB
        return cls(set(items.wikilinks), set(items.urls), set(items.hosts), {domain(h) for h in items.hosts},
                   set(timestamps(train)), set(element_texts(train, "id")))


def domain(host: str) -> str:
    """The last two labels of a host name: `humah.yahoo.com` -> `yahoo.com` (good enough to tell an invented
    sub-domain of a known site from an invented site; wrong for `bbc.co.uk`-style names, which stay new)."""
    return ".".join(host.split(".")[-2:])


def _pct(v: float) -> str:
    return cell(v, "{:.0%}")


def _share(stats: BracketStats) -> str:
    return f"{_pct(stats.closed_share)} of {stats.opened - stats.open_at_end}" if stats.opened else "none"


def bracket_table(rows: Sequence[WindowMeasures]) -> pd.DataFrame:
    """Per kind of bracket: the share of openers closed (the window's end left out) and of closers in order."""
    out = []
    for m in rows:
        row = {"text": m.label}
        for kind, name in BRACKET_KINDS.items():
            row[f"{name}: closed"] = _share(m.brackets[kind])
        closed = sum(s.closed for s in m.brackets.values())
        row["closed in nesting order (all kinds)"] = _pct(
            sum(s.closed_in_order for s in m.brackets.values()) / closed if closed else math.nan)
        out.append(row)
    return table(out)


def xml_table(rows: Sequence[WindowMeasures]) -> pd.DataFrame:
    """Closing tags in nesting order, and complete blocks that parse as well-formed XML."""
    out = []
    for m in rows:
        row = {"text": m.label, "closing tags": m.tags.closes,
               "closed in nesting order": _pct(m.tags.in_order_share)}
        for tag in XML_TAGS:
            n, good = m.blocks[tag]
            row[f"complete <{tag}> well-formed"] = f"{good} of {n}" if n else "none complete"
        row["wrong pairs (open, closed)"] = ", ".join(f"{a}/{b} ({c})" for (a, b), c in
                                                      (m.tags.wrong + m.mismatched).most_common(4)) or "none"
        out.append(row)
    return table(out)


def invention_table(rows: Sequence[WindowMeasures], known: Known) -> pd.DataFrame:
    """How much of what the windows name never occurs in the training text."""
    out = []
    for m in rows:
        valid = [valid_timestamp(t) for t in m.timestamps]
        out.append({
            "text": m.label,
            "[[link]] targets": len(m.links), "new to training": _pct(novel_share(m.links, known.links)),
            "URLs": len(m.urls), "URL new": _pct(novel_share(m.urls, known.urls)),
            "URL well-formed": _pct(url_shares(m, known).well_formed),
            "well-formed and new": _pct(url_shares(m, known).well_formed_new),
            "host new": _pct(novel_share(m.hosts, known.hosts)),
            "domain new": _pct(novel_share(map(domain, m.hosts), known.domains)),
            "timestamps": len(m.timestamps), "valid dates": _pct(np.mean(valid) if valid else math.nan),
            "timestamp new": _pct(novel_share(m.timestamps, known.timestamps)),
            "ids new": _pct(novel_share(m.ids, known.ids)),
        })
    return table(out)


def structure_table(rows: Sequence[WindowMeasures]) -> pd.DataFrame:
    return table([{"text": m.label, "wikitext characters": sum(i.chars for i in m.items),
                   **{name: m.per_kchar(key) for key, name in STRUCTURES.items()}} for m in rows],
                 {name: "{:.2f}" for name in STRUCTURES.values()})


def plot_structure(rows: Sequence[WindowMeasures], reference: WindowMeasures) -> plt.Figure:
    """Each structure's rate per 1,000 characters relative to the reference (real text) = 1, log scale."""
    fig, ax = plt.subplots(figsize=(9, 4))
    x = np.arange(len(STRUCTURES))
    width = 0.8 / len(rows)
    for i, m in enumerate(rows):
        ratios = [m.per_kchar(k) / reference.per_kchar(k) if reference.per_kchar(k) else math.nan
                  for k in STRUCTURES]
        ratios = [r if r > 0 else 0.01 for r in ratios]  # none produced: drawn at the floor
        ax.bar(x + i * width - 0.4 + width / 2, ratios, width, label=m.label)
    ax.axhline(1, color="black", lw=1)
    ax.set_yscale("log")
    ax.set_ylim(0.01, 100)
    ax.set_xticks(x, list(STRUCTURES.values()))
    ax.set_ylabel(f"rate / rate in {reference.label}")
    ax.grid(alpha=0.3, axis="y")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


@dataclass(frozen=True)
class UrlShares:
    """The URLs of a set of windows: how many, and the shares well-formed, new to training, and both (NaN: none)."""

    n: int
    well_formed: float
    new: float
    well_formed_new: float


def url_shares(m: WindowMeasures, known: Known) -> UrlShares:
    """The `UrlShares` of the windows `m`: well-formed by `url_well_formed`, new when not in `known.urls`."""
    urls, ok = m.urls, m.well_formed_urls
    if not urls:
        return UrlShares(0, math.nan, math.nan, math.nan)
    new = [u not in known.urls for u in urls]
    return UrlShares(len(urls), float(np.mean(ok)), float(np.mean(new)),
                     float(np.mean([a and b for a, b in zip(ok, new, strict=True)])))


# ------------------------------------------------------------------------------------------------- verdicts
# Each returns a `Verdict` (verdict, value, measured, gate) for charlab.claims.claim. A small model that does not
# show what the post's overnight runs showed is "not reached at this scale", not a contradiction.

def parentheses_verdict(lstm: WindowMeasures, real: WindowMeasures, ngram: WindowMeasures) -> Verdict:
    """"The model learns to open and close the parenthesis correctly": ( ) and [[ ]] closed about as often as in
    real text (within 5 points), *holds*; short of that but closed more often than in the n-gram's samples (mean
    of the two kinds), *holds partly*; otherwise *not reached at this scale*."""
    def score(m: WindowMeasures) -> list[float]:
        return [m.brackets[k].closed_share for k in ("(", "[[")]

    ours, theirs, base = score(lstm), score(real), score(ngram)
    value = f"( ) {_pct(ours[0])}, [[ ]] {_pct(ours[1])} closed (real {_pct(theirs[0])}, {_pct(theirs[1])})"
    measured = (f"of the parentheses and [[links]] the LSTM opened (those cut by the window's end left out), "
                f"{_pct(ours[0])} and {_pct(ours[1])} are closed; real held-out windows of the same length "
                f"{_pct(theirs[0])} and {_pct(theirs[1])}, the n-gram's samples {_pct(base[0])} and {_pct(base[1])}; "
                f"{_pct(lstm.brackets['('].in_order_share)} of the LSTM's closed parentheses close in nesting order")
    if any(math.isnan(v) for v in ours):
        return Verdict("not reached at this scale", value, measured + " (the samples hold too few brackets to judge)")
    if all(o >= t - 0.05 for o, t in zip(ours, theirs, strict=True)):
        return Verdict("holds", value, measured)
    base_mean = -math.inf if all(math.isnan(b) for b in base) else np.nanmean(base)  # no brackets: closes none
    if np.mean(ours) > base_mean:
        return Verdict("holds partly", value, measured)
    return Verdict("not reached at this scale", value, measured)


def xml_verdict(xml: WindowMeasures) -> Verdict:
    """"Random but valid XML ... closes the correct tags appropriately and in the correct nested order", on the
    samples primed with a page's first tags: *holds* when at least 95% of closing tags close the innermost open
    element and at least 90% of the complete <contributor> and <page> blocks parse; *holds partly* when one of
    the two holds; *not reached at this scale* when the samples close fewer than `MIN_XML_CLOSES` tags."""
    share = xml.tags.in_order_share
    n = sum(xml.blocks[t][0] for t in ("contributor", "page"))
    good = sum(xml.blocks[t][1] for t in ("contributor", "page"))
    wf = good / n if n else math.nan
    value = f"{_pct(share)} of closing tags in order; {good}/{n} blocks well-formed"
    measured = (f"in the samples that start with a page's first tags, {xml.tags.in_order} of {xml.tags.closes} "
                f"closing tags close the innermost open element; {good} of {n} complete <contributor> and <page> "
                "blocks are well-formed XML (lxml, no recovery)")
    if xml.tags.closes < MIN_XML_CLOSES:
        return Verdict("not reached at this scale", value, measured + (
            f" (fewer than {MIN_XML_CLOSES} closing tags: the model rarely writes the XML layer at all)"))
    ok = [share >= 0.95, not math.isnan(wf) and wf >= 0.9]
    if all(ok):
        return Verdict("holds", value, measured)
    return Verdict(("holds partly" if any(ok) else "not reached at this scale"), value, measured)


def invented_metadata_verdict(xml: WindowMeasures, known: Known) -> Verdict:
    """"The model completely makes up the timestamp, id, and so on": *holds* when at least 90% of the sampled
    timestamps are valid dates and most timestamps and ids are not copied from the training text."""
    valid = [valid_timestamp(t) for t in xml.timestamps]
    v = float(np.mean(valid)) if valid else math.nan
    new_t, new_id = novel_share(xml.timestamps, known.timestamps), novel_share(xml.ids, known.ids)
    value = f"{_pct(v)} valid, {_pct(new_t)} of timestamps and {_pct(new_id)} of ids new"
    measured = (f"{len(valid)} sampled timestamps, {_pct(v)} of them real calendar dates and times; {_pct(new_t)} "
                f"of them and {_pct(new_id)} of {len(xml.ids)} sampled ids occur nowhere in the training text")
    if not valid:
        return Verdict("not reached at this scale", value, measured + " (no complete timestamp was sampled)")
    if v >= 0.9 and new_t > 0.5 and new_id > 0.5:
        return Verdict("holds", value, measured)
    return Verdict("holds partly" if v >= 0.5 else "not reached at this scale", value, measured)


def url_verdict(lstm: WindowMeasures, real: WindowMeasures, known: Known) -> Verdict:
    """"The yahoo url above doesn't actually exist, the model just hallucinated it", read as: the model writes URLs
    that could be real (`url_well_formed`: a scheme, a host with a dot and a top-level domain, nothing stray) and
    are not in the training text, as real unseen Wikipedia does. "New" alone proves nothing (real held-out URLs
    are almost all new too, and `http://ww.` is new), so the measure is the share of URLs both well-formed and
    new, against the same share in real held-out windows. Competence gate: at least `URL_GATE` of the model's URLs
    well-formed (no URL at all: 0). *Holds* when its share reaches `URL_HOLDS` of real text's; *contradicted* when
    most of its well-formed URLs are copies of training URLs; otherwise *holds partly*."""
    ours, theirs = url_shares(lstm, known), url_shares(real, known)
    wf = [u for u, ok in zip(lstm.urls, lstm.well_formed_urls, strict=True) if ok]
    copied = 1 - novel_share(wf, known.urls) if wf else math.nan
    new_host, new_domain = novel_share(lstm.hosts, known.hosts), novel_share(map(domain, lstm.hosts), known.domains)
    value = (f"{ours.n} URLs, {_pct(ours.well_formed_new)} well-formed and new "
             f"(real {_pct(theirs.well_formed_new)})")
    measured = (f"{ours.n} URLs in {lstm.chars:,} sampled characters: {_pct(ours.well_formed)} of them well-formed "
                f"(scheme, a host with a dot and a top-level domain, no stray characters), {_pct(ours.new)} not in "
                f"the training text, {_pct(ours.well_formed_new)} both; in real held-out windows of the same length "
                f"{theirs.n} URLs, {_pct(theirs.well_formed)} well-formed, {_pct(theirs.new)} new, "
                f"{_pct(theirs.well_formed_new)} both. {_pct(copied)} of the model's well-formed URLs are copies of "
                f"a training URL; {_pct(new_host)} of its hosts and {_pct(new_domain)} of their domains are new")
    gate = Gate(f"share of its URLs that are well-formed (real held-out text: {_pct(theirs.well_formed)})",
                0.0 if not ours.n else ours.well_formed, URL_GATE)
    if not gate.passed:
        return Verdict("not reached at this scale", value, measured, gate)
    target = URL_HOLDS * (theirs.well_formed_new if theirs.n else 1.0)
    if ours.well_formed_new >= target:
        return Verdict("holds", value, measured, gate)
    if copied > 0.5:
        return Verdict("contradicted", value, measured + " (most well-formed URLs are copied, not made up)", gate)
    return Verdict("holds partly", value, measured + f" (below {URL_HOLDS:.0%} of real text's share)", gate)


def structure_verdict(lstm: WindowMeasures, real: WindowMeasures) -> Verdict:
    """"Sometimes it creates headings, lists, etc.": *holds* when headings and list items both occur at least a
    third as often as in real text; *holds partly* when both occur at all. There is no upper bound: the claim is
    that the model creates them, and the post's own excerpt (chosen to show them) is dense with both; an earlier
    rule that also asked for at most 3 times real text's rate judged that excerpt "holds partly"."""
    keys = ("headings", "list_items")
    ratios = [lstm.per_kchar(k) / real.per_kchar(k) if real.per_kchar(k) else math.nan for k in keys]
    value = ", ".join(f"{STRUCTURES[k]} x{r:.2f}" for k, r in zip(keys, ratios, strict=True)) + " of real"
    measured = ("per 1,000 characters of wikitext the LSTM writes "
                + " and ".join(f"{lstm.per_kchar(k):.2f} {STRUCTURES[k]} (real {real.per_kchar(k):.2f})"
                               for k in keys))
    if all(r >= 1 / 3 for r in ratios):
        return Verdict("holds", value, measured)
    if all(lstm.per_kchar(k) > 0 for k in keys):
        return Verdict("holds partly", value, measured)
    return Verdict("not reached at this scale", value, measured)


# ----------------------------------------------------------------------------------- one model's samples, judged

@dataclass(frozen=True)
class ModelMeasures:
    """What the chapter measures on one model's samples: random windows and page starts."""

    label: str
    windows: WindowMeasures  # samples at temperature 1 after a burn-in
    pages: WindowMeasures  # samples primed with `XML_PRIME` (the prime not measured)
    first_page: str  # the first page-start sample, to show


def measure_model(label: str, model: CharRNN, vocab: Vocab, size: dict) -> ModelMeasures:
    """Sample `model` as the chapter does (`size`: the chapter's `sizes(scale)`) and measure the samples."""
    n, length, burn = size["num_samples"], size["sample_len"], size["burn_in"]
    windows = sample(model, vocab, length, temperature=1.0, prime="\n", num=n, seed=0, burn_in=burn)
    pages = sample(model, vocab, size["xml_len"], temperature=1.0, prime=XML_PRIME, num=size["xml_samples"], seed=5)
    return ModelMeasures(label, measure_windows(f"{label}, T = 1", windows),
                         measure_windows(f"{label} page starts", pages), pages[0])


def ngram_windows(train: str, order: int, size: dict) -> tuple[list[str], list[str]]:
    """The counting control's samples: an `order`-gram of `train` sampled without smoothing (as Goldberg's model
    is), random windows after the same burn-in and page starts after the same prime."""
    gram = NGramModel(order, alpha=0).fit(train)
    windows = [gram.sample(size["sample_len"], seed=i, burn_in=size["burn_in"]) for i in range(size["num_samples"])]
    pages = [gram.sample(size["xml_len"], seed=100 + i, prime=XML_PRIME) for i in range(size["xml_samples"])]
    return windows, pages


def real_page_starts(held_out: str, size: dict) -> list[str]:
    """The held-out text's page starts, each cut after the prime to the samples' length."""
    starts = [i + len(XML_PRIME) for i in range(len(held_out)) if held_out.startswith(XML_PRIME, i)]
    return [held_out[i:i + size["xml_len"]] for i in starts][: size["xml_samples"]]


def verdicts(m: ModelMeasures, real: WindowMeasures, gram: WindowMeasures, known: Known) -> dict[str, Verdict]:
    """Every claim of `CLAIMS` judged on one model's samples (the page's run or the `long` run alike)."""
    return {"ch06-parentheses": parentheses_verdict(m.windows, real, gram),
            "ch06-valid-xml": xml_verdict(m.pages),
            "ch06-hallucinated-url": url_verdict(m.windows, real, known),
            "ch06-invented-metadata": invented_metadata_verdict(m.pages, known),
            "ch06-headings-lists": structure_verdict(m.windows, real)}


# ------------------------------------------------------------------------------- the baseline and the long run

def baseline(train: str, held_out: str, vocab: Vocab, orders: Sequence[int]) -> KNBaseline:
    """The book's one counting baseline (`analysis.ngram.kn_baseline`): Kneser-Ney, its order chosen on the first
    half of the held-out text, its loss reported on the second."""
    return kn_baseline(train, held_out, vocab, orders)


def score_on_report(model: CharRNN, vocab: Vocab, b: KNBaseline) -> float:
    """A model's loss (nats/char) on the baseline's report half, read after everything before it."""
    return score_text(model, vocab, b.report, context=b.report_context)


def baseline_table(b: KNBaseline, models: dict[str, float]) -> pd.DataFrame:
    """Every Kneser-Ney order on the tuning half, then the chosen order and each model on the report half."""
    rows = [{"model": f"Kneser-Ney {r.order}-gram", "half": "first (choosing the order)", "nats/char": r.val_loss,
             "bits/char": bits(r.val_loss)} for r in b.tuned]
    rows.append({"model": f"Kneser-Ney {b.order}-gram (chosen)", "half": "second (reported)", "nats/char": b.loss,
                 "bits/char": bits(b.loss)})
    rows += [{"model": name, "half": "second (reported)", "nats/char": loss, "bits/char": bits(loss)}
             for name, loss in models.items()]
    return table(rows, {"nats/char": "{:.3f}", "bits/char": "{:.3f}"})


def compare_with_baseline(name: str, loss: float, b: KNBaseline) -> str:
    """One sentence: how the model's loss on the report half compares with the baseline's, direction computed."""
    diff = bits(loss) - bits(b.loss)
    side = "less" if diff < 0 else "more"
    verdict = "predicts held-out Wikipedia better than counting does" if diff < 0 else \
        "does not beat counting on held-out loss"
    return (f"On the second half of the held-out text the {name} needs {bits(loss):.3f} bits/char, "
            f"{abs(diff):.3f} {side} than Kneser-Ney's {b.order}-gram ({bits(b.loss):.3f}): it {verdict}.")


def long_samples(result: Result) -> str:
    """The samples the `long` run committed with its model, one block per temperature."""
    return "\n\n".join(f"--- temperature {s['temperature']} ---\n{s['text']}" for s in result.samples)


def ladder_points(points: Sequence[tuple[str, int, ModelMeasures]], known: Known
                  ) -> list[tuple[str, float, float]]:
    """The headline measure (share of sampled URLs well-formed and new; 0 for a model that wrote no URL, as the
    URL claim's gate counts it) per model, for `plots.scale_ladder`: `points` are (scale, training characters
    read, the model's measures)."""
    out = []
    for label, chars, m in points:
        share = url_shares(m.windows, known).well_formed_new
        out.append((label, float(chars), 0.0 if math.isnan(share) else share))
    return out


def ladder_target(real: WindowMeasures, known: Known) -> float | None:
    """Where the URL claim holds on the ladder: `URL_HOLDS` of real held-out text's share of well-formed new URLs
    (None when the real windows hold no URL)."""
    share = url_shares(real, known).well_formed_new
    return None if math.isnan(share) else URL_HOLDS * share
