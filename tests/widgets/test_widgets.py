"""The widgets' Python side: data validation, alignment, the live-sampling protocol, and that the self-hosted
front end the static book loads matches the installed anywidget."""

import json
import math
import re
from pathlib import Path

import anywidget
import pytest
import yaml

from charlab.errors import CharlabError
from charlab.widgets import EvolutionWidget, NeuronWidget, TemperatureWidget
from charlab.widgets.evolution import MAX_LOSS_POINTS
from charlab.widgets.neurons import encode_firing

REPO = Path(__file__).resolve().parents[2]


def page_json(widget) -> str:
    """The widget state as the book embeds it: strict JSON (NaN/Infinity would break the page)."""
    return json.dumps(widget.get_state(), allow_nan=False)


def test_temperature_sorts_and_aligns_measures():
    w = TemperatureWidget(
        {1.5: "wild", 0.2: "safe", 1.0: "plain"},
        {"entropy": {1.5: 3.0, 0.2: math.nan, 1.0: 2.0}, "diversity": {0.2: 0.1, 1.0: 0.5, 1.5: 0.9}},
    )
    assert w.temperatures == [0.2, 1.0, 1.5]
    assert w.samples == ["safe", "plain", "wild"]
    assert w.measures == [["entropy", [None, 2.0, 3.0]], ["diversity", [0.1, 0.5, 0.9]]]  # caller's order
    assert w.temperature == 1.0  # opens at T=1
    assert not w.live
    page_json(w)


@pytest.mark.parametrize(
    ("samples", "measures", "message"),
    [
        ({}, None, "at least one sample"),
        ({1.0: 3}, None, "must be a str"),
        ({-0.5: "x"}, None, ">= 0"),
        ({math.inf: "x"}, None, "finite"),
        ({0.5: "a", 1.0: "b"}, {"div": {0.5: 1.0}}, r"missing \[1.0\]"),
        ({0.5: "a"}, {"div": {0.5: 1.0, 2.0: 1.0}}, r"extra \[2.0\]"),
        ({0.5: "a"}, {"div": {0.5: math.inf}}, "infinite"),
        ({0.5: "a"}, {"div": {0.5: "high"}}, "number or None"),
        ({0.5: "a"}, {"div": [1.0]}, "must map temperature"),
    ],
)
def test_temperature_rejects_bad_data(samples, measures, message):
    with pytest.raises(CharlabError, match=message):
        TemperatureWidget(samples, measures)


def test_temperature_rejects_non_callable_sampler():
    with pytest.raises(CharlabError, match="callable"):
        TemperatureWidget({1.0: "x"}, sampler="not a function")


def _replies(widget, monkeypatch, *messages):
    sent = []
    monkeypatch.setattr(widget, "send", lambda content, buffers=None: sent.append(content))
    for msg in messages:
        widget._on_front_end_msg(widget, msg, [])
    return sent


def test_temperature_live_sampling_protocol(monkeypatch):
    calls = []

    def sampler(temperature, prime):
        calls.append((temperature, prime))
        return prime + "!" * int(temperature * 4)

    w = TemperatureWidget({0.5: "a", 1.0: "b"}, sampler=sampler)
    assert w.live
    request = {"type": "sample", "id": 7, "temperature": 0.5, "prime": "Hi"}
    sent = _replies(w, monkeypatch, {"type": "ping"}, request)
    assert sent[0] == {"type": "pong", "live": True}
    assert sent[1] == {"type": "sample", "id": 7, "text": "Hi!!", "temperature": 0.5}
    assert calls == [(0.5, "Hi")]


def test_temperature_live_sampler_error_is_reported_not_raised(monkeypatch):
    def sampler(temperature, prime):
        raise ValueError(f"character {prime!r} is not in the vocabulary")

    w = TemperatureWidget({1.0: "b"}, sampler=sampler)
    (reply,) = _replies(w, monkeypatch, {"type": "sample", "id": 1, "temperature": 1.0, "prime": "€"})
    assert reply["id"] == 1 and "text" not in reply
    assert reply["error"].startswith("ValueError: character '€'")


def test_temperature_without_sampler_ignores_sample_requests(monkeypatch):
    w = TemperatureWidget({1.0: "b"})
    sent = _replies(w, monkeypatch, {"type": "ping"}, {"type": "sample", "id": 1, "temperature": 1.0})
    assert sent == [{"type": "pong", "live": False}]


def test_evolution_keeps_data_aligned_and_strict_json():
    w = EvolutionWidget(
        [100, 300, 500], ["jumble", "short words", "long words"], [(2, 3.0), (1, 4.0), (3, 2.5)],
        {"real words": [0.0, 0.4, math.nan]},
    )
    assert w.losses == [[1, 4.0], [2, 3.0], [3, 2.5]]  # sorted by iteration
    assert w.measures == [["real words", [0.0, 0.4, None]]]
    assert w.iteration == 100
    page_json(w)


def test_evolution_thins_long_loss_curves_keeping_both_ends():
    losses = [(i, 5.0 - i / 10**5) for i in range(1, 10**5 + 1)]
    w = EvolutionWidget([1], ["x"], losses)
    assert len(w.losses) == MAX_LOSS_POINTS
    assert w.losses[0] == [1, losses[0][1]] and w.losses[-1] == [10**5, losses[-1][1]]
    assert [p[0] for p in w.losses] == sorted(p[0] for p in w.losses)


@pytest.mark.parametrize(
    ("iterations", "samples", "losses", "measures", "message"),
    [
        ([], [], [(1, 1.0)], None, "at least one"),
        ([1, 2], ["a"], [(1, 1.0)], None, "2 iterations but 1 samples"),
        ([2, 1], ["a", "b"], [(1, 1.0)], None, "strictly increasing"),
        ([1, 1], ["a", "b"], [(1, 1.0)], None, "strictly increasing"),
        ([1.5], ["a"], [(1, 1.0)], None, "non-negative ints"),
        ([1], [None], [(1, 1.0)], None, "must be a str"),
        ([1], ["a"], [], None, "loss curve"),
        ([1], ["a"], [(1, math.nan)], None, "finite"),
        ([1], ["a"], [(1, 2.0, 3)], None, "pairs"),
        ([1, 2], ["a", "b"], [(1, 1.0)], {"m": [1.0]}, "1 values for 2"),
    ],
)
def test_evolution_rejects_bad_data(iterations, samples, losses, measures, message):
    with pytest.raises(CharlabError, match=message):
        EvolutionWidget(iterations, samples, losses, measures)


@pytest.mark.parametrize(
    ("widget", "kind"), [(TemperatureWidget, "temperature"), (EvolutionWidget, "evolution"), (NeuronWidget, "neurons")]
)
def test_front_end_keeps_the_dom_contract(widget, kind):
    """tests/browser relies on these; the module must also be one ES module with a default export."""
    esm = widget._esm if isinstance(widget._esm, str) else str(widget._esm)
    assert f'"data-charlab-widget": "{kind}"' in esm
    assert 'type: "range"' in esm and "charlab-sample" in esm
    assert esm.count("export default") == 1
    assert ".innerHTML" not in esm  # samples are model output: text only


def test_vendored_anywidget_matches_the_python_package():
    """The static page loads anywidget's front end from book/_extra_js; a version drift would break it."""
    lines = (REPO / "book/_extra_js/vendor/VERSIONS").read_text().splitlines()
    versions = dict(line.rsplit(" ", 1) for line in lines if line)
    wanted = anywidget.AnyWidget._model_module_version.default_value  # e.g. "~0.11.*"
    major_minor = re.match(r"~?(\d+\.\d+)", wanted).group(1)
    assert versions["anywidget"].startswith(major_minor + "."), (versions["anywidget"], wanted)


def test_config_scripts_exist_in_the_self_hosted_folder():
    """Every script _config.yml makes pages load (paths relative to _static/) ships in book/_extra_js."""
    config = yaml.safe_load((REPO / "_config.yml").read_text())["sphinx"]["config"]
    assert config["html_extra_path"] == ["book/_extra_js"]
    paths = list(config["nb_ipywidgets_js"]) + [config["mathjax_path"]]
    for rel in paths:
        assert "://" not in rel, f"{rel} would load from the network"
        assert rel.startswith("../"), rel
        assert (REPO / "book/_extra_js" / rel.removeprefix("../")).is_file(), rel


def test_neuron_widget_encodes_firing_and_checks_alignment():
    assert encode_firing([-1.0, 0.0, 1.0, 5.0, -0.5]) == "0fuu8"  # 31 levels: -1 -> 0, 0 -> 15 (f), clipped
    w = NeuronWidget("ab", [{"label": "layer 1, cell 3", "firing": "0u"}], ["xy", "yz"], [[60, 30], [90, 5]])
    assert w.cells == [{"label": "layer 1, cell 3", "firing": "0u"}] and w.index == 0
    page_json(w)


@pytest.mark.parametrize(
    ("cells", "guesses", "probs", "message"),
    [
        ([], ["x", "y"], [[1], [1]], "at least one cell"),
        ([{"label": "c"}], ["x", "y"], [[1], [1]], "must be"),
        ([{"label": "c", "firing": "0"}], ["x", "y"], [[1], [1]], "2 characters of LEVELS"),
        ([{"label": "c", "firing": "0z"}], ["x", "y"], [[1], [1]], "2 characters of LEVELS"),
        ([{"label": "c", "firing": "00"}], ["x"], [[1], [1]], "each of the 2 characters"),
        ([{"label": "c", "firing": "00"}], ["x", "y"], [[1, 2], [1]], "one percentage"),
        ([{"label": "c", "firing": "00"}], ["x", "y"], [[1], [101]], "one percentage"),
    ],
)
def test_neuron_widget_rejects_bad_data(cells, guesses, probs, message):
    with pytest.raises(CharlabError, match=message):
        NeuronWidget("ab", cells, guesses, probs)
    with pytest.raises(CharlabError, match="NaN"):
        encode_firing([0.0, float("nan")])


def test_widgets_take_an_in_page_model_or_refuse_what_is_not_one():
    import torch

    from charlab.model import CharRNN, ModelConfig
    from charlab.text import Vocab
    from charlab.widgets.model_data import export_model

    torch.manual_seed(0)
    payload = export_model(CharRNN(ModelConfig(vocab_size=3, hidden_size=4, num_layers=2, embedding_dim=2)),
                           Vocab(tuple("\nab")))
    w = TemperatureWidget({1.0: "x"}, model=payload, length=50)
    assert w.model == payload and w.length == 50 and "class CharLSTM" in w._esm
    assert TemperatureWidget({1.0: "x"}).model == {}  # no model: the page only switches samples
    page_json(w)
    with pytest.raises(CharlabError, match="export_model"):
        TemperatureWidget({1.0: "x"}, model={"weights": "..."})
    with pytest.raises(CharlabError, match="length"):
        TemperatureWidget({1.0: "x"}, model=payload, length=0)
    cells = [{"label": "layer 2, cell 3", "firing": "0u", "cell": 7}]
    n = NeuronWidget("ab", cells, ["xy", "yz"], [[60, 30], [90, 5]], model=payload)
    assert n.cells == cells and n.model == payload and n.max_chars == 3000
    for bad in (None, 8, -1, True):  # a model's cells are 0..layers*hidden-1 = 0..7
        with pytest.raises(CharlabError, match="index in the model"):
            NeuronWidget("ab", [{**cells[0], "cell": bad}], ["xy", "yz"], [[60, 30], [90, 5]], model=payload)
