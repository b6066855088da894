"""Interactive figures for the book that keep working in the static HTML.

Each widget is an anywidget whose data (samples, measures, loss curve) is embedded in its model state, and
whose front end (plain JavaScript, no external libraries) switches between precomputed views. So when the book
is built from executed notebooks, the slider still works in the browser with no kernel and no network; in a
live kernel the same widget can also compute on demand.

DOM contract (relied on by tests/browser/): every widget renders a root element with
`data-charlab-widget="<kind>"` (``temperature``, ``evolution`` or ``neurons``) that contains one
``input[type=range]`` and one ``.charlab-sample`` element that changes when the slider moves: its text, or for
``neurons`` its colouring (the background of its character spans).

With an in-page model (`model_data.export_model`, passed as `model=`), the temperature widget also samples in the
browser from a typed prime and the neuron browser reads pasted text (lstm.js: the LSTM's forward pass in plain
typed-array JavaScript); their DOM contract is at the top of temperature.js and neurons.js.
"""

from charlab.widgets.evolution import EvolutionWidget
from charlab.widgets.neurons import NeuronWidget
from charlab.widgets.temperature import TemperatureWidget

__all__ = ["EvolutionWidget", "NeuronWidget", "TemperatureWidget"]
