"""Checkpoints that are safe to load and move between machines.

One `.safetensors` file holds every tensor (weights, optimizer moments, the carried hidden state, RNG states) and,
in its JSON header, everything else (model config, vocabulary, training config, position, metrics). Loading never
unpickles anything, so a checkpoint downloaded from a stranger cannot run code; tensors are saved from CPU, so a
model trained on CUDA samples on a CPU-only machine without a conversion step. Files are written to a temporary
name and renamed, so a crash or Ctrl-C mid-write never leaves a half-written checkpoint.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save_file

from . import __version__
from .errors import CharlabError
from .model import CharRNN, CharTransformer, ModelConfig, build
from .text import Vocab

FORMAT = "charlab-checkpoint-1"
LAST, BEST = "last.safetensors", "best.safetensors"
PICKLE_SUFFIXES = {".pt", ".pth", ".pkl", ".pickle", ".bin", ".ckpt", ".t7"}


@dataclass
class Checkpoint:
    model: CharRNN | CharTransformer
    vocab: Vocab
    meta: dict[str, Any]
    tensors: dict[str, torch.Tensor] = field(default_factory=dict)
    note: str = ""  # set when a run directory's preferred checkpoint was unusable and the other one was loaded

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
    model: CharRNN | CharTransformer,
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
    tmp = path.with_name(path.name + ".tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        save_file(tensors, str(tmp), metadata={"charlab": json.dumps(meta)})
        os.replace(tmp, path)
    except (OSError, SafetensorError) as e:  # a full or read-only disk: the previous checkpoint is still whole
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        reason = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
        raise CharlabError(f"cannot write {path} ({reason}); the checkpoint already there, if any, is unchanged") \
            from None
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


_MODEL_KEYS = {"vocab_size": int, "cell": str, "hidden_size": int, "num_layers": int, "dropout": float,
               "embedding_dim": int, "init_range": float, "heads": int, "window": int}
_ADDED_KEYS = {"heads", "window"}  # a checkpoint written before the Transformer may lack these (defaults apply)
_LIMITS = {"vocab_size": 1 << 20, "hidden_size": 1 << 16, "num_layers": 64, "embedding_dim": 1 << 16,
           "heads": 1 << 10, "window": 1 << 20}
_FLOAT_DTYPES = {"F32": torch.float32, "BF16": torch.bfloat16, "F16": torch.float16, "F64": torch.float64}


def _check_header(meta: Any) -> tuple[ModelConfig, Vocab]:
    """The model config and vocabulary of a checkpoint header, every field checked before anything is built: the
    exact keys and types of the config, sizes within limits, a vocabulary of unique sorted characters whose length
    is the config's vocab_size. Raises CharlabError naming the first problem."""
    if not isinstance(meta, dict):
        raise CharlabError("its header is not a JSON object")
    if meta.get("format") != FORMAT:
        raise CharlabError(f"unsupported checkpoint format {meta.get('format')!r} (expected {FORMAT})")
    cfg = meta.get("model_config")
    if isinstance(cfg, dict) and set(cfg) < set(_MODEL_KEYS) and set(_MODEL_KEYS) - set(cfg) <= _ADDED_KEYS:
        cfg = {**{k: getattr(ModelConfig(vocab_size=1), k) for k in _ADDED_KEYS}, **cfg}
    if not isinstance(cfg, dict) or set(cfg) != set(_MODEL_KEYS):
        found = sorted(cfg) if isinstance(cfg, dict) else type(cfg).__name__
        raise CharlabError(f"its model_config must have exactly the keys {sorted(_MODEL_KEYS)}, found {found}")
    for key, kind in _MODEL_KEYS.items():
        value = cfg[key]
        ok = isinstance(value, kind) and not isinstance(value, bool) or (kind is float and type(value) is int)
        if not ok:
            raise CharlabError(f"its model_config.{key} must be {kind.__name__}, got {value!r}")
        if key in _LIMITS and not (0 if key == "embedding_dim" else 1) <= value <= _LIMITS[key]:
            raise CharlabError(f"its model_config.{key} = {value} is out of range")
    vocab = meta.get("vocab")
    if not isinstance(vocab, dict) or not isinstance(vocab.get("chars"), str) \
            or not isinstance(vocab.get("byte_level", False), bool):
        raise CharlabError("its vocab must be an object with a string 'chars' and a boolean 'byte_level'")
    chars = vocab["chars"]
    if list(chars) != sorted(set(chars)):
        raise CharlabError("its vocabulary is not a sorted list of distinct characters")
    if len(chars) != cfg["vocab_size"]:
        raise CharlabError(f"its vocabulary has {len(chars)} characters but the model predicts {cfg['vocab_size']}")
    try:
        config = ModelConfig(**cfg)
    except (CharlabError, TypeError, ValueError) as e:
        raise CharlabError(f"its model_config is invalid: {e}") from None
    if not 0 < config.init_range < 10:
        raise CharlabError(f"its model_config.init_range = {config.init_range} is out of range")
    return config, Vocab(tuple(chars), vocab.get("byte_level", False))


def _read(p: Path) -> Checkpoint:
    """Load one file, validating the header and every model tensor's shape and dtype against the config before
    the model is built or a weight is read (a crafted header cannot make charlab allocate what the file lacks)."""
    try:
        f = safe_open(str(p), framework="pt", device="cpu")
    except Exception:
        raise CharlabError("not a safetensors file (charlab only loads .safetensors checkpoints it wrote and never "
                           "unpickles files: a pickle can run arbitrary code)") from None
    with f:
        try:
            meta = json.loads((f.metadata() or {})["charlab"])
        except (KeyError, ValueError):
            raise CharlabError("a safetensors file without a charlab header (not a charlab checkpoint)") from None
        config, vocab = _check_header(meta)
        with torch.device("meta"):  # shapes only: nothing is allocated
            expected = {f"model.{k}": v for k, v in build(config).state_dict().items()}
        keys = set(f.keys())
        missing = sorted(set(expected) - keys)
        extra = sorted(k for k in keys - set(expected) if k.startswith("model."))
        if missing or extra:
            raise CharlabError(f"its weights do not match its model_config ({config.cell} {config.num_layers}x"
                               f"{config.hidden_size}): " + (f"missing {missing[:3]}" if missing else
                                                             f"unexpected {extra[:3]}"))
        for k, t in expected.items():
            piece = f.get_slice(k)
            if tuple(piece.get_shape()) != tuple(t.shape):
                raise CharlabError(f"tensor {k} has shape {tuple(piece.get_shape())}, the config needs "
                                   f"{tuple(t.shape)}")
            if piece.get_dtype() not in _FLOAT_DTYPES:
                raise CharlabError(f"tensor {k} has dtype {piece.get_dtype()}, expected a floating-point type")
        tensors = {k: f.get_tensor(k) for k in keys}
    weights = {k[6:]: tensors[k].float() for k in expected}
    bad = next((k for k, v in weights.items() if not torch.isfinite(v).all()), None)
    if bad:
        raise CharlabError(f"tensor model.{bad} holds NaN or infinite values")
    model = build(config)
    model.load_state_dict(weights)
    return Checkpoint(model=model, vocab=vocab, meta=meta, tensors=tensors)


def load_checkpoint(
    path: str | os.PathLike, device: str | torch.device = "cpu", prefer: str = BEST
) -> Checkpoint:
    """Load and validate a checkpoint file, or a run directory's `prefer` checkpoint. In a run directory a corrupt
    or invalid checkpoint falls back to the other one (best <-> last) and says so in `Checkpoint.note`."""
    p = resolve_checkpoint(path, prefer)
    if p.suffix.lower() in PICKLE_SUFFIXES:
        raise CharlabError(f"{p}: not a charlab checkpoint; charlab only loads .safetensors checkpoints it wrote "
                           "and never unpickles files (a pickle can run arbitrary code)")
    try:
        ckpt = _read(p)
    except CharlabError as e:
        other = p.with_name(LAST if p.name == BEST else BEST)
        if not Path(path).is_dir() or not other.is_file():
            raise CharlabError(f"{p}: {e}") from None
        try:
            ckpt = _read(other)
        except CharlabError:
            raise CharlabError(f"{p}: {e} (and {other.name} cannot be loaded either)") from None
        ckpt.note = f"{p.name} cannot be loaded ({e}); using {other.name} instead"
    ckpt.model.to(device)
    return ckpt


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


def check_resumable(ckpt: Checkpoint, run_dir: Path) -> None:
    """One line when the checkpoint cannot continue a run: weights alone (a results `model.safetensors` copied in),
    or a position or training config of the wrong kind."""
    m = ckpt.meta
    kinds = {"train_config": dict, "iter": int, "epoch": (int, float), "elapsed_s": (int, float)}
    wrong = [k for k, kind in kinds.items() if not isinstance(m.get(k), kind) or isinstance(m.get(k), bool)]
    if not isinstance(m.get("optimizer"), dict) or not isinstance(m["optimizer"].get("state"), dict):
        wrong.append("optimizer state")
    if wrong:
        raise CharlabError(f"the checkpoint in {run_dir} cannot continue a run: {', '.join(wrong)} missing or of the "
                           "wrong kind (a checkpoint that training wrote holds them; a results model.safetensors holds "
                           "weights only): sample from it, or start a new run")
    if m["iter"] < 0:
        raise CharlabError(f"the checkpoint in {run_dir} cannot continue a run: iteration {m['iter']} is negative")
