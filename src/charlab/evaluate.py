"""The one way to score text: a model's mean cross-entropy on every character, the hidden state carried.

Training's validation loss, `charlab eval` and every chapter call `score_ids` (or `score_text`, `score_split`), so
one checkpoint on one text gives one number everywhere.

How a text is read. Each character is predicted from the characters before it. With a `context` (the text that
precedes the one being scored: the training split before the validation split, the newline before a name) the
first character is predicted from the end of the context; without one, the first character only starts the
state and is not scored. To use the batch, the scored characters are cut into `streams` contiguous pieces read
side by side. A piece that does not start the text first reads the `burn_in` characters before it without
scoring them, so its first prediction already comes from a warmed-up state, as it would in one long pass; the
pieces together score every character exactly once (a ragged last piece is padded, and the padding is not
scored). The default number of streams depends only on the number of scored characters, so two callers that
score the same text with the same model get the same number.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from .batching import split_ids
from .errors import CharlabError
from .model import CharRNN, State, inference
from .text import Vocab

BURN_IN = 128  # characters read, not scored, before a piece that starts inside the text
CHARS_PER_STREAM = 2048  # the default cuts the text into pieces of at least this many scored characters
MAX_STREAMS = 64
CHUNK = 256  # characters per forward call (memory, not the result)
IGNORE = -100  # F.cross_entropy's ignore_index: padding targets


def default_streams(scored: int) -> int:
    """How many side-by-side pieces `score_ids` cuts `scored` characters into unless told otherwise."""
    return max(1, min(MAX_STREAMS, scored // CHARS_PER_STREAM))


def _set_rows(state: State, rows: list[int], value: State) -> None:
    if isinstance(state, tuple):
        for s, v in zip(state, value, strict=True):
            s[:, rows] = v
    else:
        state[:, rows] = value


def score_ids(model: CharRNN, ids: Sequence[int] | np.ndarray, context: Sequence[int] | np.ndarray = (), *,
              max_chars: int = 0, streams: int | None = None, burn_in: int = BURN_IN) -> float:
    """Mean cross-entropy in nats/char of `model` on the characters `ids` (see the module docstring).

    `context`: ids of the text just before `ids` (only its last `burn_in` + 1 characters are read).
    `max_chars`: score about this many characters (0 = all): the pieces still start evenly across the whole
    text, and each scores only its first max_chars / streams characters, so a quick estimate samples all of the
    text (all of a validation split's plays, say) instead of its beginning. `streams`: the number of pieces
    read side by side (default `default_streams` of the characters scored); with a `burn_in` at least as long
    as the text it does not change the result.
    """
    if burn_in < 0 or max_chars < 0 or (streams is not None and streams < 1):
        raise CharlabError(f"burn_in and max_chars must be >= 0 and streams >= 1 "
                           f"(got {burn_in}, {max_chars}, {streams})")
    ids = np.asarray(ids)
    context = np.asarray(context, dtype=np.int64)[-(burn_in + 1):]

    def seq(a: int, b: int) -> torch.Tensor:
        """Characters a..b of the context followed by the text, as int64 (only a chunk is ever copied)."""
        c = len(context)
        parts = [context[a:min(b, c)], ids[max(a - c, 0) : max(b - c, 0)].astype(np.int64)]
        return torch.as_tensor(np.concatenate(parts))

    first = len(context) if len(context) else 1  # position of the first scored character
    end = len(context) + len(ids)
    available = end - first
    if available < 1:
        raise CharlabError(f"nothing to score: {end} character(s); a text needs at least 2 characters "
                           "(or 1 after a context)")
    wanted = min(max_chars, available) if max_chars else available
    n = min(streams or default_streams(wanted), wanted)
    stride = math.ceil(available / n)  # the pieces tile the whole text...
    starts = [first + k * stride for k in range(n)]
    starts = [s for s in starts if s < end]  # (rounding up may leave the last streams empty)
    n = len(starts)
    piece = stride if not max_chars else min(stride, math.ceil(wanted / n))  # ...and score a prefix each
    stops = [min(s + piece, end) for s in starts]
    scored = sum(b - a for a, b in zip(starts, stops, strict=True))

    device = model.head.weight.device
    with inference(model):
        total = _score_pieces(model, seq, starts, stops, piece, burn_in, device)
    return total / scored


def _score_pieces(model: CharRNN, seq: Callable[[int, int], torch.Tensor], starts: list[int], stops: list[int],
                  piece: int, burn_in: int, device: torch.device) -> float:
    """The summed loss of the pieces [starts[k], stops[k]), read CHUNK characters of each at a time."""
    n = len(starts)
    state = model.init_state(n, device)
    warm = [min(burn_in, s - 1) for s in starts]  # the first piece may have less (or no) text before it
    for b in sorted(set(warm) - {0}):
        rows = [k for k in range(n) if warm[k] == b]
        x = torch.stack([seq(starts[k] - 1 - b, starts[k] - 1) for k in rows]).to(device)
        _, st = model(x)
        _set_rows(state, rows, st)

    total = 0.0
    for c in range(0, piece, CHUNK):  # a chunk of every piece at a time: memory does not grow with the text
        width = min(CHUNK, piece - c)
        inputs = torch.zeros(n, width, dtype=torch.long)
        targets = torch.full((n, width), IGNORE, dtype=torch.long)
        for k, (s, stop) in enumerate(zip(starts, stops, strict=True)):
            a, b = s + c, min(s + c + width, stop)
            if a < b:
                inputs[k, : b - a] = seq(a - 1, b - 1)
                targets[k, : b - a] = seq(a, b)
        logits, state = model(inputs.to(device), state)
        total += F.cross_entropy(logits.reshape(-1, logits.shape[-1]).float(), targets.to(device).reshape(-1),
                                 ignore_index=IGNORE, reduction="sum").item()
    return total


def score_text(model: CharRNN, vocab: Vocab, text: str, context: str = "", **kwargs: int) -> float:
    """`score_ids` on a string: the mean cross-entropy (nats/char) of `text`, read after `context`."""
    return score_ids(model, vocab.encode(text), vocab.encode(context) if context else (), **kwargs)


def score_split(model: CharRNN, vocab: Vocab, text: str, val_frac: float, test_frac: float = 0.0,
                split: str = "val", max_chars: int = 0) -> float:
    """The loss on one split of `text` cut as training cuts it (`charlab.batching.split_ids`), read after the
    text that precedes the split. What training reports as `val_loss` when it scores the whole split."""
    if split not in ("val", "test"):
        raise CharlabError(f"unknown split {split!r}; use val or test")
    ids = vocab.encode(text)
    splits = split_ids(ids, val_frac, test_frac)
    before = len(splits["train"]) + (len(splits["val"]) if split == "test" else 0)
    if len(splits[split]) < 1:
        raise CharlabError(f"the {split} split of this text is empty (val_frac={val_frac}, test_frac={test_frac})")
    return score_ids(model, splits[split], ids[:before], max_chars=max_chars)


def score_passages(model: CharRNN, ids: np.ndarray, rows: int = 256) -> np.ndarray:
    """Each passage's own cross-entropy, character by character: `ids` (P passages x L characters) -> (P, L - 1)
    nats, where [p, j] is -log P(character j + 1 | characters 0..j of passage p). Every passage is read from the
    zero state (nothing before it), so its first character only starts the state and is not scored, as in
    `score_ids` without a context. `rows` passages are read side by side (memory, not the result)."""
    ids = np.asarray(ids)
    if ids.ndim != 2 or ids.shape[1] < 2:
        raise CharlabError(f"score_passages needs a (passages x length) array with length >= 2, got {ids.shape}")
    device = model.head.weight.device
    out = np.empty((ids.shape[0], ids.shape[1] - 1), dtype=np.float64)
    with inference(model):
        for a in range(0, len(ids), rows):
            x = torch.as_tensor(ids[a:a + rows], dtype=torch.long, device=device)
            logits, _ = model(x[:, :-1])
            nll = F.cross_entropy(logits.float().transpose(1, 2), x[:, 1:], reduction="none")
            out[a:a + rows] = nll.double().cpu().numpy()
    return out
