"""Where a model runs and in what precision: `--device` and `--precision` resolved against this machine."""

from __future__ import annotations

from pathlib import Path

import torch

from .config import check_device
from .errors import CharlabError
from .model import ModelConfig, build
from .provenance import cpu_has_fast_bf16

PRECISION_NAMES = {torch.float32: "fp32", torch.bfloat16: "bf16"}


def resolve_device(name: str) -> torch.device:
    """`auto` (a CUDA GPU if PyTorch sees one, else the CPU), `cpu`, `cuda` or `cuda:N`; one line for a GPU that
    is not here."""
    check_device(name)
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise CharlabError("--device cuda was asked for, but PyTorch sees no CUDA GPU here; use --device cpu")
    return torch.device(name)


def resolve_precision(name: str, device: torch.device) -> torch.dtype:
    """The dtype of the autocast region (the forward pass): bf16 for `bf16`, and for `auto` where the hardware
    runs bf16 matrix products fast (a GPU that supports it, a CPU with AVX512-BF16 or AMX); fp32 otherwise."""
    if name == "auto":
        fast = torch.cuda.is_bf16_supported() if device.type == "cuda" else cpu_has_fast_bf16()
        return torch.bfloat16 if fast else torch.float32
    return torch.bfloat16 if name == "bf16" else torch.float32


def available_bytes(device: torch.device) -> int | None:
    """Memory free for a new model: the GPU's free memory, or the machine's MemAvailable (None when unknown)."""
    if device.type == "cuda":
        return torch.cuda.mem_get_info(device)[0]
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def check_fits(what: str, need: int, device: torch.device, available: int | None = None) -> None:
    """One line, before anything is allocated, when `need` bytes will not fit in what `device` has free."""
    available = available_bytes(device) if available is None else available
    if available is not None and need > available:
        gib = 2**30
        raise CharlabError(f"{what} needs about {need / gib:,.1f} GiB, and the {device.type.upper()} has "
                           f"{available / gib:,.1f} GiB free: use a smaller --hidden-size, --num-layers or "
                           "--batch-size")


def check_training_fits(config: ModelConfig, optimizer: str, batch: int, seq_len: int, device: torch.device) -> None:
    """One line, before the model is built, when training it will not fit in memory: fp32 weights, gradients and the
    optimizer's moments (parameters counted on PyTorch's meta device: nothing is allocated), plus what
    backpropagation keeps of one batch (an RNN's gates and states of every step and layer, and the logits; a
    Transformer's attention keeps more, so its estimate is a floor)."""
    with torch.device("meta"):
        parameters = build(config).num_parameters()
    copies = 4 if optimizer == "adam" else 3
    activations = batch * seq_len * (config.num_layers * 6 * config.hidden_size + 2 * config.vocab_size)
    check_fits(f"training this {config.cell.upper()} {config.num_layers}x{config.hidden_size} ({parameters:,} "
               "parameters, their gradients and optimizer moments, and one batch's activations)",
               4 * (copies * parameters + activations), device)
