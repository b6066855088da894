import json

import matplotlib
import pytest

from charlab.callbacks import Callback
from charlab.experiments import run_experiment
from charlab.plots import plot_losses

matplotlib.use("Agg")


def test_run_experiment_trains_fresh_and_reports_provenance(text_file, tmp_path, monkeypatch):
    monkeypatch.setenv("CHARLAB_DATA", str(tmp_path / "data"))
    again = run_experiment("names", "smoke", data_path=text_file, progress=False, max_iters=6, eval_interval=3)
    assert again.run_dir.parent == tmp_path / "runs" and again.run_dir.name.startswith("names-smoke-")
    assert not again.reused and again.result.iters == 6 and [m["iter"] for m in again.metrics] == [0, 3, 6]
    text = again.summary()
    assert "LSTM 1x32" in text and "6 iterations" in text and "CPU" in text and "names-smoke" in text
    assert "reused" not in text
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


def _mtimes(run_dir):
    return {p.name: p.stat().st_mtime_ns for p in run_dir.iterdir()}


def test_a_finished_run_with_the_same_key_is_reused_and_any_change_retrains(text_file, tmp_path, monkeypatch):
    monkeypatch.setenv("CHARLAB_DATA", str(tmp_path / "data"))
    log = tmp_path / "runs.jsonl"
    monkeypatch.setenv("CHARLAB_RUN_LOG", str(log))
    kw = dict(data_path=text_file, progress=False, max_iters=4, eval_interval=2)
    first = run_experiment("names", "smoke", **kw)
    files = _mtimes(first.run_dir)
    again = run_experiment("names", "smoke", **kw)
    assert again.reused and again.run_dir == first.run_dir and _mtimes(again.run_dir) == files  # nothing trained
    assert again.metrics == first.metrics and again.result.best_val_loss == first.result.best_val_loss
    assert again.trained_utc == first.trained_utc and again.wall_s == first.wall_s
    assert f"a finished run reused, trained {first.trained_utc}" in again.summary()
    assert [json.loads(line)["reused"] for line in log.read_text().splitlines()] == [False, True]

    other = run_experiment("names", "smoke", **{**kw, "lr": 1e-3})  # another config: another run, trained
    assert not other.reused and other.run_dir != first.run_dir
    assert not run_experiment("names", "smoke", reuse=False, **kw).reused  # asked not to reuse
    assert not run_experiment("names", "smoke", callbacks=[Callback()], **kw).reused  # a callback must watch it
    assert run_experiment("names", "smoke", **kw).reused  # the retrained run is finished again

    monkeypatch.setattr("charlab.runs.training_code_sha256", lambda: "changed")  # the training code changed
    assert not run_experiment("names", "smoke", **kw).reused
    text_file.write_text(text_file.read_text() + "One more line.\n")  # the data changed
    changed = run_experiment("names", "smoke", **kw)
    assert not changed.reused and changed.run_dir != first.run_dir


def test_an_unfinished_run_is_trained_again(text_file, tmp_path, monkeypatch):
    monkeypatch.setenv("CHARLAB_DATA", str(tmp_path / "data"))
    kw = dict(data_path=text_file, progress=False, max_iters=4, eval_interval=2)
    first = run_experiment("names", "smoke", **kw)
    (first.run_dir / "run.json").unlink()  # e.g. killed before the end: no manifest
    assert not run_experiment("names", "smoke", **kw).reused
    (first.run_dir / "best.safetensors").unlink()  # a manifest whose checkpoint is gone
    assert not run_experiment("names", "smoke", **kw).reused


def test_a_corpus_is_split_as_its_experiment_trains(text_file, tmp_path, monkeypatch):
    from charlab.batching import split_ids
    from charlab.experiments import load_corpus
    from charlab.text import Vocab

    data = tmp_path / "data"
    (data / "names").mkdir(parents=True)
    (data / "names" / "input.txt").write_text(text_file.read_text())
    monkeypatch.setenv("CHARLAB_DATA", str(data))
    corpus = load_corpus("names", "smoke")
    vocab = Vocab.from_text(corpus.text)
    splits = split_ids(vocab.encode(corpus.text), corpus.config.val_frac, corpus.config.test_frac)
    assert vocab.decode(splits["train"].tolist()) == corpus.train and len(corpus.train) == corpus.n_train
    assert vocab.decode(splits["val"].tolist()) == corpus.held_out and len(corpus.held_out) == corpus.n_val > 0
    assert corpus.train + corpus.held_out == corpus.text and corpus.source == {}


def test_the_scale_ladder_draws_one_point_per_model_in_compute_order():
    from charlab.plots import scale_ladder

    ax = scale_ladder([("long", 2.6e7, 0.63), ("cpu", 2.9e6, 0.41)], "real-word share", target=0.8)
    line = ax.lines[0]
    assert list(line.get_xdata()) == [2.9e6, 2.6e7] and list(line.get_ydata()) == [0.41, 0.63]
    assert ax.get_xscale() == "log" and [t.get_text() for t in ax.texts][:2] == ["cpu", "long"]
    assert len(ax.lines) == 2  # the points and the level at which the claim holds


def test_best_iter_and_chars_to_best_of_a_runs_metrics():
    from charlab.config import TrainConfig
    from charlab.experiments import best_iter, chars_to_best

    rows = [{"iter": 0, "val_loss": 3.0}, {"iter": 50, "val_loss": 1.0}, {"iter": 100, "val_loss": 2.0},
            {"iter": 120, "val_loss": None}, {"iter": 130, "train_loss": 0.5}]  # no val_loss: skipped
    assert best_iter(rows) == 50
    assert best_iter([{"iter": 10, "val_loss": 1.0}, {"iter": 20, "val_loss": 1.0}]) == 10  # a tie: the first
    assert best_iter([]) == 0 and best_iter([{"iter": 5, "val_loss": None}]) == 0  # nothing validated yet
    config = TrainConfig(batch_size=32, seq_len=64)
    assert chars_to_best(config, rows) == 50 * 32 * 64 == 102_400
    assert chars_to_best(config, rows, world_size=4) == 409_600  # torchrun: every process reads a batch
    assert chars_to_best(config, []) == 0


def test_results_dir_is_the_checkouts_wherever_the_data_lives(tmp_path, monkeypatch):
    from pathlib import Path

    from charlab import experiments
    from charlab.experiments import checkout_root, committed_results, results_dir

    repo = Path(experiments.__file__).resolve().parents[2]  # the checkout charlab is imported from: src/charlab/..
    assert (repo / "pyproject.toml").is_file() and (repo / "data_scripts" / "fetch.py").is_file()
    monkeypatch.delenv("CHARLAB_RESULTS", raising=False)
    monkeypatch.setenv("CHARLAB_DATA", str(tmp_path / "work" / "data"))  # a temporary data folder, as in CI
    assert checkout_root() == repo
    assert results_dir() == repo / "results"
    assert committed_results("linux", "long") == repo / "results" / "long" / "linux"
    # results/ beside the data folder's parent, when there is one, is that project's (the blog runner's tests)
    (tmp_path / "work" / "results").mkdir(parents=True)
    assert results_dir() == tmp_path / "work" / "results"
    # an explicit folder wins
    monkeypatch.setenv("CHARLAB_RESULTS", str(tmp_path / "mine"))
    assert committed_results("pg") == tmp_path / "mine" / "blog" / "pg"
    # an installed charlab (site-packages, Colab's pip install) has no checkout: results/ beside the data folder
    monkeypatch.delenv("CHARLAB_RESULTS")
    (tmp_path / "work" / "results").rmdir()
    monkeypatch.setattr(experiments, "__file__", str(tmp_path / "lib" / "site-packages" / "charlab" / "x.py"))
    assert checkout_root() is None
    assert results_dir() == tmp_path / "work" / "results"
