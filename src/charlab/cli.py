"""`charlab train | sample | eval | presets` — the command line.

A user mistake (CharlabError), or a file system's refusal (OSError: read-only, full, a symbolic-link loop), is one
line on stderr and exit status 1, never a traceback; Ctrl-C exits 130 after training has saved its checkpoint.
"""

from __future__ import annotations

import argparse
import codecs
import math
import os
import signal
import sys
from collections.abc import Callable, Iterable
from dataclasses import fields
from pathlib import Path
from typing import Any

from .config import TrainConfig
from .errors import CharlabError, TrainingInterrupted
from .units import bits


def _resolve_data(arg: str, data_dir: str | None) -> Path:
    if Path(arg).exists():  # a path wins over a dataset name; read_text explains what is wrong with it
        return Path(arg)
    from .datasets import resolve_data_arg

    return resolve_data_arg(arg, Path(data_dir) if data_dir else None)


def _add_config_flags(parser: argparse.ArgumentParser) -> None:
    """One flag per TrainConfig field (`--hidden-size 256`); only flags actually given become overrides."""
    group = parser.add_argument_group("hyperparameters (override the preset)")
    for f in fields(TrainConfig):
        flag = "--" + f.name.replace("_", "-")
        if isinstance(f.default, bool):
            group.add_argument(flag, dest=f.name, action="store_true", default=argparse.SUPPRESS)
        else:
            group.add_argument(
                flag,
                dest=f.name,
                type=type(f.default),
                default=argparse.SUPPRESS,
                metavar=type(f.default).__name__.upper(),
            )


def cmd_train(args: argparse.Namespace) -> int:
    from .presets import get_preset
    from .runs import train_or_reuse

    config_names = {f.name for f in fields(TrainConfig)}
    overrides: dict[str, Any] = {k: v for k, v in vars(args).items() if k in config_names}
    if args.resume and args.force:
        raise CharlabError("--resume continues a run and --force replaces it: pass one of them")
    if args.resume and args.reuse:
        raise CharlabError("--reuse keeps a finished run as it is and --resume continues one: pass one of them")
    data = _resolve_data(args.data, args.data_dir)
    if args.resume:
        if args.preset is not None:
            raise CharlabError("--resume continues a run with its own config, which --preset cannot replace; change "
                               "single settings instead (e.g. --max-iters), or start a new run with a new --out")
        config = None
    elif args.preset is None:
        raise CharlabError("--preset is required to start a run (e.g. --preset cpu); see `charlab presets`")
    else:
        config = get_preset(args.preset)
    result, manifest = train_or_reuse(data, config, args.out, reuse=args.reuse, force=args.force,
                                      resume=args.resume, overrides=overrides, progress=not args.quiet)
    if manifest:
        print(f"reused: the finished run in {args.out} has the same config, data and training code (trained "
              f"{manifest['finished_utc']} in {manifest['train_s']:.0f} s on {manifest['device']}, "
              f"{manifest['iters']} iterations); nothing trained")
        return 0
    if os.environ.get("RANK", "0") != "0":  # under torchrun, rank 0 reports for all
        return 0
    final = result.metrics[-1]["val_loss"] if result.metrics else math.nan
    losses = ("no validation loss (no validation split)" if math.isnan(final) else
              f"final val loss {final:.4f} nats/char, best {result.best_val_loss:.4f} "
              f"({bits(result.best_val_loss):.4f} bits/char)")
    print(f"done: {result.iters} iterations ({result.epoch:.2f} epochs), {losses}; checkpoints in {result.run_dir}")
    return 0


def _note(note: str) -> None:
    if note:
        print(f"charlab: note: {note}", file=sys.stderr)


def cmd_sample(args: argparse.Namespace) -> int:
    from .checkpoint import load_checkpoint
    from .device import resolve_device
    from .sampling import beam_search, check_options, generate, start_ids

    ckpt = load_checkpoint(args.checkpoint, device=resolve_device(args.device))
    _note(ckpt.note)
    vocab = ckpt.vocab
    if args.beam:
        ignored = [f for f, given in (("--temperature", args.temperature != 1.0), ("--top-k", args.top_k is not None),
                                      ("--num", args.num != 1), ("--seed", args.seed is not None)) if given]
        if ignored:
            raise CharlabError(f"--beam finds the single most likely text: {', '.join(ignored)} cannot apply to it")
        if args.length < 0:
            raise CharlabError(f"--length must be >= 0, got {args.length}")
        text = beam_search(ckpt.model, vocab, args.length, args.beam, args.prime)
        return _write([[text]], args.prime, lambda s, final=False: s, num=1)
    check_options(args.temperature, args.top_k, args.length, args.num, held=args.num > 1)  # one sample streams
    start_ids(vocab, args.prime)  # an unknown character is refused before the prime is printed
    pieces = generate(ckpt.model, vocab, args.length, args.temperature, args.prime, args.num, args.top_k, args.seed)
    if vocab.byte_level:  # pieces are bytes as latin-1 characters; a UTF-8 character may straddle two pieces
        decoder = codecs.getincrementaldecoder("utf-8")("replace")
        render = lambda s, final=False: decoder.decode(s.encode("latin-1"), final)  # noqa: E731
    else:
        render = lambda s, final=False: s  # noqa: E731
    return _write(pieces, args.prime, render, num=args.num)


def _write(pieces: Iterable[list[str]], prime: str, render: Callable[..., str], num: int) -> int:
    """Print samples as they are generated: one sample streams to stdout; several are printed one after another
    once complete. Ctrl-C prints what exists so far; a closed pipe (`| head`) ends quietly; a failed write
    (a full disk) is one line."""
    done: list[list[str]] = [[] for _ in range(num)]

    def print_all() -> None:
        for i, parts in enumerate(done):
            print(f"--- sample {i + 1} ---\n{prime}{render(''.join(parts), final=True)}")

    try:
        if num == 1:
            sys.stdout.write(prime)
        for piece in pieces:
            if num == 1:
                sys.stdout.write(render(piece[0]))
                sys.stdout.flush()
            else:
                for i, p in enumerate(piece):
                    done[i].append(p)
        if num == 1:
            print(render("", final=True))
        else:
            print_all()
        sys.stdout.flush()
    except KeyboardInterrupt:
        if num > 1:
            print_all()
        print("\ncharlab: interrupted; the text above is what was generated so far", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader went away (`| head`): stop quietly, as Unix tools do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as e:
        raise CharlabError(f"cannot write the samples to standard output ({e.strerror})") from None
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from .checkpoint import load_checkpoint
    from .device import resolve_device
    from .evaluate import score_ids
    from .text import read_ids

    ckpt = load_checkpoint(args.checkpoint, device=resolve_device(args.device))
    _note(ckpt.note)
    ids, unseen = read_ids(args.file, ckpt.vocab, encoding_errors=args.encoding_errors, unseen=args.unseen)
    if len(ids) < 2:
        raise CharlabError(f"{args.file}: needs at least 2 characters{' the model knows' if unseen else ''} to "
                           "measure a loss")
    loss = score_ids(ckpt.model, ids)  # every character after the first
    print(
        f"{loss:.4f} nats/char  {bits(loss):.4f} bits/char  ({len(ids) - 1:,} predicted characters)"
    )
    if unseen:
        print(f"not scored: {sum(unseen.values()):,} character(s) the model never saw ({len(unseen)} distinct), "
              "left out of the text")
    return 0


def cmd_presets(args: argparse.Namespace) -> int:
    from .presets import get_preset, preset_names

    for name in preset_names():
        c = get_preset(name)
        print(
            f"{name:22s} {c.cell} {c.num_layers}x{c.hidden_size}  batch {c.batch_size}  seq {c.seq_len}  "
            f"dropout {c.dropout}  {c.optimizer} lr {c.lr}  "
            + (f"{c.max_iters} iters" if c.max_iters else f"{c.max_epochs:g} epochs")
        )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="charlab", description="Character-level RNN language models.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("train", help="train a model on a text file or a dataset name")
    p.add_argument("data", help="a text file, or a dataset name fetched by data_scripts/fetch.py")
    p.add_argument("--preset", help="smoke | cpu | blog, or an experiment preset such as pg-blog")
    p.add_argument("--out", required=True, help="run directory for checkpoints and metrics.jsonl")
    p.add_argument("--resume", action="store_true", help="continue the run in --out where it stopped")
    p.add_argument("--force", action="store_true", help="replace a run already in --out (its files are deleted)")
    p.add_argument("--reuse", action="store_true",
                   help="if --out holds a finished run of the same config, data and training code, keep it and train "
                        "nothing; otherwise train as usual")
    p.add_argument("--data-dir", help="where datasets live (default: ./data or $CHARLAB_DATA)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    _add_config_flags(p)
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("sample", help="generate text from a trained model")
    p.add_argument("checkpoint", help="a run directory or a .safetensors checkpoint")
    p.add_argument("--length", type=int, default=500)
    p.add_argument("--temperature", type=float, default=1.0, help="0 = argmax; below 1 safer, above 1 wilder")
    p.add_argument("--prime", default="", help="text that warms up the hidden state first")
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--num", type=int, default=1, help="independent samples, generated as one batch")
    p.add_argument("--top-k", type=int, default=None)
    p.add_argument("--beam", type=int, default=0, help="beam width: most likely text instead of sampling")
    p.add_argument("--device", default="cpu")
    p.set_defaults(func=cmd_sample)

    p = sub.add_parser("eval", help="loss of a trained model on a text file (nats and bits per character)")
    p.add_argument("checkpoint", help="a run directory or a .safetensors checkpoint")
    p.add_argument("file")
    p.add_argument("--encoding-errors", default="strict", choices=["strict", "replace"])
    p.add_argument("--unseen", default="error", choices=["error", "skip"],
                   help="characters the model never saw: refuse the file (error) or leave them out, score the rest "
                        "and report how many were not scored (skip)")
    p.add_argument("--device", default="cpu")
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("presets", help="list the training presets")
    p.set_defaults(func=cmd_presets)
    return parser


def main(argv: list[str] | None = None) -> int:
    try:  # from the first moment: a Ctrl-C while the command still imports torch is one line too
        args = build_parser().parse_args(argv)
        return args.func(args)
    except TrainingInterrupted as e:
        if os.environ.get("RANK", "0") == "0":  # under torchrun every rank stopped at the same iteration
            print(f"charlab: {e}", file=sys.stderr)
        return 130
    except CharlabError as e:
        print(f"charlab: error: {e}", file=sys.stderr)
        return 1
    except OSError as e:  # the file system refused (read-only, full, a symbolic-link loop): what and where
        print(f"charlab: error: {e.filename + ': ' if e.filename else ''}{e.strerror or e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("charlab: interrupted", file=sys.stderr)
        return 130


def entry() -> None:
    """The `charlab` program: `main`, then the exit. Python's exit handlers run after `main` has returned; a second
    Ctrl-C arriving then (a few milliseconds after the first) printed "Exception ignored in atexit callback", so the
    program ignores SIGINT once it has its exit status."""
    code = main()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    sys.exit(code)


if __name__ == "__main__":
    entry()
