"""Train/val/test splits and char-rnn's batching for truncated backpropagation through time.

Each split is laid out as `batch_size` long contiguous streams side by side; iteration i takes columns
[i*seq_len, (i+1)*seq_len) of every stream. Chunk i+1 of a stream continues exactly where chunk i ended, which is
what lets the hidden state be carried from one chunk to the next (truncated BPTT), as char-rnn does.
"""

from __future__ import annotations

import numpy as np
import torch

from .errors import CharlabError


def split_sizes(n: int, val_frac: float = 0.1, test_frac: float = 0.0) -> tuple[int, int, int]:
    """(train, val, test) lengths of the contiguous split of `n` characters that `split_ids` makes."""
    if not (0 <= val_frac < 1 and 0 <= test_frac < 1 and val_frac + test_frac < 1):
        raise CharlabError(
            f"bad split fractions val={val_frac} test={test_frac}: each in [0, 1), sum below 1"
        )
    n_test = int(round(n * test_frac))
    n_val = int(round(n * val_frac))
    return n - n_val - n_test, n_val, n_test


def num_chunks(n: int, batch_size: int, seq_len: int) -> int:
    """How many (batch_size x seq_len) chunks a split of `n` characters gives: the iterations of one epoch."""
    return (n - 1) // (batch_size * seq_len)


def split_ids(ids: np.ndarray, val_frac: float = 0.1, test_frac: float = 0.0) -> dict[str, np.ndarray]:
    """Contiguous train | val | test split. With test_frac=0 the val split is the last `val_frac` of the text,
    as in nanoGPT, so validation losses compare with its numbers."""
    n_train, n_val, _ = split_sizes(len(ids), val_frac, test_frac)
    return {
        "train": ids[:n_train],
        "val": ids[n_train : n_train + n_val],
        "test": ids[n_train + n_val :],
    }


class StreamBatcher:
    """`batch_size` contiguous streams of one split, walked in `seq_len` chunks; targets are inputs shifted by one."""

    def __init__(self, ids: np.ndarray, batch_size: int, seq_len: int, name: str = "text"):
        if batch_size < 1 or seq_len < 1:
            raise CharlabError(f"batch_size and seq_len must be positive (got {batch_size}, {seq_len})")
        need = batch_size * seq_len + 1
        if len(ids) < need:
            raise CharlabError(
                f"the {name} has {len(ids):,} characters, but batch_size={batch_size} x seq_len={seq_len} needs "
                f"at least {need:,}; use a longer text or smaller --batch-size/--seq-len"
            )
        self.batch_size, self.seq_len = batch_size, seq_len
        self.num_chunks = num_chunks(len(ids), batch_size, seq_len)
        stream_len = self.num_chunks * seq_len
        used = batch_size * stream_len
        ids = torch.as_tensor(np.asarray(ids, dtype=np.int64))
        self.inputs = ids[:used].view(batch_size, stream_len)
        self.targets = ids[1 : used + 1].view(batch_size, stream_len)

    def __len__(self) -> int:
        return self.num_chunks

    def chunk(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Inputs and targets of chunk i, each (batch_size, seq_len)."""
        cols = slice(i * self.seq_len, (i + 1) * self.seq_len)
        return self.inputs[:, cols], self.targets[:, cols]

    def __iter__(self):
        for i in range(self.num_chunks):
            yield self.chunk(i)


def reset_rows(chunk: int, every: int, batch: int) -> torch.Tensor:
    """Which of the `batch` streams start chunk `chunk` from the all-zero state (bool, batch): stream s every
    `every` chunks, shifted by s * every // batch, so the resets are spread over the streams and the chunks. A pure
    function of the chunk and the stream, so resuming and torchrun's ranks reset exactly as one process does."""
    if every <= 0:
        return torch.zeros(batch, dtype=torch.bool)
    offsets = torch.arange(batch) * every // batch
    return (chunk + offsets) % every == 0
