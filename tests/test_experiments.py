import matplotlib
import pytest

from charlab.experiments import run_experiment
from charlab.plots import plot_losses

matplotlib.use("Agg")


def test_run_experiment_trains_fresh_and_reports_provenance(text_file, tmp_path, monkeypatch):
    monkeypatch.setenv("CHARLAB_DATA", str(tmp_path / "data"))
    first = run_experiment("names", "smoke", data_path=text_file, progress=False, max_iters=6, eval_interval=3)
    assert first.run_dir == tmp_path / "runs" / "names-smoke"
    again = run_experiment("names", "smoke", data_path=text_file, progress=False, max_iters=6,
                           eval_interval=3)  # a second run replaces the first instead of refusing
    assert again.result.iters == 6 and [m["iter"] for m in again.metrics] == [0, 3, 6]
    text = again.summary()
    assert "LSTM 1x32" in text and "6 iterations" in text and "CPU" in text and "names-smoke" in text
    assert again.load().vocab.chars == tuple(sorted(set(text_file.read_text())))
    ax = plot_losses(again.metrics, anchors={"reference": 1.5})
    assert len(ax.lines) == 3




def test_heldout_loss_of_the_best_checkpoint_is_the_best_val_loss(text_file, tmp_path, monkeypatch):
    monkeypatch.setenv("CHARLAB_DATA", str(tmp_path / "data"))
    run = run_experiment("names", "smoke", data_path=text_file, progress=False, max_iters=6, eval_interval=3,
                         eval_max_chunks=0)  # validate on the whole split, as the chapters score it
    best = min(m["val_loss"] for m in run.metrics)
    assert run.heldout_loss() == pytest.approx(best, abs=1e-6)
    assert run.heldout_loss("last.safetensors") == pytest.approx(run.metrics[-1]["val_loss"], abs=1e-6)
