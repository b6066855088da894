"""Chapter 11's glue with known answers: the unseen-character rule, attribution and its confusion matrix, both
verdicts' thresholds, the comparison's shared settings, and a one-second comparison run read back."""

import math
from pathlib import Path

import numpy as np
import pytest
import torch

from charlab.analysis.ngram import kn_baseline
from charlab.chapters import ch11_questions as ch11
from charlab.checkpoint import Checkpoint
from charlab.config import TrainConfig
from charlab.errors import CharlabError
from charlab.experiments import Corpus
from charlab.model import CharRNN, ModelConfig
from charlab.text import Vocab


def uniform_candidate(text: str) -> ch11.Candidate:
    """An author whose network predicts every character of its vocabulary with probability 1/V."""
    vocab = Vocab.from_text(text)
    model = CharRNN(ModelConfig(vocab_size=len(vocab), hidden_size=8, num_layers=1))
    with torch.no_grad():
        model.head.weight.zero_()
        model.head.bias.zero_()
    corpus = Corpus("t", Path("t.txt"), text, {}, TrainConfig(val_frac=0.5))
    kn = kn_baseline(corpus.train, corpus.held_out, set(text), orders=(2, 3))
    return ch11.Candidate(ch11.AUTHORS[0], corpus, None, Checkpoint(model, vocab, {}), kn)


def test_a_character_the_model_never_saw_costs_ln_u_and_the_rest_the_models_own_loss():
    cand = uniform_candidate("abab cab bca " * 40)
    net, kn = ch11.passage_losses(cand, ["xyzzy", "cab b", "axa b"], union_size=10)
    assert net[0] == pytest.approx(math.log(10))  # four unseen scored characters (the first is only read)
    assert kn[0] == pytest.approx(math.log(10))
    assert net[1] == pytest.approx(math.log(4))  # the uniform network: ln V on every seen character
    assert net[2] == pytest.approx((math.log(10) + 3 * math.log(4)) / 4)
    assert kn[1] < math.log(4)  # the counted model knows this text


def test_attribution_accuracy_and_confusion_matrix_by_hand():
    truth = np.array([0, 0, 1, 1, 2])
    losses = np.array([[1.0, 2.0, 2.0, 1.0, 3.0],   # model 0
                       [2.0, 1.0, 1.0, 2.0, 3.0],   # model 1
                       [3.0, 3.0, 3.0, 3.0, 1.0]])  # model 2
    att = ch11.Attribution(10, truth, {"lstm": losses, "kn": losses[[2, 1, 0]]})
    assert list(att.predicted("lstm")) == [0, 1, 1, 0, 2]
    assert att.accuracy("lstm") == pytest.approx(3 / 5)
    assert att.confusion("lstm").tolist() == [[1, 1, 0], [1, 1, 0], [0, 0, 1]]
    assert att.mean_loss("lstm")[0].tolist() == [1.5, 1.5, 3.0]


def test_draw_passages_is_seeded_and_refuses_a_text_too_short():
    assert ch11.draw_passages("abcdefgh", 3, 4, seed=1) == ch11.draw_passages("abcdefgh", 3, 4, seed=1)
    assert all(len(p) == 3 and p in "abcdefgh" for p in ch11.draw_passages("abcdefgh", 3, 20))
    with pytest.raises(CharlabError, match="holds no passage of 30"):
        ch11.draw_passages("short", 30, 1)


def _atts(acc100: float, acc300: float) -> dict:
    def one(length: int, acc: float) -> ch11.Attribution:
        truth = np.zeros(100, dtype=int)
        right = int(round(acc * 100))
        losses = np.ones((7, 100))
        losses[0, :right] = 0.0  # model 0 (the truth) lowest on `right` passages
        losses[1, right:] = 0.0
        return ch11.Attribution(length, truth, {"lstm": losses, "kn": losses})
    return {100: one(100, acc100), 300: one(300, acc300)}


@pytest.mark.parametrize("acc100, acc300, verdict", [
    (0.96, 1.0, "holds"), (0.9, 0.97, "holds partly"), (0.6, 0.8, "holds partly"),
    (0.3, 0.5, "not reached at this scale")])
def test_authorship_verdict_thresholds(acc100, acc300, verdict):
    v = ch11.authorship_verdict(_atts(acc100, acc300))
    assert v.verdict == verdict and f"{acc100:.0%} at 100 characters" in v.value and "chance 14%" in v.measured


class _Best:
    def __init__(self, best: float):
        self.best = best


@pytest.mark.parametrize("t, verdict", [((1.5, 1.6), "holds"), ((1.7, 1.8), "contradicted"),
                                        ((1.5, 1.8), "holds partly"), ((1.61, 1.7), "holds partly")])
def test_comparison_verdict_needs_the_same_sign_beyond_002_on_every_dataset(t, verdict):
    pairs = {"a": {"transformer": _Best(t[0]), "lstm": _Best(1.6)},
             "b": {"transformer": _Best(t[1]), "lstm": _Best(1.7)}}
    assert ch11.comparison_verdict(pairs).verdict == verdict


def test_both_models_take_only_model_fields_and_the_same_evaluation():
    lstm, transformer = ch11.model_overrides("lstm"), ch11.model_overrides("transformer")
    assert lstm["cell"] == "lstm" and transformer["cell"] == "transformer"
    assert set(lstm) == set(transformer) == set(ch11.MODEL_FIELDS) | set(ch11.EVAL)
    assert "val_frac" not in lstm and "precision" not in lstm and "max_time_s" not in lstm  # the experiment's own


def test_a_short_comparison_run_is_written_and_read_back(tmp_path, monkeypatch):
    monkeypatch.setitem(ch11.blog.SAMPLE_LEN, "long", 20)  # seconds, not a minute, of sampling and scoring
    monkeypatch.setattr(ch11, "EVAL", dict(eval_interval=100, eval_max_chunks=2))
    paths = ch11.compare(["tinyshakespeare"], budget_s=1.0, results=tmp_path)
    assert [p.relative_to(tmp_path).as_posix() for p in paths] == [
        "compare/lstm/long/tinyshakespeare", "compare/transformer/long/tinyshakespeare"]
    runs = {m: ch11.committed_comparison("tinyshakespeare", m, results=tmp_path) for m in ch11.MODELS}
    assert ch11.committed_comparison("warpeace", "lstm", results=tmp_path) is None
    t = runs["transformer"]
    assert t.config["train_config"]["cell"] == "transformer" and t.stamp["max_time_s"] == 1.0
    assert t.config["train_config"]["val_frac"] == runs["lstm"].config["train_config"]["val_frac"]
    minutes, chars, loss = t.curve()
    assert len(minutes) == len(chars) == len(loss) >= 1 and chars[0] == 0
    assert "TRANSFORMER 2 layers x 256, 4 heads, context 64" in t.describe()
    assert t.load().model.config.cell == "transformer" and t.samples


def test_attribute_scores_every_passage_once_and_rescoring_keeps_the_other_rows():
    cands = [uniform_candidate("abab cab bca " * 40), uniform_candidate("xyx zy yxz xx " * 40)]
    atts = ch11.attribute(cands, "smoke", lengths=(10, 30))
    assert [len(a.truth) for a in atts.values()] == [2 * ch11.SIZES["smoke"]["passages"]] * 2
    assert atts[30].accuracy("lstm") == 1.0 and atts[30].accuracy("kn") == 1.0  # disjoint alphabets
    again = ch11.attribute(cands, "smoke", lengths=(10, 30), previous=atts, changed=[1])
    for n in (10, 30):
        np.testing.assert_allclose(again[n].losses["lstm"], atts[n].losses["lstm"])
        np.testing.assert_array_equal(again[n].losses["kn"], atts[n].losses["kn"])
