import json
import math
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import fields

import pytest
import torch

from charlab.callbacks import Callback, SampleEvery
from charlab.checkpoint import LAST, load_checkpoint
from charlab.cli import main
from charlab.config import FIXED_ON_RESUME, RESUMABLE, TrainConfig
from charlab.errors import CharlabError
from charlab.presets import get_preset
from charlab.runs import load_metrics
from charlab.train import Trainer, TrainingInterrupted, train

TINY = TrainConfig(
    cell="lstm",
    hidden_size=24,
    num_layers=2,
    dropout=0.2,
    batch_size=4,
    seq_len=16,
    lr=3e-3,
    lr_schedule="cosine",
    max_iters=24,
    eval_interval=8,
    seed=7,
)


class Recorder(Callback):
    def __init__(self):
        self.losses = {}

    def on_iter_end(self, trainer, loss):
        self.losses[trainer.iter] = loss


class InterruptAt(Callback):
    """Delivers a real SIGINT to this process at a given iteration, as Ctrl-C would."""

    def __init__(self, at):
        self.at = at

    def on_iter_end(self, trainer, loss):
        if trainer.iter == self.at:
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.05)


def test_metrics_file_has_the_promised_fields(text_file, tmp_path):
    result = train(text_file, TINY, tmp_path / "run", progress=False)
    rows = load_metrics(tmp_path / "run")
    assert [r["iter"] for r in rows] == [0, 8, 16, 24]
    for key in ("iter", "epoch", "elapsed_s", "train_loss", "val_loss", "val_bpc", "chars_per_s"):
        assert key in rows[-1]
    assert rows[-1]["val_bpc"] == pytest.approx(rows[-1]["val_loss"] / math.log(2))
    assert rows[0]["val_loss"] == pytest.approx(math.log(len(set(text_file.read_text()))), rel=0.1)
    assert result.iters == 24 and rows[-1]["val_loss"] < rows[0]["val_loss"]


def test_seeded_cpu_training_is_reproducible(text_file, tmp_path):
    a, b = Recorder(), Recorder()
    train(text_file, TINY, tmp_path / "a", callbacks=[a], progress=False)
    train(text_file, TINY, tmp_path / "b", callbacks=[b], progress=False)
    assert a.losses == b.losses


def test_ctrl_c_then_resume_gives_the_same_losses(text_file, tmp_path):
    whole = Recorder()
    train(text_file, TINY, tmp_path / "whole", callbacks=[whole], progress=False)

    first = Recorder()
    with pytest.raises(TrainingInterrupted, match="interrupted at iteration 11; checkpoint saved"):
        train(text_file, TINY, tmp_path / "split", callbacks=[first, InterruptAt(11)], progress=False)
    assert load_checkpoint(tmp_path / "split", prefer=LAST).meta["iter"] == 11
    rest = Recorder()
    train(text_file, None, tmp_path / "split", resume=True, callbacks=[rest], progress=False)
    resumed = {**first.losses, **rest.losses}
    assert resumed.keys() == whole.losses.keys()
    for it, loss in whole.losses.items():
        assert resumed[it] == pytest.approx(loss, abs=1e-6), it
    assert [r["iter"] for r in load_metrics(tmp_path / "split")] == [0, 8, 16, 24]


def test_starting_over_an_existing_run_is_refused(text_file, tmp_path):
    train(text_file, TINY.with_overrides(max_iters=2), tmp_path / "run", progress=False)
    with pytest.raises(CharlabError, match=r"already holds a run \(config.json, .*\); pass --resume"):
        train(text_file, TINY, tmp_path / "run", progress=False)


def test_a_directory_with_a_run_is_not_overwritten_without_force(text_file, tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "best.safetensors").write_text("a checkpoint")  # a run's checkpoint: a run, replaced only with --force
    with pytest.raises(CharlabError, match=r"already holds a run \(best.safetensors\)"):
        train(text_file, TINY.with_overrides(max_iters=2), run, progress=False)
    assert (run / "best.safetensors").read_text() == "a checkpoint"  # nothing lost
    result = train(text_file, TINY.with_overrides(max_iters=2), run, progress=False, force=True)
    assert result.iters == 2 and [m["iter"] for m in load_metrics(run)] == [0, 2]
    with pytest.raises(CharlabError, match="is a file"):
        train(text_file, TINY, text_file, progress=False)


@pytest.mark.parametrize("files", [["config.json"], ["metrics.jsonl", "samples.jsonl"]])
@pytest.mark.parametrize("force", [False, True])
def test_files_of_a_runs_names_that_charlab_did_not_write_are_never_deleted(text_file, tmp_path, files, force):
    run = tmp_path / "run"
    run.mkdir()
    for name in files:
        (run / name).write_text("the user's own file")
    with pytest.raises(CharlabError, match=f"holds {', '.join(files)} but no run .* does not replace files it did not"):
        train(text_file, TINY.with_overrides(max_iters=2), run, progress=False, force=force)
    assert all((run / name).read_text() == "the user's own file" for name in files)  # nothing lost


def test_divergence_stops_before_the_good_checkpoint_is_overwritten(text_file, tmp_path):
    run = tmp_path / "run"
    train(text_file, TINY.with_overrides(max_iters=8, eval_interval=4), run, progress=False)
    good = (run / LAST).read_bytes()
    with pytest.raises(CharlabError, match=r"loss (diverged to .*above .*3 x ln V|became (nan|inf))"):
        train(text_file, None, run, resume=True, progress=False,
              overrides={"lr": 1e30, "max_iters": 40, "eval_interval": 1})
    assert (run / LAST).read_bytes() == good  # the diverged model was never saved


def test_non_finite_loss_stops_and_keeps_last_good_checkpoint(text_file, tmp_path):
    class Poison(Callback):
        def on_iter_end(self, trainer, loss):
            if trainer.iter == 10:
                with torch.no_grad():
                    trainer.model.head.bias.fill_(float("nan"))

    with pytest.raises(CharlabError, match="loss became nan at iteration 11"):
        train(text_file, TINY, tmp_path / "run", callbacks=[Poison()], progress=False)
    ckpt = load_checkpoint(tmp_path / "run", prefer=LAST)
    assert ckpt.meta["iter"] == 8
    assert all(torch.isfinite(p).all() for p in ckpt.model.parameters())


def test_tiny_model_overfits_a_short_string(tmp_path):
    path = tmp_path / "hello.txt"
    path.write_text("hello world, hello charlab. " * 40)
    config = TrainConfig(
        hidden_size=64,
        num_layers=1,
        batch_size=4,
        seq_len=32,
        lr=1e-2,
        lr_schedule="constant",
        max_iters=250,
        eval_interval=250,
        val_frac=0.0,
        grad_clamp=0.0,
        grad_clip=5.0,
    )
    trainer = Trainer(path, config, tmp_path / "run", progress=False)
    trainer.train()
    assert sum(trainer.train_losses[-10:]) / 10 < 0.05


def test_sample_every_callback_records_the_evolution(text_file, tmp_path):
    cb = SampleEvery(every=10, length=40, seed=3)
    train(text_file, TINY, tmp_path / "run", callbacks=[cb], progress=False)
    assert [s["iter"] for s in cb.samples] == [1, 10, 20]
    rows = [json.loads(x) for x in (tmp_path / "run" / "samples.jsonl").read_text().splitlines()]
    assert rows == cb.samples and all(len(r["sample"]) == 40 for r in rows)


def test_presets_and_overrides():
    assert get_preset("pg-blog").hidden_size == 512 and get_preset("shakespeare-blog").num_layers == 3
    assert get_preset("pg-gpu") == get_preset("pg-blog")
    with pytest.raises(CharlabError, match="did you mean 'smoke'"):
        get_preset("smok")
    with pytest.raises(CharlabError, match="did you mean 'hidden_size'"):
        TINY.with_overrides(hiden_size=3)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_a_stop_signal_to_a_training_subprocess_leaves_a_loadable_checkpoint(text_file, tmp_path, sig):
    run = tmp_path / "run"
    cmd = [
        sys.executable,
        "-m",
        "charlab",
        "train",
        str(text_file),
        "--preset",
        "smoke",
        "--out",
        str(run),
        "--max-iters",
        "1000000",
        "--eval-interval",
        "1000000",
        "--quiet",
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    while not (run / LAST).exists() and time.time() < deadline:
        time.sleep(0.1)
    time.sleep(1.0)  # let it train a little past the first checkpoint
    proc.send_signal(sig)  # Ctrl-C, a scheduler or `docker stop`, a closed terminal
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "checkpoint saved" in err and "Traceback" not in err
    ckpt = load_checkpoint(run, prefer=LAST)
    assert ckpt.meta["iter"] > 0


def test_cosine_schedule_anneals_over_a_time_budget(text_file, tmp_path):
    config = TINY.with_overrides(max_iters=10**6, max_time_s=1.5, warmup_iters=0)
    assert config.lr_at(10, 100, 10**6, elapsed_s=0.0) == pytest.approx(config.lr, rel=1e-3)  # early: full lr
    assert config.lr_at(10, 100, 10**6, elapsed_s=0.75) == pytest.approx(  # half the time: half the cosine
        config.lr * (config.min_lr_frac + (1 - config.min_lr_frac) * 0.5))
    assert config.lr_at(10, 100, 10**6, elapsed_s=1.5) == pytest.approx(config.lr * config.min_lr_frac)  # spent
    result = Trainer(text_file, config, tmp_path / "run", progress=False).train()
    assert result.stopped_by == "max_time_s" and result.iters < 10**6


def test_run_files_are_strict_json():
    import json as _json

    from charlab.config import to_json

    text = to_json({"val_loss": float("nan"), "lr": [1.0, float("inf")], "iter": 3})
    assert text == '{"val_loss": null, "lr": [1.0, null], "iter": 3}'
    _json.loads(text, parse_constant=lambda c: (_ for _ in ()).throw(ValueError(c)))  # no NaN/Infinity tokens


def test_precision_is_validated_and_auto_follows_the_hardware(monkeypatch):
    from charlab.device import resolve_precision

    with pytest.raises(CharlabError, match="unknown precision 'fp16'; use auto, fp32 or bf16"):
        TrainConfig(precision="fp16")
    cpu = torch.device("cpu")
    assert resolve_precision("fp32", cpu) == torch.float32 and resolve_precision("bf16", cpu) == torch.bfloat16
    monkeypatch.setattr("charlab.device.cpu_has_fast_bf16", lambda: True)
    assert resolve_precision("auto", cpu) == torch.bfloat16
    monkeypatch.setattr("charlab.device.cpu_has_fast_bf16", lambda: False)
    assert resolve_precision("auto", cpu) == torch.float32


def test_bf16_forward_pass_is_close_to_fp32_and_keeps_weights_and_loss_in_fp32():
    from charlab.train import build_model, forward_loss

    model = build_model(TINY, 12)
    x, y = torch.randint(12, (4, 16), generator=torch.Generator().manual_seed(0)).chunk(2, dim=1)
    loss32, _ = forward_loss(model, x, y, None)
    loss16, state = forward_loss(model, x, y, None, torch.bfloat16)
    assert loss16.dtype == torch.float32 and abs(loss16.item() - loss32.item()) < 0.02
    assert loss16.item() != loss32.item()  # the products really ran in bf16
    loss16.backward()
    assert all(p.dtype == torch.float32 and p.grad.dtype == torch.float32 for p in model.parameters())


def test_bf16_training_learns_records_its_precision_and_resumes(text_file, tmp_path):
    config = TINY.with_overrides(precision="bf16", dropout=0.0)
    train(text_file, config, tmp_path / "run", progress=False)
    rows = load_metrics(tmp_path / "run")
    assert rows[-1]["val_loss"] < rows[0]["val_loss"] - 0.3
    assert json.loads((tmp_path / "run" / "config.json").read_text())["precision"] == "bf16"
    assert json.loads((tmp_path / "run" / "run.json").read_text())["precision"] == "bf16"
    ckpt = load_checkpoint(tmp_path / "run", prefer=LAST)
    assert all(t.dtype == torch.float32 for t in ckpt.tensors.values() if t.is_floating_point())
    more = train(text_file, None, tmp_path / "run", resume=True, progress=False, overrides={"max_iters": 32})
    assert more.iters == 32


def test_every_training_option_is_either_resumable_or_fixed():
    names = {f.name for f in fields(TrainConfig)}
    assert not RESUMABLE & FIXED_ON_RESUME
    assert names <= RESUMABLE | FIXED_ON_RESUME, f"classify for --resume: {sorted(names - RESUMABLE - FIXED_ON_RESUME)}"


@pytest.mark.parametrize("override, pattern", [
    ({"hidden_size": 32}, "--hidden-size cannot change when a run is resumed (it is 24, asked 32)"),
    ({"cell": "gru"}, "--cell cannot change"), ({"dropout": 0.0}, "--dropout cannot change"),
    ({"batch_size": 16}, "--batch-size cannot change"), ({"optimizer": "rmsprop"}, "--optimizer cannot change"),
    ({"seed": 1}, "--seed cannot change"), ({"val_frac": 0.2}, "--val-frac cannot change"),
    ({"max_iters": 4}, "is at iteration 8 (epoch 0.20) and --max-iters 4 is not beyond it"),
    ({}, "--max-iters 8 is not beyond it"),  # a finished run resumed as it is
])
def test_resume_refuses_what_would_make_another_run(text_file, tmp_path, override, pattern):
    run = tmp_path / "run"
    train(text_file, TINY.with_overrides(max_iters=8), run, progress=False)
    before = {name: (run / name).read_bytes() for name in ("config.json", "metrics.jsonl", LAST)}
    with pytest.raises(CharlabError, match=re.escape(pattern)):
        train(text_file, None, run, resume=True, progress=False, overrides=override)
    assert before == {name: (run / name).read_bytes() for name in before}  # nothing touched


def test_resume_applies_and_records_what_may_change(text_file, tmp_path, capsys):
    run = tmp_path / "run"
    train(text_file, TINY.with_overrides(max_iters=8, weight_decay=0.0), run, progress=False)
    changes = {"max_iters": 12, "eval_interval": 2, "lr": 1e-3, "weight_decay": 0.1, "grad_clip": 1.0}
    trainer = Trainer(text_file, None, run, resume=True, progress=False, overrides=changes)
    assert all(group["weight_decay"] == 0.1 for group in trainer.optimizer.param_groups)
    result = trainer.train()
    assert result.iters == 12 and [m["iter"] for m in load_metrics(run)] == [0, 8, 10, 12]
    recorded = json.loads((run / "config.json").read_text())["train_config"]
    assert {k: recorded[k] for k in changes} == changes
    assert load_checkpoint(run, prefer=LAST).meta["train_config"]["max_iters"] == 12
    assert main(["train", str(text_file), "--out", str(run), "--resume", "--preset", "smoke"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "--preset cannot replace" in err


def test_state_resets_are_staggered_over_the_streams_and_a_pure_function_of_the_chunk():
    from charlab.batching import reset_rows
    from charlab.model import zero_rows

    rows = torch.stack([reset_rows(c, 4, 8) for c in range(8)])  # 8 streams, each reset every 4 chunks
    assert rows.sum(dim=0).tolist() == [2] * 8  # every stream twice in 8 chunks...
    assert rows.sum(dim=1).tolist() == [2] * 8  # ...and the resets spread evenly over the chunks
    assert rows[0].tolist() == [True, True, False, False, False, False, False, False]
    assert not reset_rows(3, 0, 8).any()  # 0: only at an epoch's start (char-rnn)
    h, c = torch.ones(2, 8, 3), torch.full((2, 8, 3), 2.0)
    zh, zc = zero_rows((h, c), rows[0])
    assert zh[:, :2].abs().sum() == 0 and zc[:, :2].abs().sum() == 0 and torch.equal(zc[:, 2:], c[:, 2:])


def test_a_config_saved_before_state_resets_existed_resumes_as_it_was_trained():
    from charlab.config import TrainConfig

    saved = {k: v for k, v in TINY.to_dict().items() if k != "state_reset_every"}
    assert TrainConfig.from_dict(saved).state_reset_every == 0
    assert TrainConfig.from_dict(TINY.to_dict()).state_reset_every == TINY.state_reset_every
