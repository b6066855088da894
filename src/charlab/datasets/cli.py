"""`python data_scripts/fetch.py NAME...` (= `python -m charlab.datasets NAME...`): fetch, list, verify.

Exit codes: 0 all good, 1 a fetch failed, 2 bad usage (unknown name...), 130 interrupted (Ctrl-C). Errors are
one line on stderr, never a traceback: a traceback here would be a bug.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import CharlabError
from .fetcher import fetch_dataset
from .paths import default_data_dir, get_entry, read_source
from .registry import DATASETS, human_size

PROG = "fetch.py"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, not usage + message
        raise CharlabError(f"{message} (see --help)")


def _status(name: str, data_dir: Path) -> str:
    folder = data_dir / name
    if not (folder / "input.txt").is_file():
        return "not fetched" + (" (partial download)" if (folder / ".partial").is_dir() else "")
    record = read_source(folder)
    if record is None:
        return "present (not fetched by charlab)"
    status = f"fetched ({record.get('source')})"
    if record.get("is_registry_file") is False:
        status += ", not the post's file"
    return status


def list_datasets(data_dir: Path) -> str:
    """The --list table: name, expected size, license, status (no hashing: fast)."""
    rows = [("name", "size", "status", "license")]
    for name, entry in DATASETS.items():
        label = name + (" (optional)" if entry.optional else "")
        rows.append((label, human_size(entry.size), _status(name, data_dir), entry.license))
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r[:3], widths, strict=True)) + "  " + r[3] for r in rows]
    return "\n".join([*lines, f"(data dir: {data_dir})"])


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog=PROG,
        description="Download, verify and prepare the datasets of Karpathy's RNN post into DATA_DIR/<name>/input.txt.",
        epilog="Examples: fetch.py tinyshakespeare | fetch.py --all --mirror ../shared/data | fetch.py --list",
    )
    p.add_argument("names", nargs="*", metavar="NAME", help=f"dataset(s): {', '.join(DATASETS)}")
    p.add_argument("--all", action="store_true", help="every dataset except the optional ones")
    p.add_argument("--list", action="store_true", help="show datasets: size, license, fetched or not")
    p.add_argument("--force", action="store_true", help="fetch again even if present and verified")
    p.add_argument("--data-dir", type=Path, help="where datasets go (default: $CHARLAB_DATA, else ./data)")
    p.add_argument(
        "--mirror",
        help="a directory or http(s) URL laid out as <name>/input.txt + SHA256SUMS, "
        "tried before upstream (default: $CHARLAB_DATA_MIRROR)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    return p


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    current = None
    try:
        args = build_parser().parse_args(argv)
        data_dir = args.data_dir if args.data_dir is not None else default_data_dir()
        if args.list:
            if args.names or args.all:
                raise CharlabError("--list takes no dataset names")
            print(list_datasets(data_dir))
            return 0
        if args.all and args.names:
            raise CharlabError("give dataset names or --all, not both")
        names = [n for n, e in DATASETS.items() if not e.optional] if args.all else args.names
        if not names:
            raise CharlabError("name a dataset, or use --all or --list (see --help)")
        for name in names:
            get_entry(name)  # all names checked before anything is downloaded
    except CharlabError as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return 2
    failed = 0
    try:
        for current in names:
            try:
                result = fetch_dataset(current, data_dir, args.mirror, args.force, progress=not args.quiet)
            except CharlabError as e:
                print(f"{PROG}: error: {e}", file=sys.stderr)
                failed += 1
                continue
            print(result.summary())
    except KeyboardInterrupt:
        print(
            f"{PROG}: interrupted while fetching {current!r}: nothing was installed; run the command again to resume",
            file=sys.stderr,
        )
        return 130
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
