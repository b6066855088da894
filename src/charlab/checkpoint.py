"""Checkpoints that are safe to load and move between machines.

One `.safetensors` file holds every tensor (weights, optimizer moments, the carried hidden state, RNG states) and,
in its JSON header, everything else (model config, vocabulary, training config, position, metrics). Loading never
unpickles anything, so a checkpoint downloaded from a stranger cannot run code; tensors are saved from CPU, so a
model trained on CUDA samples on a CPU-only machine without a conversion step. Files are written to a temporary
name and renamed, so a crash or Ctrl-C mid-write never leaves a half-written checkpoint.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors import safe_open
from safetensors.torch import save_file

from . import __version__
from .errors import CharlabError
from .model import CharRNN, ModelConfig
from .text import Vocab

FORMAT = "charlab-checkpoint-1"
LAST, BEST = "last.safetensors", "best.safetensors"
PICKLE_SUFFIXES = {".pt", ".pth", ".pkl", ".pickle", ".bin", ".ckpt", ".t7"}


@dataclass
class Checkpoint:
    model: CharRNN
    vocab: Vocab
    meta: dict[str, Any]
    tensors: dict[str, torch.Tensor] = field(default_factory=dict)

    def group(self, prefix: str) -> dict[str, torch.Tensor]:
        """The tensors saved under `prefix.`, with the prefix removed."""
        n = len(prefix) + 1
        return {k[n:]: v for k, v in self.tensors.items() if k.startswith(prefix + ".")}


def _flatten_optimizer(opt_state: dict) -> tuple[dict[str, torch.Tensor], dict]:
    tensors, plain = {}, {"param_groups": opt_state["param_groups"], "state": {}}
    for idx, entry in opt_state["state"].items():
        plain["state"][str(idx)] = {}
        for key, value in entry.items():
            if torch.is_tensor(value):
                tensors[f"optim.{idx}.{key}"] = value
            else:
                plain["state"][str(idx)][key] = value
    return tensors, plain


def _unflatten_optimizer(ckpt: Checkpoint) -> dict:
    plain = ckpt.meta["optimizer"]
    state: dict[int, dict] = {int(i): dict(entries) for i, entries in plain["state"].items()}
    for name, value in ckpt.group("optim").items():
        idx, key = name.split(".", 1)
        state.setdefault(int(idx), {})[key] = value
    return {"state": state, "param_groups": plain["param_groups"]}


def save_checkpoint(
    path: str | os.PathLike,
    model: CharRNN,
    vocab: Vocab,
    meta: dict[str, Any],
    optimizer: torch.optim.Optimizer | None = None,
    hidden: Any = None,
    rng: bool = True,
) -> Path:
    """Write atomically. `meta` is any JSON-able dict (training config, position, metrics...)."""
    path = Path(path)
    tensors = {f"model.{k}": v for k, v in model.state_dict().items()}
    meta = dict(
        meta,
        format=FORMAT,
        charlab_version=__version__,
        model_config=model.config.to_dict(),
        vocab=vocab.to_dict(),
    )
    if optimizer is not None:
        opt_tensors, meta["optimizer"] = _flatten_optimizer(optimizer.state_dict())
        tensors.update(opt_tensors)
    if hidden is not None:
        parts = hidden if isinstance(hidden, tuple) else (hidden,)
        tensors.update({f"hidden.{i}": h for i, h in enumerate(parts)})
        meta["hidden_parts"] = len(parts)
    if rng:
        tensors["rng.torch"] = torch.get_rng_state()
        if torch.cuda.is_available():
            tensors.update({f"rng.cuda.{i}": s for i, s in enumerate(torch.cuda.get_rng_state_all())})
    tensors = {k: v.detach().to("cpu").contiguous() for k, v in tensors.items()}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    save_file(tensors, str(tmp), metadata={"charlab": json.dumps(meta)})
    os.replace(tmp, path)
    return path


def resolve_checkpoint(path: str | os.PathLike, prefer: str = BEST) -> Path:
    """A run directory resolves to its best checkpoint (or `prefer`), falling back to the last one."""
    p = Path(path)
    if p.is_dir():
        for name in (prefer, LAST, BEST):
            if (p / name).is_file():
                return p / name
        raise CharlabError(f"{p}: no checkpoint in this directory (expected {BEST} or {LAST})")
    if not p.exists():
        raise CharlabError(f"{p}: no such checkpoint file or run directory")
    return p


def load_checkpoint(
    path: str | os.PathLike, device: str | torch.device = "cpu", prefer: str = BEST
) -> Checkpoint:
    p = resolve_checkpoint(path, prefer)
    refusal = (
        f"{p}: not a charlab checkpoint; charlab only loads .safetensors checkpoints it wrote and never "
        "unpickles files (a pickle can run arbitrary code)"
    )
    if p.suffix.lower() in PICKLE_SUFFIXES:
        raise CharlabError(refusal)
    try:
        with safe_open(str(p), framework="pt", device="cpu") as f:
            header = f.metadata() or {}
            tensors = {k: f.get_tensor(k) for k in f.keys()}
        meta = json.loads(header["charlab"])
    except Exception:
        raise CharlabError(refusal) from None
    if meta.get("format") != FORMAT:
        raise CharlabError(f"{p}: unsupported checkpoint format {meta.get('format')!r} (expected {FORMAT})")
    model = CharRNN(ModelConfig(**meta["model_config"]))
    weights = {k[6:]: v for k, v in tensors.items() if k.startswith("model.")}
    model.load_state_dict(weights)
    model.to(device)
    return Checkpoint(model=model, vocab=Vocab.from_dict(meta["vocab"]), meta=meta, tensors=tensors)


def restore_optimizer(ckpt: Checkpoint, optimizer: torch.optim.Optimizer) -> None:
    optimizer.load_state_dict(_unflatten_optimizer(ckpt))


def restore_hidden(ckpt: Checkpoint, device: torch.device | str):
    parts = [ckpt.tensors[f"hidden.{i}"].to(device) for i in range(ckpt.meta.get("hidden_parts", 0))]
    if not parts:
        return None
    return tuple(parts) if len(parts) > 1 else parts[0]


def restore_rng(ckpt: Checkpoint) -> None:
    if "rng.torch" in ckpt.tensors:
        torch.set_rng_state(ckpt.tensors["rng.torch"])
    cuda = [ckpt.tensors[k] for k in sorted(ckpt.tensors) if k.startswith("rng.cuda.")]
    if cuda and torch.cuda.is_available() and len(cuda) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all(cuda)
