"""The character-level language models, in PyTorch: char-rnn's recurrent model and a small Transformer.

CharRNN: ids -> one-hot (or a learned embedding) -> a stack of RNN/GRU/LSTM layers -> dropout -> linear -> logits
over the next character. The recurrent stack is a single `nn.RNN`/`nn.GRU`/`nn.LSTM`, so PyTorch runs its fused
kernels (cuDNN on a GPU). `step` feeds one character at a time: the post's `y = rnn.step(x)`.

CharTransformer (`cell="transformer"`, for the readers who asked how this relates to today's language models): a
decoder-only Transformer as nanoGPT's, with rotary positions. It has no recurrent state; what it carries instead is
its context, the last `window` characters it read, so the trainer, scoring and sampling carry it exactly as they
carry an LSTM's state: training reads the previous chunk as context (without gradient), scoring slides a window of
`window` characters over the text, sampling rolls the context. `build(config)` makes either.
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
MODEL_TYPES = (*CELLS, "transformer")
NO_CHAR = -1  # a place in a Transformer's context that holds no character yet

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
    heads: int = 4  # Transformer: attention heads (hidden_size must be a multiple)
    window: int = 128  # Transformer: how many earlier characters each character attends to (its context)

    def __post_init__(self) -> None:
        if self.cell not in MODEL_TYPES:
            raise CharlabError(f"unknown cell {self.cell!r}; use one of {', '.join(MODEL_TYPES)}")
        if self.cell == "transformer" and (self.heads < 1 or self.window < 1 or self.hidden_size % self.heads
                                           or (self.hidden_size // self.heads) % 2):
            raise CharlabError(f"a transformer needs heads >= 1, window >= 1 and hidden_size a multiple of 2 x heads "
                               f"(got hidden_size {self.hidden_size}, heads {self.heads}, window {self.window})")
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
    `dtype` if given (a bf16 forward pass returns a bf16 state; a Transformer's context of ids stays ids)."""
    def one(s: torch.Tensor) -> torch.Tensor:
        return s.detach().to(dtype) if dtype is not None and s.is_floating_point() else s.detach()

    return tuple(one(s) for s in state) if isinstance(state, tuple) else one(state)


def zero_rows(state: State, rows: torch.Tensor) -> State:
    """`state` (layers x batch x hidden, or an LSTM's pair) with the streams `rows` set to zero."""
    if not rows.any():
        return state

    def one(s: torch.Tensor) -> torch.Tensor:  # a Transformer's context of ids: no character there any more
        return s.masked_fill(rows.to(s.device)[None, :, None], 0.0 if s.is_floating_point() else NO_CHAR)

    return tuple(one(s) for s in state) if isinstance(state, tuple) else one(state)


class CharTransformer(nn.Module):
    """nanoGPT's decoder-only Transformer over characters: embedding -> pre-norm blocks of causal self-attention and
    an MLP -> a final norm -> linear head, with rotary position embeddings so that a
    character's distance to another, not where a chunk happens to start, is what attention sees.

    The state it carries (layers-first like an RNN's, so the same code gathers, splits and resets it) is
    (1, batch, window) ids of the characters read last, NO_CHAR where there are none yet."""

    def __init__(self, config: ModelConfig):
        super().__init__()
        self.config = c = config
        self.embed = nn.Embedding(c.vocab_size, c.hidden_size)
        self.drop = nn.Dropout(c.dropout)
        self.blocks = nn.ModuleList(Block(c.hidden_size, c.heads, c.dropout) for _ in range(c.num_layers))
        self.norm = nn.LayerNorm(c.hidden_size)
        self.head = nn.Linear(c.hidden_size, c.vocab_size, bias=False)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        for name, p in self.named_parameters():
            if p.dim() > 1:
                residual = name.endswith(("attn_out.weight", "mlp.2.weight"))  # scaled as GPT-2 does
                nn.init.normal_(p, std=0.02 / (2 * self.config.num_layers) ** 0.5 if residual else 0.02)
            elif name.endswith("bias"):
                nn.init.zeros_(p)

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())

    def init_state(self, batch_size: int, device: torch.device | str | None = None) -> torch.Tensor:
        device = device if device is not None else self.head.weight.device
        return torch.full((1, batch_size, self.config.window), NO_CHAR, dtype=torch.long, device=device)

    def forward(self, ids: torch.Tensor, state: State | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """ids (B, T) read after the context `state` -> logits (B, T, V) and the context after the last character."""
        if state is None:
            state = self.init_state(ids.shape[0], ids.device)
        seq = torch.cat([state[0], ids], dim=1)  # (B, window + T): the context, then the new characters
        valid = seq != NO_CHAR
        x = self.drop(self.embed(seq.clamp(min=0)))
        mask = attention_mask(valid, self.config.window)
        cos, sin = rotary(seq.shape[1], self.config.hidden_size // self.config.heads, x.device)
        for block in self.blocks:
            x = block(x, mask, cos, sin)
        logits = self.head(self.norm(x[:, -ids.shape[1]:]))
        return logits, seq[None, :, -self.config.window:]

    def step(self, ids: torch.Tensor, state: State | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """One character per sequence: ids (B,) -> logits (B, V), the context rolled by one."""
        logits, state = self.forward(ids.unsqueeze(1), state)
        return logits[:, 0], state


def attention_mask(valid: torch.Tensor, window: int) -> torch.Tensor:
    """(B, 1, L, L) bool: position i attends to j when j <= i, i - j <= window and j holds a character; always to
    itself (so a place with no character has a defined, unused, output)."""
    L = valid.shape[1]
    i = torch.arange(L, device=valid.device)
    near = (i[None, :] <= i[:, None]) & (i[:, None] - i[None, :] <= window)
    return ((near[None] & valid[:, None, :]) | torch.eye(L, dtype=torch.bool, device=valid.device))[:, None]


def rotary(length: int, dim: int, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """cos and sin (length, dim / 2) of the rotary position embedding (RoFormer, base 10,000)."""
    inv = 1.0 / 10000 ** (torch.arange(0, dim, 2, device=device, dtype=torch.float32) / dim)
    angles = torch.arange(length, device=device, dtype=torch.float32)[:, None] * inv[None]
    return angles.cos(), angles.sin()


def rotate(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """x (B, heads, L, d) with each pair of its features rotated by its position's angle."""
    a, b = x[..., 0::2], x[..., 1::2]
    return torch.stack([a * cos - b * sin, a * sin + b * cos], dim=-1).flatten(-2)


class Block(nn.Module):
    """x + attention(norm(x)), then x + mlp(norm(x)): nanoGPT's block."""

    def __init__(self, width: int, heads: int, dropout: float):
        super().__init__()
        self.heads, self.dropout = heads, dropout
        self.norm1, self.norm2 = nn.LayerNorm(width), nn.LayerNorm(width)
        self.qkv = nn.Linear(width, 3 * width)
        self.attn_out = nn.Linear(width, width)
        self.mlp = nn.Sequential(nn.Linear(width, 4 * width), nn.GELU(), nn.Linear(4 * width, width))
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, mask: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
        B, L, W = x.shape
        q, k, v = self.qkv(self.norm1(x)).view(B, L, 3, self.heads, W // self.heads).permute(2, 0, 3, 1, 4)
        cos, sin = cos.to(q.dtype), sin.to(q.dtype)  # bf16 under autocast
        q, k = rotate(q, cos, sin), rotate(k, cos, sin)
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=self.dropout if self.training else 0)
        x = x + self.drop(self.attn_out(y.transpose(1, 2).reshape(B, L, W)))
        return x + self.drop(self.mlp(self.norm2(x)))


def build(config: ModelConfig) -> CharRNN | CharTransformer:
    """The model `config` describes: a CharTransformer for cell "transformer", else a CharRNN."""
    return CharTransformer(config) if config.cell == "transformer" else CharRNN(config)


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
