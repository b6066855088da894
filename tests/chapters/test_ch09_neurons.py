"""Chapter 9's glue on a synthetic task with a known answer: a tiny LSTM trained for a few seconds on a bracket
language must have a cell that tracks the nesting depth, which an untrained LSTM of the same shape does not."""

import dataclasses
import math
import re

import matplotlib
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from charlab.chapters import ch09_neurons as ch09
from charlab.errors import CharlabError
from charlab.model import CharRNN, ModelConfig
from charlab.text import Vocab
from charlab.widgets.neurons import NeuronWidget, encode_firing

matplotlib.use("Agg")

BRACES = ch09.Subject("braces", "Braces", ("{ } depth (C)", "inside { } (C)", "line position"), "\n", ("{",))


def bracket_language(n: int, seed: int, max_depth: int = 4) -> str:
    """Balanced braces around letters; a newline only at depth 0, so the depth decides what may come next."""
    rng = np.random.default_rng(seed)
    out, depth = [], 0
    while len(out) < n:
        r = rng.random()
        if r < 0.25 and depth < max_depth:
            out.append("{")
            depth += 1
        elif r < 0.5 and depth > 0:
            out.append("}")
            depth -= 1
        elif depth == 0 and r < 0.6:
            out.append("\n")
        else:
            out.append("ab"[int(rng.random() < 0.5)])
    return "".join(out)


@pytest.fixture(scope="module")
def trained():
    torch.manual_seed(0)
    text = bracket_language(20_000, seed=1)
    vocab = Vocab.from_text(text)
    model = CharRNN(ModelConfig(len(vocab), "lstm", hidden_size=16, num_layers=1))
    ids = torch.as_tensor(vocab.encode(text))
    opt = torch.optim.Adam(model.parameters(), lr=0.02)
    rng = np.random.default_rng(0)
    for _ in range(150):
        starts = rng.integers(0, len(ids) - 65, size=16)
        batch = torch.stack([ids[s:s + 65] for s in starts])
        logits, _ = model(batch[:, :-1])
        loss = F.cross_entropy(logits.reshape(-1, len(vocab)), batch[:, 1:].reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
    heldout = bracket_language(3000, seed=2)
    return model, vocab, ch09.study(BRACES, model, vocab, heldout, length=2000, context=50)


def test_a_trained_lstm_has_a_depth_cell_and_the_untrained_control_does_not(trained):
    _, _, s = trained
    cell, score = s.best()["{ } depth (C)"]
    assert score > 0.8, f"best depth cell only reaches |r| = {score:.2f}"
    assert s.bars["{ } depth (C)"] < score - 0.2  # the untrained model's best cell is well below
    assert s.found("{ } depth (C)") and s.interpretable[cell]
    assert s.ranked()[0][2] > s.bars[s.ranked()[0][1]]
    assert s.num_cells == 16 and s.cell_name(17 - 16) == "layer 1, cell 1"


def test_ablation_batches_every_condition_and_the_depth_cell_matters_at_braces(trained):
    model, vocab, s = trained
    a = ch09.ablation(s, model, vocab, random_cells=5, random_sets=2)
    np.testing.assert_allclose(a.base, s.rec.loss, atol=1e-5)
    assert set(a.single) == {f for f in BRACES.features if s.found(f)}
    assert a.random_single.shape == (5, len(s.text) - 1) and not set(a.random_cells) & {c for c, _ in a.single.values()}
    n = int(s.interpretable.sum())
    assert a.set_sizes == {"interpretable": n, "random, as many as interpretable": n,
                           "not interpretable": 16 - n, "random, as many as not interpretable": 16 - n}
    assert len(a.sets["random, as many as interpretable"]) == 2
    effects = ch09.cell_effects(s, a)
    depth = effects["{ } depth (C)"]
    assert depth.events == int(sum(ch in "{}" for ch in s.text[1:]))  # braces are the depth's events
    assert depth.at_events > 0  # clamping the depth cell hurts the prediction of braces
    verdict, _, measured = ch09.cell_verdict(s, "{ } depth (C)", depth)
    assert verdict in ("holds", "holds partly") and "random cells" in measured
    verdict, value, _ = ch09.drop_verdict([(s, a)])
    base, dropped = (float(v) for v in re.findall(r"\d+\.\d+", value)[:2])
    assert dropped > base  # clamping every non-interpretable cell costs something
    assert verdict == ("holds" if dropped / base < 1.02 else "holds partly" if dropped / base < 1.1 else "contradicted")
    few = dataclasses.replace(s, interpretable=np.zeros(16, dtype=bool))
    assert ch09.drop_verdict([(few, a)])[0] == "not reached at this scale"  # no split: the premise is absent
    pairs = [(s, a)]
    for df in (ch09.discovery_table([s]), ch09.share_table([s]), ch09.effects_table(pairs), ch09.drop_table(pairs)):
        assert len(df)
    ch09.plot_saturation([s])
    ch09.plot_scores([s, s])


def test_share_verdict_thresholds(trained):
    _, _, s = trained
    chance = s.chance_share()
    assert chance == pytest.approx(3 / 17)  # three scorable features, 16 control cells
    big = dataclasses.replace(s, interpretable=np.ones(16, dtype=bool))
    assert ch09.share_verdict([big])[0] == "holds partly"  # 100%: above chance, far above 5%
    none = dataclasses.replace(s, interpretable=np.zeros(16, dtype=bool))
    verdict, value, measured = ch09.share_verdict([none])
    assert verdict == "not reached at this scale" and value == "0.0% of 16 cells" and "17.6% by chance" in measured


def test_interpretable_total_and_score_kind(trained):
    _, _, s = trained
    three = dataclasses.replace(s, interpretable=np.arange(s.num_cells) < 3)
    none = dataclasses.replace(s, interpretable=np.zeros(s.num_cells, dtype=bool))
    assert all(math.isfinite(b) for b in s.bars.values())  # three scorable features on 16 cells: chance 3 / 17
    assert ch09.interpretable_total([three, none]) == (3, 32, pytest.approx(3 / 17))
    assert ch09.share_table([three, none]).loc["all three", "chance level"] == f"{3 / 17:.1%}"
    assert ch09.score_kind("inside { } (C)") == "AUC" and ch09.score_kind("{ } depth (C)") == "|r|"


def test_share_verdict_holds_near_five_percent(trained):
    _, _, s = trained
    many = [dataclasses.replace(s, interpretable=np.arange(16) < (1 if i < 5 else 0)) for i in range(16)]
    # 5 of 256 cells, but three features on 16 control cells make chance 17.6%: not above chance
    assert ch09.share_verdict(many)[0] == "not reached at this scale"
    wide = dataclasses.replace(s, bars={f: v for f, v in s.bars.items()}, interpretable=np.zeros(16, dtype=bool))
    wide.bars.update({f: math.nan for f in ("inside { } (C)", "line position")})  # one scorable feature: 1/17
    five = [dataclasses.replace(wide, interpretable=np.arange(16) < (2 if i < 4 else 0)) for i in range(10)]
    verdict, value, _ = ch09.share_verdict(five)  # 8 of 160 = 5%, chance 5.9%: not above twice the chance
    assert value == "5.0% of 160 cells" and verdict == "not reached at this scale"


def test_wiki_cells_verdict_reports_each_feature(trained):
    _, _, s = trained
    wiki = ch09.SUBJECTS["wikipedia"]
    fake = dataclasses.replace(s, subject=wiki, values={}, scores={}, bars={})
    rng = np.random.default_rng(0)
    for f in ch09.WIKI_CELLS:
        fake.scores[f] = rng.uniform(0.5, 0.6, 16)
        fake.bars[f] = 0.65
    fake.scores["inside a URL"][3] = 0.99
    verdict, value, measured = ch09.wiki_cells_verdict(fake)
    assert verdict == "holds partly" and value == "1 of 4 found" and "(not above)" in measured
    fake.bars["since www"] = math.nan
    verdict, value, measured = ch09.wiki_cells_verdict(fake)
    assert value == "1 of 3 found" and "since www: too rare in the stretch" in measured
    fake.scores = {f: np.full(16, 0.99) for f in ch09.WIKI_CELLS}
    fake.bars = dict.fromkeys(ch09.WIKI_CELLS, 0.65)
    assert ch09.wiki_cells_verdict(fake)[:2] == ("holds", "4 of 4 found")


def test_pick_stretch_prefers_the_window_that_holds_every_marker():
    text = "\n" + "plain text line\n" * 200 + "see www.a.org and [[link]]\n" + "plain text line\n" * 200
    start = ch09.pick_stretch(text, 120, "\n", ["www", "[["])
    window = text[start:start + 120]
    assert "www" in window and "[[" in window and text[start - 1] == "\n"
    with pytest.raises(CharlabError, match="fewer than"):
        ch09.pick_stretch("short", 100, "\n", ["x"])


def test_views_and_widget_data(trained):
    _, _, s = trained
    page = ch09.firing_html("a<\nb", np.array([0.5, -0.5, 0.0, 1.0]), title="cell 3")
    assert page.count("<i class") == 4 and "&lt;" in page and "<br>" in page and "cell 3" in page
    assert re.findall(r'class="(\w+)"', page)[-4:] == ["g5", "b5", "g0", "g10"]  # green excited, blue not
    assert ch09.firing_class(-0.04) == "b0" and ch09.firing_class(3.0) == "g10"
    pred = ch09.predictions_html(s.rec, 10, 30, cell=0)
    assert pred.count('<span class="c">') == 30 and len(re.findall(r'class="p\d+"', pred)) == 30 * 5
    guesses, probs = s.rec.top()
    assert f'<i class="p{round(probs[10, 0] * 10)}">' in pred.split('<span class="c">')[1]
    data = ch09.widget_data(s, 300, 4)
    assert len(data["text"]) == 300 and len(data["cells"]) == 4 and len(data["guesses"]) == 300
    assert all(len(c["firing"]) == 300 for c in data["cells"]) and all(len(g) == 5 for g in data["guesses"])
    assert data["cells"][0]["label"].startswith(s.cell_name(s.ranked()[0][0]))
    assert all(0 <= p <= 100 for row in data["probs"] for p in row)
    w = NeuronWidget(**data)
    start = ch09.window(s.text, 300, "{")
    assert w.text == s.text[start:start + 300]
    assert w.cells[1]["firing"] == encode_firing(s.rec.flat()[start:start + 300, s.ranked()[1][0]])


def test_recording_matches_the_model_and_gates_are_summarised(trained):
    model, vocab, s = trained
    was_training = model.training
    for mode in (True, False):  # a check: it leaves the model's mode as it found it
        model.train(mode)
        assert ch09.recording_error(model, vocab, s) < 1e-5 and model.training is mode
    model.train(was_training)
    sat = ch09.gate_saturation(s)
    assert set(sat) == {"i", "f", "o"} and all(0 <= a <= 1 and 0 <= b <= 1 and a + b <= 1 for a, b in sat.values())


def test_confidence_inside_the_url_prefix():
    text = "ab http://www.x ab"
    zeros = np.zeros((1, len(text), 1))
    top = np.zeros((len(text), 1))

    def recording(loss):
        return ch09.Recording(text, tuple(sorted(set(text))), zeros, zeros, {}, np.asarray(loss), top, top)

    rec = recording(np.full(len(text) - 1, -math.log(0.1)))  # p = 0.1 everywhere
    inside, overall, n = ch09.confidence(rec)
    assert n == len("http://www.") - 1 and inside == pytest.approx(0.1) and overall == pytest.approx(0.1)
    assert ch09.confidence_verdict(rec)[0] == "not reached at this scale"
    loss = rec.loss.copy()
    loss[3:3 + n] = -math.log(0.9)  # predicting t, t, p, :, /, /, w, w, w, . after h, t, t, ..., w
    verdict, value, _ = ch09.confidence_verdict(recording(loss))
    assert verdict == "holds" and value.startswith("p = 0.90 inside http://www.")
    loss[3:3 + n] = -math.log(0.5)
    assert ch09.confidence_verdict(recording(loss))[0] == "holds partly"
    text = "abab"
    zeros, top = zeros[:, :4], top[:4]
    assert ch09.confidence_verdict(recording(np.zeros(3)))[0] == "not testable here"


def test_a_feature_that_rarely_changes_gets_no_bar(trained):
    model, vocab, _ = trained
    heldout = "\n" + bracket_language(3000, seed=3).replace("\n", "") + "\n"  # one line: two newline events
    s = ch09.study(BRACES, model, vocab, heldout, length=1500, context=50)
    assert math.isnan(s.bars["line position"]) and "line position" not in s.best()
    assert s.found("line position") is None and math.isfinite(s.bars["{ } depth (C)"])
    rare = ch09.discovery_table([s]).loc["Braces"].iloc[2]
    assert "too rare" in rare["best cell"] and rare["feature"] == "line position"
    assert all(rare[c] == "–" for c in ("score", "trained", "untrained best", "cells above", "coded"))


def test_gate_saturation_known_answer(trained):
    _, _, s = trained
    T = 10
    gates = {"i": np.full((1, T, 4), 0.95), "f": np.full((1, T, 4), 0.05), "g": np.zeros((1, T, 4)),
             "o": np.concatenate([np.full((1, T, 2), 0.5), np.full((1, T, 2), 0.99)], axis=2)}
    gates["f"][0, :6, 0] = 0.5  # cell 0's forget gate is shut only 4 of 10 steps: not "more than half"
    rec = dataclasses.replace(s.rec, gates=gates)
    sat = ch09.gate_saturation(dataclasses.replace(s, rec=rec))
    assert sat == {"i": (1.0, 0.0), "f": (0.0, 0.75), "o": (0.5, 0.0)}


def test_held_out_is_the_validation_split(tmp_path):
    from charlab.config import TrainConfig

    path = tmp_path / "input.txt"
    path.write_text("".join(chr(ord("a") + i % 26) for i in range(100)), encoding="utf-8")
    assert ch09.held_out(path, TrainConfig(val_frac=0.1)) == path.read_text()[90:]
    assert ch09.held_out(path, TrainConfig(val_frac=0.2, test_frac=0.1)) == path.read_text()[70:90]
