"""A slider over sampling temperature: the post's "low T is conservative, high T makes mistakes", browsable.

The samples and their measures (diversity, mistakes, ...) are computed when the notebook executes and embedded
in the widget, so the static book can switch between them with no kernel. Given a `model` (the payload of
`charlab.widgets.model_data.export_model`), the page itself samples: a prime box, top-k, a seed and a "sample"
button run the LSTM in the browser (lstm.js) at the slider's temperature, streaming the characters as they are
made, with no kernel and no network. Without a model but with a `sampler`, a live kernel offers "sample now"
instead; the front end only shows that button after the kernel has answered a ping, so the static page never
offers a button that cannot work.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import anywidget
import traitlets as t

from charlab.errors import CharlabError
from charlab.widgets import _assets
from charlab.widgets.model_data import check_payload

Sampler = Callable[[float, str], str]


class TemperatureWidget(anywidget.AnyWidget):
    """Slider over temperatures showing the sample at each one, with its measures beside it.

    samples:  {temperature: sampled text}
    measures: {measure name: {temperature: value}}; every measure must cover exactly the sampled temperatures
              (a value may be None/NaN when undefined).
    sampler:  optional `(temperature, prime) -> text`, used on demand in a live kernel.
    model:    optional in-page model (`export_model(model, vocab)`): the page samples `length` characters itself.
    """

    _esm = _assets.esm("temperature", shared=("lstm",))
    _css = _assets.css()

    temperatures = t.List(t.Float()).tag(sync=True)
    samples = t.List(t.Unicode()).tag(sync=True)
    # [[name, [value per temperature, aligned with `temperatures`]], ...] in the caller's order (a list, not a
    # dict: notebooks are saved with sorted keys); None where a value is undefined.
    measures = t.List(t.List()).tag(sync=True)
    index = t.Int(0).tag(sync=True)
    live = t.Bool(False).tag(sync=True)
    prime = t.Unicode("").tag(sync=True)
    model = t.Dict().tag(sync=True)  # the in-page model ({} for none)
    length = t.Int(600).tag(sync=True)  # characters per in-page sample

    def __init__(
        self,
        samples: Mapping[float, str],
        measures: Mapping[str, Mapping[float, float | None]] | None = None,
        sampler: Sampler | None = None,
        prime: str = "",
        model: Mapping | None = None,
        length: int = 600,
        **kwargs: object,
    ) -> None:
        temps, texts, table = _validate(samples, measures)
        if sampler is not None and not callable(sampler):
            raise CharlabError(f"sampler must be a callable (temperature, prime) -> str, got {sampler!r}")
        self._sampler = sampler
        payload = check_payload(model)
        if isinstance(length, bool) or not isinstance(length, int) or not 1 <= length <= 100_000:
            raise CharlabError(f"length must be an int from 1 to 100,000, got {length!r}")
        start = min(range(len(temps)), key=lambda i: abs(temps[i] - 1.0))  # open at T=1, the model's own odds
        super().__init__(
            temperatures=temps, samples=texts, measures=table, index=start, live=sampler is not None,
            prime=prime, model=payload, length=length, **kwargs,
        )
        self.on_msg(self._on_front_end_msg)

    @property
    def temperature(self) -> float:
        """The temperature the slider currently shows."""
        return self.temperatures[self.index]

    def _on_front_end_msg(self, _widget: object, content: dict, _buffers: object) -> None:
        """Answer the front end: 'ping' proves a kernel is there; 'sample' runs the sampler."""
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "ping":
            self.send({"type": "pong", "live": self._sampler is not None})
        elif kind == "sample" and self._sampler is not None:
            reply: dict[str, object] = {"type": "sample", "id": content.get("id")}
            try:
                temperature = float(content["temperature"])
                reply["text"] = str(self._sampler(temperature, str(content.get("prime", ""))))
                reply["temperature"] = temperature
            except Exception as e:  # shown in the widget: a live demo must not die on one bad prime
                reply["error"] = f"{type(e).__name__}: {e}"
            self.send(reply)


def _validate(
    samples: Mapping[float, str], measures: Mapping[str, Mapping[float, float | None]] | None
) -> tuple[list[float], list[str], list[list]]:
    """Sort by temperature and align every measure with the samples, or raise CharlabError."""
    if not isinstance(samples, Mapping) or not samples:
        raise CharlabError("TemperatureWidget needs at least one sample: pass {temperature: text, ...}")
    temps = sorted(_assets.finite(k, "a sample's temperature") for k in samples)
    if temps[0] < 0:
        raise CharlabError(f"temperatures must be >= 0, got {temps[0]}")
    by_temp = {float(k): v for k, v in samples.items()}
    texts = []
    for temp in temps:
        if not isinstance(by_temp[temp], str):
            raise CharlabError(f"the sample at T={temp} must be a str, got {type(by_temp[temp]).__name__}")
        texts.append(by_temp[temp])
    table: list[list] = []
    for name, values in (measures or {}).items():
        if not isinstance(values, Mapping):
            raise CharlabError(f"measure {name!r} must map temperature -> value, got {type(values).__name__}")
        got = {_assets.finite(k, f"a temperature of measure {name!r}"): v for k, v in values.items()}
        if set(got) != set(temps):
            missing = sorted(set(temps) - set(got))
            extra = sorted(set(got) - set(temps))
            raise CharlabError(
                f"measure {name!r} must have a value for exactly the sampled temperatures"
                f" (missing {missing}, extra {extra})"
            )
        table.append([str(name), [_assets.measure_value(got[tp], f"measure {name!r} at T={tp}") for tp in temps]])
    return temps, texts, table
