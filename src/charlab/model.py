"""The character-level language model of char-rnn, in PyTorch.

ids -> one-hot (or a learned embedding) -> a stack of RNN/GRU/LSTM layers -> dropout -> linear -> logits over the
next character. The recurrent stack is a single `nn.RNN`/`nn.GRU`/`nn.LSTM`, so PyTorch runs its fused kernels
(cuDNN on a GPU). `step` feeds one character at a time: the post's `y = rnn.step(x)`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import asdict, dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

from .errors import CharlabError

CELLS = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}

State = torch.Tensor | tuple[torch.Tensor, torch.Tensor]


@dataclass
class ModelConfig:
    vocab_size: int
    cell: str = "lstm"
    hidden_size: int = 128
    num_layers: int = 2
    dropout: float = 0.0
    embedding_dim: int = 0  # 0: one-hot input, as char-rnn
    init_range: float = 0.08  # char-rnn initialises every weight uniformly in [-0.08, 0.08]

    def __post_init__(self) -> None:
        if self.cell not in CELLS:
            raise CharlabError(f"unknown cell {self.cell!r}; use one of {', '.join(CELLS)}")
        if self.vocab_size < 1 or self.hidden_size < 1 or self.num_layers < 1:
            raise CharlabError("vocab_size, hidden_size and num_layers must be positive")
        if not 0 <= self.dropout < 1:
            raise CharlabError(f"dropout must be in [0, 1), got {self.dropout}")

    def to_dict(self) -> dict:
        return asdict(self)


class CharRNN(nn.Module):
    def __init__(self, config: ModelConfig):
        super().__init__()
        self.config = c = config
        if c.embedding_dim > 0:
            self.embed = nn.Embedding(c.vocab_size, c.embedding_dim)
            input_size = c.embedding_dim
        else:
            self.embed = None
            input_size = c.vocab_size
        extra = {"nonlinearity": "tanh"} if c.cell == "rnn" else {}
        self.rnn = CELLS[c.cell](
            input_size,
            c.hidden_size,
            c.num_layers,
            batch_first=True,
            dropout=c.dropout if c.num_layers > 1 else 0.0,
            **extra,
        )
        self.drop = nn.Dropout(c.dropout)  # after the top layer too: char-rnn drops out after every layer
        self.head = nn.Linear(c.hidden_size, c.vocab_size)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        r = self.config.init_range
        for p in self.parameters():
            nn.init.uniform_(p, -r, r)
        if self.config.cell == "lstm":
            # Forget-gate bias 1 (PyTorch's gate order is input, forget, cell, output) so early on the cell keeps
            # its memory by default; the two bias vectors add, so set one to 1 and the other to 0.
            h = self.config.hidden_size
            for name, p in self.rnn.named_parameters():
                if name.startswith("bias_ih"):
                    p.data[h : 2 * h] = 1.0
                elif name.startswith("bias_hh"):
                    p.data[h : 2 * h] = 0.0

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())

    def init_state(self, batch_size: int, device: torch.device | str | None = None) -> State:
        c = self.config
        device = device if device is not None else self.head.weight.device
        dtype = self.head.weight.dtype
        h = torch.zeros(c.num_layers, batch_size, c.hidden_size, device=device, dtype=dtype)
        return (h, torch.zeros_like(h)) if c.cell == "lstm" else h

    def _inputs(self, ids: torch.Tensor) -> torch.Tensor:
        if self.embed is not None:
            return self.embed(ids)
        return F.one_hot(ids, self.config.vocab_size).to(self.head.weight.dtype)

    def forward(self, ids: torch.Tensor, state: State | None = None) -> tuple[torch.Tensor, State]:
        """ids (B, T) -> logits (B, T, V) and the state after the last character."""
        if state is None:
            state = self.init_state(ids.shape[0], ids.device)
        out, state = self.rnn(self._inputs(ids), state)
        return self.head(self.drop(out)), state

    def step(self, ids: torch.Tensor, state: State | None = None) -> tuple[torch.Tensor, State]:
        """One character per sequence: ids (B,) -> logits (B, V). The post's `y = rnn.step(x)`."""
        logits, state = self.forward(ids.unsqueeze(1), state)
        return logits[:, 0], state


def detach_state(state: State, dtype: torch.dtype | None = None) -> State:
    """Cut the graph between chunks (truncated BPTT) while keeping the values (the carried hidden state), cast to
    `dtype` if given (a bf16 forward pass returns a bf16 state)."""
    if isinstance(state, tuple):
        return tuple(s.detach().to(dtype or s.dtype) for s in state)
    return state.detach().to(dtype or state.dtype)


@contextlib.contextmanager
def inference(model: nn.Module) -> Iterator[nn.Module]:
    """Evaluation mode (no dropout) and no gradients inside the block; the model's training mode is restored
    afterwards, also when the block raises. The one way sampling, scoring and the chapters switch a model to
    inference."""
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            yield model
    finally:
        model.train(was_training)
