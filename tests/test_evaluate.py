"""The one scoring path: known answers (a uniform model, a character-by-character loop), stream independence,
context, limits, and the trainer's validation loss being the same number as scoring the split afterwards."""

import math
import subprocess
import sys

import numpy as np
import pytest
import torch

from charlab.checkpoint import load_checkpoint
from charlab.cli import main
from charlab.config import TrainConfig
from charlab.errors import CharlabError
from charlab.evaluate import default_streams, score_ids, score_passages, score_split, score_text
from charlab.model import CharRNN, CharTransformer, ModelConfig
from charlab.text import Vocab
from charlab.train import Trainer


def _model(vocab_size: int, cell: str = "lstm", layers: int = 2, seed: int = 0) -> CharRNN:
    torch.manual_seed(seed)
    return CharRNN(ModelConfig(vocab_size=vocab_size, cell=cell, hidden_size=16, num_layers=layers))


def _loop_loss(model: CharRNN, ids: list[int]) -> float:
    """The definition, one character at a time: -log p(ids[t] | ids[:t]) averaged over t >= 1."""
    model.eval()
    total, state = 0.0, None
    with torch.no_grad():
        for t in range(len(ids) - 1):
            logits, state = model.step(torch.tensor([ids[t]]), state)
            total -= torch.log_softmax(logits[0].double(), -1)[ids[t + 1]].item()
    return total / (len(ids) - 1)


def test_a_uniform_model_scores_exactly_ln_v():
    model = _model(7)
    with torch.no_grad():
        model.head.weight.zero_()
        model.head.bias.zero_()
    ids = np.random.default_rng(0).integers(0, 7, 5000)
    assert score_ids(model, ids) == pytest.approx(math.log(7), abs=1e-6)
    assert score_ids(model, ids, streams=9) == pytest.approx(math.log(7), abs=1e-6)


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_one_stream_is_the_character_by_character_definition(cell):
    model = _model(5, cell)
    ids = np.random.default_rng(1).integers(0, 5, 700).tolist()
    assert score_ids(model, ids, streams=1) == pytest.approx(_loop_loss(model, ids), abs=1e-5)


def test_streams_with_a_full_burn_in_give_the_one_stream_number_and_every_character_counts():
    model = _model(6)
    ids = np.random.default_rng(2).integers(0, 6, 1001)  # 1,000 scored characters: ragged pieces for 7 streams
    one = score_ids(model, ids, streams=1)
    for streams in (2, 7, 64):
        assert score_ids(model, ids, streams=streams, burn_in=2000) == pytest.approx(one, abs=1e-5)
    # with the default burn-in the pieces forget the far past: close, not equal
    assert score_ids(model, ids, streams=7) == pytest.approx(one, abs=0.02)


def test_context_predicts_the_first_character_and_max_chars_limits():
    vocab = Vocab.from_text("abc\n")
    model = _model(len(vocab))
    text = "abcab\ncab\n"
    ids = vocab.encode("\n" + text)
    with torch.no_grad():
        logits, _ = model.eval()(torch.tensor(ids[:-1])[None])
        expected = torch.nn.functional.cross_entropy(logits[0], torch.tensor(ids[1:])).item()
    assert score_text(model, vocab, text, context="\n") == pytest.approx(expected, rel=1e-5)
    assert score_text(model, vocab, "\n" + text) == pytest.approx(expected, rel=1e-5)  # same characters scored
    first3 = torch.nn.functional.cross_entropy(logits[0, :3], torch.tensor(ids[1:4])).item()
    assert score_text(model, vocab, text, context="\n", max_chars=3) == pytest.approx(first3, rel=1e-5)
    # an untrained model is close to uniform: about ln(V) nats per character
    assert abs(score_text(model, vocab, text * 5, context="\n") - math.log(len(vocab))) < 0.2
    with pytest.raises(CharlabError, match="nothing to score"):
        score_text(model, vocab, "a")
    with pytest.raises(CharlabError):
        score_text(model, vocab, "", context="")


def test_scoring_leaves_the_model_in_its_mode_and_the_default_streams_depend_on_length_only():
    model = _model(4).train()
    score_ids(model, [0, 1, 2, 3] * 10)
    assert model.training
    assert default_streams(10) == 1 and default_streams(2048 * 5) == 5 and default_streams(10**9) == 64


def test_training_reports_the_number_scoring_the_split_gives(text_file, tmp_path):
    config = TrainConfig(hidden_size=16, num_layers=1, batch_size=4, seq_len=16, max_iters=6, eval_interval=3,
                         device="cpu", val_frac=0.2)
    trainer = Trainer(text_file, config, tmp_path / "run", progress=False)
    trainer.train()
    text = text_file.read_text()
    again = score_split(trainer.model, trainer.vocab, text, config.val_frac, config.test_frac)
    assert trainer.metrics[-1]["val_loss"] == pytest.approx(again, abs=1e-6)
    with pytest.raises(CharlabError, match="unknown split"):
        score_split(trainer.model, trainer.vocab, text, 0.2, split="train")


def test_a_limited_score_samples_the_whole_text_evenly():
    vocab_size = 5
    model = _model(vocab_size)
    rng = np.random.default_rng(3)
    ids = rng.integers(0, vocab_size, 8000)
    # the text's second half is a different "play": constant characters the untrained model finds surprising
    # to a different degree; a limited score must see both halves, not only the start
    ids[4000:] = 4
    full = score_ids(model, ids, streams=8)
    limited = score_ids(model, ids, streams=8, max_chars=800)  # 100 characters from each of 8 pieces
    first_half_only = score_ids(model, ids[:4001], streams=8)
    assert abs(limited - full) < abs(first_half_only - full)
    # each piece scores a prefix of its own stretch: with one stream that is the first max_chars characters
    assert score_ids(model, ids, streams=1, max_chars=10) == pytest.approx(
        score_ids(model, ids[:11], streams=1), abs=1e-6)


def _tiny_run(text_file, run_dir, cell="lstm"):
    config = TrainConfig(cell=cell, hidden_size=8, num_layers=1, batch_size=4, seq_len=16, max_iters=2, device="cpu")
    Trainer(text_file, config, run_dir, progress=False).train()
    return load_checkpoint(run_dir)


def test_eval_skips_unseen_characters_only_when_asked_and_reports_them_apart(capsys, text_file, tmp_path):
    ckpt = _tiny_run(text_file, tmp_path / "run")
    held_out = tmp_path / "held_out.txt"
    held_out.write_text("The cat§ sat on\nthe mat.\n" * 20 + "ZZ€", encoding="utf-8")
    assert main(["eval", str(tmp_path / "run"), str(held_out)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "3 character(s) not in the model's vocabulary" in err and "--unseen skip" in err
    assert main(["eval", str(tmp_path / "run"), str(held_out), "--unseen", "skip"]) == 0
    out = capsys.readouterr().out.splitlines()
    kept = "The cat sat on\nthe mat.\n" * 20
    expected = score_text(ckpt.model, ckpt.vocab, kept)
    assert out[0].startswith(f"{expected:.4f} nats/char") and f"({len(kept) - 1:,} predicted characters)" in out[0]
    assert out[1] == "not scored: 23 character(s) the model never saw (3 distinct), left out of the text"


def test_eval_memory_does_not_grow_with_the_file(text_file, tmp_path):
    """Scoring a file holds about one byte per character (the ids), not the ~24 of a whole-text int64 copy and
    whole-text input and target tensors: 3 MB of text adds under 36 MB (it added 115 MB) to the process's peak."""
    _tiny_run(text_file, tmp_path / "run", cell="rnn")  # the fastest cell: the test is about memory
    big = tmp_path / "big.txt"
    big.write_bytes(text_file.read_bytes() * (3_000_000 // text_file.stat().st_size))
    run_dir = str(tmp_path / "run")
    probe = (
        "from charlab.cli import main\n"
        "def status(key):\n"
        "    line = next(x for x in open('/proc/self/status') if x.startswith(key))\n"
        "    return int(line.split()[1]) * 1024\n"
        f"assert main(['eval', {run_dir!r}, {str(text_file)!r}]) == 0\n"  # everything lazy is loaded now
        "open('/proc/self/clear_refs', 'w').write('5')\n"  # resets the peak (VmHWM) to the current RSS
        "before = status('VmRSS')\n"
        f"assert main(['eval', {run_dir!r}, {str(big)!r}]) == 0\n"
        "print('EXTRA', status('VmHWM') - before)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    extra, size = int(done.stdout.split("EXTRA")[1]), big.stat().st_size
    assert extra < 12 * size, f"eval of {size:,} characters took {extra:,} bytes more"


def test_score_passages_reads_each_passage_alone_from_the_zero_state():
    rng = np.random.default_rng(3)
    ids = rng.integers(0, 9, size=(5, 12))
    torch.manual_seed(0)
    transformer = CharTransformer(ModelConfig(vocab_size=9, cell="transformer", hidden_size=16, num_layers=2,
                                              heads=2, window=4))
    for model in (_model(9), _model(9, cell="gru", layers=1), transformer):
        got = score_passages(model, ids, rows=2)  # rows: 3 batches, the last ragged
        assert got.shape == (5, 11)
        for p in range(5):  # the one scoring path on each passage, and for an RNN the definition, step by step
            assert got[p].mean() == pytest.approx(score_ids(model, ids[p], streams=1), abs=1e-5)
            if model is not transformer:  # (stepping a Transformer past its window narrows its deeper layers' view)
                assert got[p].mean() == pytest.approx(_loop_loss(model, ids[p].tolist()), abs=1e-5)
    with pytest.raises(CharlabError, match="length >= 2"):
        score_passages(_model(9), ids[:, :1])
