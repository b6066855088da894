"""The neuron browser: pick a cell (ranked by how well it codes one of the chapter's features) and read held-out
text coloured by its firing; hover a character to see the model's five likeliest next characters.

Every cell's firing over the text is embedded at execution time, one character per text character (31 levels of
tanh(c) in [-1, 1], `encode_firing`), so the static book needs no kernel and the page stays small. Given a `model`
(the payload of `charlab.widgets.model_data.export_model`) and each cell's index in it, the page also reads the
reader's own text: pasted into a box, run through the LSTM in the browser (lstm.js), coloured by the chosen cell,
with the model's top five guesses after each character.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import anywidget
import numpy as np
import traitlets as t

from charlab.errors import CharlabError
from charlab.widgets import _assets
from charlab.widgets.model_data import check_payload

LEVELS = "0123456789abcdefghijklmnopqrstu"  # level k stands for the firing -1 + 2k/30
MAX_CHARS = 3000  # the most characters of pasted text the page reads (a few seconds in the browser)


def encode_firing(values: Sequence[float] | np.ndarray) -> str:
    """A cell's firing in [-1, 1] (clipped) as one character of LEVELS per text character."""
    v = np.clip(np.asarray(values, dtype=float), -1, 1)
    if np.isnan(v).any():
        raise CharlabError("a cell's firing must not contain NaN")
    return "".join(LEVELS[i] for i in np.rint((v + 1) / 2 * (len(LEVELS) - 1)).astype(int))


class NeuronWidget(anywidget.AnyWidget):
    """A slider over cells, the text coloured by the chosen cell, the top guesses for a hovered character.

    text:    the held-out text shown
    cells:   [{"label": str, "firing": encode_firing(values)}], best-ranked first; with a `model`, each also
             {"cell": j}: its index in the model (layer * hidden_size + unit, as `Recording.flat`)
    guesses: per character of `text`, its top-k next characters as one string (likeliest first)
    probs:   per character, the guesses' probabilities in percent (ints 0..100)
    model:   optional in-page model: the reader may paste a text (up to `max_chars` characters) and read it
    """

    _esm = _assets.esm("neurons", shared=("lstm",))
    _css = _assets.css()

    text = t.Unicode().tag(sync=True)
    cells = t.List(t.Dict()).tag(sync=True)
    guesses = t.List(t.Unicode()).tag(sync=True)
    probs = t.List(t.List(t.Int())).tag(sync=True)
    index = t.Int(0).tag(sync=True)
    model = t.Dict().tag(sync=True)  # the in-page model ({} for none)
    max_chars = t.Int(MAX_CHARS).tag(sync=True)

    def __init__(self, text: str, cells: Sequence[Mapping[str, str]], guesses: Sequence[str],
                 probs: Sequence[Sequence[int]], model: Mapping | None = None, **kwargs: object) -> None:
        payload = check_payload(model)
        cells, guesses, probs = _validate(text, cells, guesses, probs, payload)
        super().__init__(text=text, cells=cells, guesses=guesses, probs=probs, index=0, model=payload, **kwargs)


def _validate(text: str, cells: Sequence[Mapping[str, str]], guesses: Sequence[str],
              probs: Sequence[Sequence[int]], payload: dict | None = None
              ) -> tuple[list[dict], list[str], list[list[int]]]:
    if not isinstance(text, str) or not text:
        raise CharlabError("NeuronWidget needs a non-empty text")
    if not cells:
        raise CharlabError("NeuronWidget needs at least one cell")
    out = []
    for k, c in enumerate(cells):
        label, firing = c.get("label"), c.get("firing")
        if not isinstance(label, str) or not isinstance(firing, str):
            raise CharlabError(f"cell #{k} must be {{'label': str, 'firing': str}}, got {sorted(c)}")
        if len(firing) != len(text) or set(firing) - set(LEVELS):
            raise CharlabError(f"cell #{k}'s firing must be {len(text)} characters of LEVELS (use encode_firing)")
        entry = {"label": label, "firing": firing}
        if payload:
            n = payload["config"]["num_layers"] * payload["config"]["hidden_size"]
            cell = c.get("cell")
            if isinstance(cell, bool) or not isinstance(cell, int) or not 0 <= cell < n:
                raise CharlabError(f"cell #{k} needs its index in the model, 'cell': an int from 0 to {n - 1}, "
                                   f"got {cell!r}")
            entry["cell"] = cell
        out.append(entry)
    if len(guesses) != len(text) or len(probs) != len(text):
        raise CharlabError(f"need guesses and probs for each of the {len(text)} characters, "
                           f"got {len(guesses)} and {len(probs)}")
    rows = []
    for g, p in zip(guesses, probs, strict=True):
        p = [int(x) for x in p]
        if len(p) != len(g) or any(not 0 <= x <= 100 for x in p):
            raise CharlabError(f"each character needs one percentage (0..100) per guess, got {g!r} with {p}")
        rows.append(p)
    return out, list(guesses), rows
