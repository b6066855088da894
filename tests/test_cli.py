"""Every user mistake is one line on stderr, a non-zero exit status, and no traceback."""

import errno
import os
import re
import subprocess
import sys

import pytest

from charlab.cli import main


def run(capsys, *argv):
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_one_line_error(code, err, pattern):
    assert code == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("charlab: error: "), err
    assert pattern in lines[0], lines[0]


def write(path, data):
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    "make, pattern",
    [
        (lambda d: d / "missing.txt", "no such file or dataset"),
        (lambda d: d, "is a directory, but a text file is expected"),
        (lambda d: write(d / "empty.txt", b""), "is empty"),
        (lambda d: write(d / "bad.txt", b"abc\xa9def"), "not valid UTF-8 at byte offset 3"),
    ],
    ids=["missing", "directory", "empty", "invalid-utf8"],
)
def test_train_input_errors(capsys, tmp_path, make, pattern):
    data = make(tmp_path)
    code, _, err = run(capsys, "train", str(data), "--preset", "smoke", "--out", str(tmp_path / "run"))
    assert_one_line_error(code, err, pattern)


def test_unknown_preset_and_dataset_suggest_a_name(capsys, text_file, tmp_path):
    code, _, err = run(capsys, "train", str(text_file), "--preset", "smoek", "--out", str(tmp_path / "r"))
    assert_one_line_error(code, err, "did you mean 'smoke'")
    code, _, err = run(capsys, "train", "shakespear", "--preset", "smoke", "--out", str(tmp_path / "r"))
    assert_one_line_error(code, err, "did you mean 'shakespeare'")


def test_missing_dataset_prints_the_fetch_command(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("CHARLAB_DATA", str(tmp_path / "data"))
    code, _, err = run(capsys, "train", "names", "--preset", "smoke", "--out", str(tmp_path / "r"))
    assert_one_line_error(code, err, "python data_scripts/fetch.py names")


def test_train_sample_eval_round_trip_and_prime_errors(capsys, text_file, tmp_path):
    run_dir = tmp_path / "run"
    code, out, _ = run(capsys, "train", str(text_file), "--preset", "smoke", "--out", str(run_dir), "--quiet",
                       "--max-iters", "10", "--hidden-size", "16")
    assert code == 0 and "done: 10 iterations" in out and "final val loss" in out and "best" in out
    code, _, err = run(capsys, "train", str(text_file), "--preset", "smoke", "--out", str(run_dir), "--quiet")
    assert_one_line_error(code, err, "already holds a run (config.json, metrics.jsonl, last.safetensors")
    code, _, err = run(capsys, "train", str(text_file), "--out", str(run_dir), "--resume", "--force")
    assert_one_line_error(code, err, "pass one of them")
    code, out, _ = run(capsys, "sample", str(run_dir), "--length", "30", "--seed", "1", "--num", "2",
                       "--prime", "The ")
    assert code == 0 and out.count("--- sample") == 2 and out.count("The ") >= 2
    code, out, _ = run(capsys, "eval", str(run_dir), str(text_file))
    assert code == 0 and "nats/char" in out and "bits/char" in out
    code, _, err = run(capsys, "sample", str(run_dir), "--prime", "Zebra§")
    assert_one_line_error(code, err, "not in the model's vocabulary")
    code, _, err = run(capsys, "sample", str(run_dir), "--temperature", "-0.5")
    assert_one_line_error(code, err, "temperature must be >= 0")
    code, _, err = run(capsys, "sample", str(tmp_path / "nowhere"))
    assert_one_line_error(code, err, "no such checkpoint")


def test_errors_from_a_real_process_have_no_traceback(tmp_path):
    done = subprocess.run([sys.executable, "-m", "charlab", "train", str(tmp_path), "--preset", "smoke",
                           "--out", str(tmp_path / "r")], capture_output=True, text=True)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr and done.stderr.count("\n") == 1


@pytest.mark.parametrize("flag, value, pattern", [
    ("--lr", "nan", "--lr must be a finite number"), ("--lr", "-1", "--lr must be above 0"),
    ("--weight-decay", "nan", "--weight-decay must be a finite number"),
    ("--min-lr-frac", "-5", "--min-lr-frac must be at least 0 and at most 1"),
    ("--embedding-dim", "-3", "--embedding-dim must be at least 0"),
    ("--warmup-iters", "-5", "--warmup-iters must be at least 0"), ("--grad-clip", "-1", "--grad-clip must be"),
    ("--max-time-s", "-5", "--max-time-s must be at least 0"),
    ("--eval-max-chunks", "-1", "--eval-max-chunks must be at least 0"),
    ("--seed", str(2**64), "--seed must be at least 0 and at most"), ("--device", "tpu", "unknown device 'tpu'"),
    ("--dropout", "1.5", "--dropout must be"), ("--val-frac", "inf", "--val-frac must be a finite number"),
])
def test_every_numeric_option_is_checked_before_training(capsys, text_file, tmp_path, flag, value, pattern):
    code, _, err = run(capsys, "train", str(text_file), "--preset", "smoke", "--out", str(tmp_path / "r"), flag, value)
    assert_one_line_error(code, err, pattern)
    assert not (tmp_path / "r").exists()  # nothing was started


def test_sampling_options_are_checked_and_gpu_is_a_preset(capsys, text_file, tmp_path):
    run_dir = tmp_path / "run"
    code, _, _ = run(capsys, "train", str(text_file), "--preset", "smoke", "--out", str(run_dir), "--quiet",
                     "--max-iters", "2", "--hidden-size", "8")
    assert code == 0
    for value, pattern in (("nan", "finite number"), ("inf", "finite number"), ("1e-300", "too close to 0")):
        code, _, err = run(capsys, "sample", str(run_dir), "--temperature", value)
        assert_one_line_error(code, err, pattern)
    code, _, err = run(capsys, "sample", str(run_dir), "--length", str(10**9), "--num", "64")
    assert_one_line_error(code, err, "ask for fewer or shorter samples")
    code, _, err = run(capsys, "sample", str(run_dir), "--seed", str(2**64))
    assert_one_line_error(code, err, "seed must be at least 0 and at most 2^63 - 1")
    for command in (("sample", str(run_dir)), ("eval", str(run_dir), str(text_file))):
        code, _, err = run(capsys, *command, "--device", "tpu")
        assert_one_line_error(code, err, "unknown device 'tpu'")
    code, out, err = run(capsys, "sample", str(run_dir), "--prime", "ab\x00")
    assert_one_line_error(code, err, "not in the model's vocabulary")
    assert out == ""  # the prime is not printed before it is refused
    code, out, _ = run(capsys, "train", str(text_file), "--preset", "gpu", "--out", str(tmp_path / "g"), "--quiet",
                       "--max-iters", "1", "--hidden-size", "8", "--num-layers", "1", "--batch-size", "2",
                       "--seq-len", "8", "--device", "cpu")
    assert code == 0 and "done: 1 iterations" in out


@pytest.fixture
def tiny_run(tmp_path, text_file):
    run_dir = tmp_path / "run"
    assert main(["train", str(text_file), "--preset", "smoke", "--out", str(run_dir), "--quiet", "--max-iters", "2",
                 "--hidden-size", "8", "--num-layers", "1"]) == 0
    return run_dir


def _sample_process(run_dir, *extra, stdout=subprocess.PIPE):
    return subprocess.Popen([sys.executable, "-m", "charlab", "sample", str(run_dir), *extra], stdout=stdout,
                            stderr=subprocess.PIPE, text=True)


def test_a_long_sample_streams_and_a_closed_pipe_ends_quietly(tiny_run):
    # 10^9 characters would take hours: the first ones must arrive at once, and `| head` must end it cleanly
    proc = _sample_process(tiny_run, "--length", str(10**9), "--seed", "1")
    first = proc.stdout.read(2000)
    proc.stdout.close()  # what `head -c 2000` does when it has enough
    assert len(first) == 2000
    assert proc.wait(timeout=60) == 0
    assert "Traceback" not in proc.stderr.read()


def test_ctrl_c_keeps_what_was_generated(tiny_run):
    import signal

    proc = _sample_process(tiny_run, "--length", str(10**9), "--seed", "1")
    head = proc.stdout.read(3000)
    proc.send_signal(signal.SIGINT)
    rest, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and len(head) == 3000
    assert "Traceback" not in err and "interrupted" in err and err.strip().count("\n") == 0


def test_a_full_disk_is_one_line(tiny_run):
    with open("/dev/full", "w") as full:
        proc = _sample_process(tiny_run, "--length", "5000", stdout=full)
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 1 and "Traceback" not in err
    assert err.strip().startswith("charlab: error: cannot write the samples") and err.strip().count("\n") == 0


def test_beam_refuses_sampling_options_it_cannot_apply(capsys, tiny_run):
    code, _, err = run(capsys, "sample", str(tiny_run), "--beam", "3", "--temperature", "0.5", "--num", "2")
    assert_one_line_error(code, err, "--temperature, --num cannot apply")
    code, _, err = run(capsys, "sample", str(tiny_run), "--beam", "3", "--length", "-5")
    assert_one_line_error(code, err, "--length must be >= 0")
    code, out, _ = run(capsys, "sample", str(tiny_run), "--beam", "2", "--length", "12", "--prime", "a")
    assert code == 0 and len(out.rstrip("\n")) == 13


def test_train_reuse_keeps_a_finished_identical_run_and_trains_otherwise(capsys, tmp_path, text_file):
    run_dir = tmp_path / "r"
    args = ("train", str(text_file), "--preset", "smoke", "--out", str(run_dir), "--quiet", "--max-iters", "2",
            "--hidden-size", "8", "--num-layers", "1", "--reuse")
    code, out, _ = run(capsys, *args)
    assert code == 0 and "done: 2 iterations" in out  # nothing to reuse yet: trained
    before = (run_dir / "last.safetensors").stat().st_mtime_ns
    code, out, _ = run(capsys, *args)
    assert code == 0 and out.startswith("reused: the finished run in") and "2 iterations); nothing trained" in out
    assert (run_dir / "last.safetensors").stat().st_mtime_ns == before
    code, _, err = run(capsys, *args, "--lr", "0.001")  # not the same run: the directory is protected as usual
    assert_one_line_error(code, err, "already holds a run (config.json, metrics.jsonl, last.safetensors, "
                          "best.safetensors, run.json) that cannot be reused: it was trained with another config "
                          "(lr 0.003 there, 0.001 here); pass --resume")
    code, _, err = run(capsys, *args, "--resume")
    assert_one_line_error(code, err, "--reuse keeps a finished run")


def test_an_out_that_cannot_be_written_is_one_line_and_the_last_checkpoint_survives(capsys, tmp_path, text_file,
                                                                                     monkeypatch):
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    args = ("train", str(text_file), "--preset", "smoke", "--quiet", "--max-iters", "2", "--hidden-size", "8")
    code, _, err = run(capsys, *args, "--out", str(tmp_path / "loop"))
    assert_one_line_error(code, err, "is a symbolic link that leads nowhere (broken, or a loop)")
    code, _, err = run(capsys, *args, "--out", str(tmp_path / "loop" / "run"))
    assert_one_line_error(code, err, "Too many levels of symbolic links")

    run_dir = tmp_path / "run"
    assert main([*args, "--out", str(run_dir)]) == 0
    good = (run_dir / "last.safetensors").read_bytes()

    def full_disk(tensors, filename, metadata=None):
        with open(filename, "wb") as f:
            f.write(b"half a checkpoint")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), filename)

    monkeypatch.setattr("charlab.checkpoint.save_file", full_disk)
    code, _, err = run(capsys, "train", str(text_file), "--out", str(run_dir), "--resume", "--max-iters", "4",
                       "--quiet")
    assert_one_line_error(code, err, ".safetensors (No space left on device); the checkpoint already there")
    assert (run_dir / "last.safetensors").read_bytes() == good and not list(run_dir.glob("*.tmp"))

    def read_only(self, *a, **k):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(self))

    monkeypatch.setattr("pathlib.Path.mkdir", read_only)
    code, _, err = run(capsys, *args, "--out", str(tmp_path / "new"))
    assert_one_line_error(code, err, "new: Read-only file system")


@pytest.mark.parametrize("damaged", ["last.safetensors", "best.safetensors"])
def test_reuse_trusts_no_truncated_checkpoint(capsys, tmp_path, text_file, damaged):
    run_dir = tmp_path / "r"
    args = ("train", str(text_file), "--preset", "smoke", "--out", str(run_dir), "--quiet", "--max-iters", "2",
            "--hidden-size", "8", "--num-layers", "1", "--reuse")
    assert run(capsys, *args)[0] == 0
    with open(run_dir / damaged, "r+b") as f:  # cut to 500 bytes: run.json alone would still call it finished
        f.truncate(500)
    code, _, err = run(capsys, *args)
    assert_one_line_error(code, err, f"that cannot be reused: its checkpoint {damaged} is not the file run.json "
                          "describes (changed or truncated)")
    code, out, _ = run(capsys, *args, "--force")  # replaced by a fresh run, which is then reused
    assert code == 0 and "done: 2 iterations" in out
    assert run(capsys, *args)[1].startswith("reused:")


def test_resume_says_when_it_goes_back_to_the_best_checkpoint(capsys, tmp_path, text_file):
    run_dir = tmp_path / "r"
    base = ("train", str(text_file), "--out", str(run_dir), "--quiet", "--max-iters")
    assert run(capsys, *base, "4", "--preset", "smoke", "--hidden-size", "8", "--eval-interval", "2")[0] == 0
    (run_dir / "last.safetensors").write_bytes(b"not a checkpoint")
    code, _, err = run(capsys, *base, "6", "--resume")
    assert code == 0
    assert err.startswith("charlab: note: last.safetensors cannot be loaded (") and err.count("\n") == 1
    assert "using best.safetensors instead: resuming from iteration " in err


def _resave(run_dir, **meta_changes):
    """Rewrite the run's checkpoints with some metadata changed (or removed, with None)."""
    import json as _json

    from safetensors import safe_open
    from safetensors.torch import save_file

    for name in ("last.safetensors", "best.safetensors"):
        path = run_dir / name
        with safe_open(str(path), "pt") as f:
            meta = _json.loads(f.metadata()["charlab"])
            tensors = {k: f.get_tensor(k) for k in f.keys()}
        for key, value in meta_changes.items():
            if value is None:
                meta.pop(key, None)
                tensors = {k: v for k, v in tensors.items() if not (key == "optimizer" and k.startswith("optim."))}
            else:
                meta[key] = value
        save_file(tensors, str(path), metadata={"charlab": _json.dumps(meta)})


@pytest.mark.parametrize("changes, pattern", [
    (dict(optimizer=None), "optimizer state missing or of the wrong kind"),  # a results model.safetensors
    (dict(train_config=None), "train_config missing or of the wrong kind"),
    (dict(iter="5"), "iter missing or of the wrong kind"),
    (dict(train_config=["lstm", 8]), "train_config missing or of the wrong kind"),
], ids=["weights-only", "no-config", "iter-string", "config-list"])
def test_resume_from_a_checkpoint_that_cannot_continue_a_run_is_one_line(capsys, tiny_run, text_file, changes,
                                                                         pattern):
    _resave(tiny_run, **changes)
    code, _, err = run(capsys, "train", str(text_file), "--out", str(tiny_run), "--resume", "--max-iters", "4")
    assert_one_line_error(code, err, f"cannot continue a run: {pattern}")


def test_ctrl_c_before_the_command_has_started_is_one_line(capsys, monkeypatch):
    def interrupted(*args, **kwargs):  # Ctrl-C while the command still imports torch, at a fixed point
        raise KeyboardInterrupt

    monkeypatch.setattr("charlab.cli.build_parser", interrupted)
    code, out, err = run(capsys, "presets")
    assert code == 130 and out == "" and err == "charlab: interrupted\n"


def test_a_second_ctrl_c_while_the_program_exits_is_ignored():
    # An exit handler that sends SIGINT to the process: the second Ctrl-C arriving after main() returned, at a
    # fixed point instead of a few milliseconds that a busy machine would make flaky.
    code = ("import atexit, os, signal, sys\n"
            "from charlab.cli import entry\n"
            "atexit.register(lambda: os.kill(os.getpid(), signal.SIGINT))\n"
            "sys.argv = ['charlab', 'presets']\n"
            "entry()\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "smoke" in done.stdout
    assert done.stderr == "", done.stderr  # no "Exception ignored in atexit callback ... KeyboardInterrupt"


def test_a_model_too_large_for_the_machine_is_refused_before_allocating(capsys, tmp_path, text_file):
    code, _, err = run(capsys, "train", str(text_file), "--preset", "smoke", "--out", str(tmp_path / "r"),
                       "--hidden-size", "100000", "--quiet")
    assert_one_line_error(code, err, "training this LSTM 1x100000 (")
    assert re.search(r"needs about [\d,.]+ GiB, and the CPU has [\d,.]+ GiB free: use a smaller --hidden-size", err)
    assert not (tmp_path / "r" / "last.safetensors").exists()


def test_a_text_too_short_for_a_validation_split_says_so(capsys, tmp_path):
    short = write(tmp_path / "two.txt", b"ab")
    code, out, err = run(capsys, "train", str(short), "--preset", "smoke", "--out", str(tmp_path / "r"), "--quiet",
                         "--max-iters", "2", "--batch-size", "1", "--seq-len", "1")
    assert code == 0, err
    assert "charlab: note: no validation split: 2 character(s) x val_frac 0.1 rounds to none" in err
    assert "no validation loss (no validation split)" in out and "nan" not in out and "inf" not in out


@pytest.mark.parametrize("temperature", ["1e300", "101"])
def test_a_temperature_that_would_sample_uniform_noise_is_refused(capsys, tiny_run, temperature):
    code, _, err = run(capsys, "sample", str(tiny_run), "--temperature", temperature, "--length", "5")
    assert_one_line_error(code, err, "every character becomes about equally likely (uniform noise)")
