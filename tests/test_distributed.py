"""Data-parallel training under torchrun: 2 CPU processes with half the batch each train the same model as one
process with the whole batch (gloo), write the same checkpoint, and resume like one process."""

import json
import os
import subprocess
import sys

import pytest
import torch
from safetensors import safe_open

from charlab.cli import main
from charlab.runs import load_metrics

ARGS = ("--preset", "smoke", "--quiet", "--device", "cpu", "--hidden-size", "16", "--num-layers", "1",
        "--dropout", "0.0", "--batch-size", "4", "--seq-len", "16", "--eval-interval", "1")


def torchrun(*args: str, nproc: int = 2) -> subprocess.CompletedProcess:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={nproc}",
           "-m", "charlab", *args]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=240)


def tensors(path):
    with safe_open(str(path), "pt") as f:
        return {k: f.get_tensor(k) for k in f.keys()}, json.loads(f.metadata()["charlab"])


def assert_same_checkpoint(a, b):
    ta, ma = tensors(a)
    tb, mb = tensors(b)
    assert ta.keys() == tb.keys()
    for k in ta:  # weights, optimizer moments, the carried state of all 4 streams
        if ta[k].is_floating_point():
            torch.testing.assert_close(ta[k], tb[k], atol=1e-5, rtol=1e-4, msg=k)
        else:
            assert torch.equal(ta[k], tb[k]), k
    assert ma["iter"] == mb["iter"]


TRANSFORMER = ("--cell", "transformer", "--heads", "2", "--window", "8")


def test_a_transformer_trains_in_two_processes_like_in_one(text_file, tmp_path):
    # Not resumed under torchrun here: a resumed 2-process Transformer run can hang at its very end (a rank's main
    # thread frees the DDP reducer, joining gloo's worker thread, which waits for the GIL to free the last
    # all_gather's tensors; py-spy stack in the session notes). charlab.process.Ranks._hold made it rarer
    # (15 of 15 tries passed on an idle machine) but CI, loaded, still hung once: not fixed yet.
    one, two = tmp_path / "one", tmp_path / "two"
    assert main(["train", str(text_file), "--out", str(one), "--max-iters", "4", *ARGS, *TRANSFORMER]) == 0
    done = torchrun("train", str(text_file), "--out", str(two), "--max-iters", "4", *ARGS, *TRANSFORMER)
    assert done.returncode == 0, done.stderr[-2000:]
    for x, y in zip(load_metrics(one), load_metrics(two), strict=True):
        assert x["val_loss"] == pytest.approx(y["val_loss"], abs=1e-5)
    assert_same_checkpoint(one / "last.safetensors", two / "last.safetensors")  # the contexts of all 4 streams too


def test_two_processes_with_half_the_batch_each_train_like_one(text_file, tmp_path):
    one, two = tmp_path / "one", tmp_path / "two"
    assert main(["train", str(text_file), "--out", str(one), "--max-iters", "6", *ARGS]) == 0
    done = torchrun("train", str(text_file), "--out", str(two), "--max-iters", "3", *ARGS)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.count("done: 3 iterations") == 1  # rank 0 alone reports
    assert json.loads((two / "config.json").read_text())["world_size"] == 2
    assert json.loads((two / "run.json").read_text())["world_size"] == 2
    resumed = torchrun("train", str(text_file), "--out", str(two), "--resume", "--max-iters", "6")
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    a, b = load_metrics(one), load_metrics(two)
    assert [m["iter"] for m in a] == [m["iter"] for m in b] == list(range(7))
    for x, y in zip(a, b, strict=True):  # every iteration's loss of the whole batch, and validation
        assert x["val_loss"] == pytest.approx(y["val_loss"], abs=1e-5)
        if x["train_loss"] is not None:
            assert x["train_loss"] == pytest.approx(y["train_loss"], abs=1e-5)
    assert_same_checkpoint(one / "last.safetensors", two / "last.safetensors")
    assert_same_checkpoint(one / "best.safetensors", two / "best.safetensors")


def test_a_batch_the_processes_cannot_share_stops_every_rank_with_one_line(text_file, tmp_path):
    done = torchrun("train", str(text_file), "--out", str(tmp_path / "r"), "--max-iters", "2",
                    *ARGS, "--batch-size", "3")
    assert done.returncode == 1  # a user's mistake, as in one process
    assert "charlab: error: --batch-size 3 cannot be shared by 2 processes: use a multiple of 2" in done.stderr
    assert "Traceback (most recent call last)" not in done.stderr.split("charlab: error")[0]
    assert done.stderr.index("charlab: error") < done.stderr.index("FAILED")  # charlab's line, then torchrun's box

