"""The Transformer model type (cell "transformer"): a core model trained, scored, sampled, checkpointed and resumed
through the same code as the LSTM."""

import math

import pytest
import torch
from torch.func import functional_call

from charlab.checkpoint import LAST, load_checkpoint, save_checkpoint
from charlab.config import TrainConfig
from charlab.errors import CharlabError
from charlab.evaluate import score_ids
from charlab.model import NO_CHAR, CharTransformer, ModelConfig, attention_mask
from charlab.runs import load_metrics
from charlab.sampling import sample
from charlab.train import train

TINY_T = TrainConfig(cell="transformer", hidden_size=16, num_layers=2, heads=2, window=8, dropout=0.0,
                     batch_size=4, seq_len=16, lr=3e-3, lr_schedule="constant", max_iters=24, eval_interval=8, seed=7,
                     device="cpu")


def tiny(window=8, layers=2, dtype=torch.float32):
    torch.manual_seed(0)
    return CharTransformer(ModelConfig(vocab_size=12, cell="transformer", hidden_size=16, num_layers=layers,
                                       heads=2, window=window)).to(dtype).eval()


def test_the_gradient_matches_finite_differences():
    model = tiny(dtype=torch.float64)
    ids = torch.randint(12, (2, 10), generator=torch.Generator().manual_seed(1))
    names = ["blocks.0.qkv.weight", "blocks.1.mlp.0.bias", "embed.weight"]
    params = dict(model.named_parameters())

    def loss(*values):
        logits, _ = functional_call(model, {**params, **dict(zip(names, values, strict=True))}, (ids[:, :-1],))
        return torch.nn.functional.cross_entropy(logits.reshape(-1, 12), ids[:, 1:].reshape(-1))

    assert torch.autograd.gradcheck(loss, tuple(params[n].detach().clone().requires_grad_() for n in names))


def test_each_character_attends_to_the_window_before_it_and_never_ahead():
    valid = torch.tensor([[False, True, True, True, True]])
    mask = attention_mask(valid, window=2)[0, 0]
    assert mask.tolist() == [[True, False, False, False, False],  # no character there: only itself
                             [False, True, False, False, False],
                             [False, True, True, False, False],
                             [False, True, True, True, False],
                             [False, False, True, True, True]]  # i - j <= 2: three characters


def test_the_carried_context_gives_the_whole_texts_logits_within_the_window():
    model = tiny(window=16)
    ids = torch.randint(12, (2, 30), generator=torch.Generator().manual_seed(2))
    whole, _ = model(ids)
    first, context = model(ids[:, :12])
    rest, _ = model(ids[:, 12:], context)
    chunked = torch.cat([first, rest], dim=1)
    torch.testing.assert_close(chunked[:, :17], whole[:, :17])  # every character whose window the chunks hold
    assert context.shape == (1, 2, 16) and (context[0, :, :4] == NO_CHAR).all()  # 12 read, 4 places still empty
    stepped, state = [], None
    for t in range(12):
        logits, state = model.step(ids[:, t], state)
        stepped.append(logits)
    torch.testing.assert_close(torch.stack(stepped, dim=1), whole[:, :12])
    torch.testing.assert_close(state, context)


def test_training_learns_resumes_exactly_and_round_trips_its_checkpoint(text_file, tmp_path):
    whole = train(text_file, TINY_T, tmp_path / "whole", progress=False)
    rows = load_metrics(tmp_path / "whole")
    assert rows[-1]["val_loss"] < rows[0]["val_loss"] - 0.3 and whole.iters == 24
    train(text_file, TINY_T.with_overrides(max_iters=12), tmp_path / "split", progress=False)
    train(text_file, None, tmp_path / "split", resume=True, progress=False, overrides={"max_iters": 24})
    split = {r["iter"]: r["val_loss"] for r in load_metrics(tmp_path / "split")}  # with one more evaluation, at 12
    assert [r["iter"] for r in rows] == [0, 8, 16, 24] and set(split) == {0, 8, 12, 16, 24}
    for r in rows:  # the run continued from its checkpoint (context, optimizer, position) reads the same
        assert split[r["iter"]] == pytest.approx(r["val_loss"], abs=1e-6), r["iter"]
    ckpt = load_checkpoint(tmp_path / "whole", prefer=LAST)
    assert isinstance(ckpt.model, CharTransformer) and ckpt.meta["hidden_parts"] == 1
    assert ckpt.tensors["hidden.0"].dtype == torch.int64 and ckpt.tensors["hidden.0"].shape == (1, 4, 8)
    again = load_checkpoint(save_checkpoint(tmp_path / "copy.safetensors", ckpt.model, ckpt.vocab, {"iter": 24}))
    ids = torch.as_tensor(ckpt.vocab.encode("the cat sat"))[None]
    torch.testing.assert_close(again.model(ids)[0], ckpt.model(ids)[0])
    text = "the cat sat on the mat " * 20
    ids = ckpt.vocab.encode(text)
    loss = score_ids(ckpt.model, ids)
    assert 0 < loss < math.log(len(ckpt.vocab)) and math.isfinite(loss)
    (s,) = sample(ckpt.model, ckpt.vocab, 40, 0.8, prime="the ", seed=0)
    assert len(s) == 40 and set(s) <= set(ckpt.vocab.chars)


def test_a_transformer_whose_width_does_not_split_into_heads_is_one_line():
    with pytest.raises(CharlabError, match="hidden_size a multiple of 2 x heads"):
        ModelConfig(vocab_size=5, cell="transformer", hidden_size=12, heads=4)


def test_the_cli_trains_and_samples_a_transformer(capsys, tmp_path, text_file):
    from charlab.cli import main

    out = tmp_path / "t"
    assert main(["train", str(text_file), "--preset", "smoke", "--cell", "transformer", "--hidden-size", "16",
                 "--heads", "2", "--window", "8", "--max-iters", "4", "--out", str(out), "--quiet"]) == 0
    assert "done: 4 iterations" in capsys.readouterr().out
    assert main(["sample", str(out), "--length", "20", "--seed", "1", "--prime", "a"]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("a") and len(printed) == 1 + 20 + 1  # the prime, 20 characters, a newline
