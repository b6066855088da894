"""Command line: `python -m charlab.book {execute,check-stale,colab-cells,scoreboard,check-toc}`.

  execute [NB...] --scale cpu [--output-dir DIR] [--timeout S]
      Execute notebooks (default: notebooks/*.ipynb) in place, or into DIR (CI: leave committed ones alone).
  check-stale [NB...]
      Exit 1 naming each notebook whose code cells differ from the code that produced its outputs, or whose
      outputs differ from what that execution produced; a page listed in notebooks/awaiting-execution.json
      passes with a warning (charlab.book.awaiting).
  await NB... --reason TEXT
      List pages as awaiting execution and show the note on each (executing a page in place removes both).
  colab-cells [NB...] [--check]
      Write every chapter's Colab setup cell from _config.yml's repository.url (--check: exit 1 on a mismatch).
  scoreboard [--check]
      Write book/scoreboard.md and the intro's verdict counts from the claims the chapters recorded.
  check-toc
      Exit 1 naming each _toc.yml entry that has no file.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from charlab.book import awaiting, colab, scoreboard
from charlab.book.execute import NotebookFailed, check_metadata, execute_notebook, read_notebook
from charlab.book.stamp import stale_reason
from charlab.book.toc import check_chapters, check_toc
from charlab.errors import CharlabError
from charlab.presets import CHAPTER_SCALE_NAMES
from charlab.provenance import format_duration

REPO = Path(__file__).resolve().parents[3]  # src/charlab/book/__main__.py -> repository root


def _notebooks(given: list[str]) -> list[Path]:
    paths = [Path(p) for p in given] or sorted(Path("notebooks").glob("*.ipynb"))
    if not paths:
        raise CharlabError("no notebooks given and none in ./notebooks: name them or run from the repo root")
    for p in paths:
        read_notebook(p)  # every file is a notebook before anything runs: one line names the first that is not
    return paths


def cmd_execute(args: argparse.Namespace) -> int:
    notebooks = _notebooks(args.notebooks)
    for path in notebooks:  # every notebook's metadata is usable before the first of them runs for hours
        check_metadata(path, read_notebook(path))
    if args.output_dir:
        if len({p.name for p in notebooks}) != len(notebooks):
            raise CharlabError("two notebooks share a file name: use separate --output-dir folders")
        _output_dir(Path(args.output_dir))
    failures = []
    for path in notebooks:
        output = Path(args.output_dir) / path.name if args.output_dir else path
        print(f"{path}: executing at scale {args.scale} ...", end="", flush=True)
        try:
            wall, _ = execute_notebook(path, scale=args.scale, output=output, timeout=args.timeout, repo=REPO)
        except NotebookFailed as e:
            print(f" FAILED at {'cell ' + str(e.cell) if e.cell else 'kernel'}: {e.reason}", flush=True)
            failures.append(e)
            continue
        print(f" done in {format_duration(wall)} -> {output}", flush=True)
        if output == path:
            awaiting.remove(path)
    for e in failures:
        print(f"error: {e}", file=sys.stderr)
    return 1 if failures else 0


def _output_dir(folder: Path) -> None:
    """Create --output-dir (and its parents); a file in the way, or a folder that cannot be made, is one line."""
    if folder.exists() and not folder.is_dir():
        raise CharlabError(f"--output-dir {folder}: is a file, not a folder: name a folder for the executed copies")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:  # a parent is a file, a read-only disk...
        raise CharlabError(f"--output-dir {folder}: cannot create it ({e.strerror})") from None


def cmd_check_stale(args: argparse.Namespace) -> int:
    stale, waiting = 0, 0
    for path in _notebooks(args.notebooks):
        nb = read_notebook(path)
        reason, listed = stale_reason(nb), awaiting.load(path.parent).get(path.name)
        note = awaiting.problem(nb, listed)
        if note:
            stale += 1
            print(f"stale: {path}: {note}", file=sys.stderr)
        elif reason and listed:
            waiting += 1
            print(f"warning: {path}: awaiting execution ({listed}); {reason}", file=sys.stderr)
        elif reason:
            stale += 1
            print(f"stale: {path}: {reason}", file=sys.stderr)
        elif listed:
            stale += 1
            print(f"stale: {path}: its outputs are current, but {awaiting.LIST_NAME} still lists it: remove it "
                  "there and its note (re-execute it, or edit the list)", file=sys.stderr)
    if not stale:
        print("ok: every notebook's outputs come from its current code" if not waiting else
              f"ok: every notebook's outputs come from its current code, except {waiting} listed as awaiting "
              "execution")
    return 1 if stale else 0


def cmd_await(args: argparse.Namespace) -> int:
    paths = _notebooks(args.notebooks)
    awaiting.add(paths, args.reason)
    print(f"{len(paths)} page(s) listed as awaiting execution, each with its note")
    return 0


def cmd_colab_cells(args: argparse.Namespace) -> int:
    url = colab.repository_url(Path(args.book))
    paths = _notebooks(args.notebooks)
    if args.check:
        problems = colab.check(paths, url)
        for line in problems:
            print(f"error: {line}", file=sys.stderr)
        if not problems:
            print(f"ok: every chapter's Colab cell installs from {url}")
        return 1 if problems else 0
    changed = colab.sync(paths, url)
    print(f"{len(changed)} of {len(paths)} Colab setup cells rewritten to install from {url}")
    return 0


def cmd_scoreboard(args: argparse.Namespace) -> int:
    book = Path(args.book)
    if args.check:
        files = scoreboard.stale(book)
        for path in files:
            print(f"stale: {path}: run `python -m charlab.book scoreboard`", file=sys.stderr)
        if not files:
            print("ok: the scoreboard and the intro's counts match the executed chapters")
        return 1 if files else 0
    changed = scoreboard.write(book)
    print(f"{len(changed)} file(s) rewritten" + (f": {', '.join(map(str, changed))}" if changed else ""))
    return 0


def cmd_check_toc(args: argparse.Namespace) -> int:
    files = check_toc(Path(args.book))
    check_chapters(Path(args.book))
    print(f"ok: all {len(files)} files of _toc.yml exist, and its chapters are those of charlab/chapters.json")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m charlab.book", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    ex = sub.add_parser("execute", help="execute notebooks and stamp them")
    ex.add_argument("notebooks", nargs="*", help="notebooks to execute (default: notebooks/*.ipynb)")
    ex.add_argument("--scale", choices=CHAPTER_SCALE_NAMES, default="cpu", help="the preset every notebook runs at")
    ex.add_argument("--output-dir", help="write executed copies here instead of executing in place")
    ex.add_argument("--timeout", type=int, default=3600, help="seconds one cell may run (default 3600)")
    ex.set_defaults(run=cmd_execute)
    st = sub.add_parser("check-stale", help="fail if a notebook's code changed since it was executed")
    st.add_argument("notebooks", nargs="*", help="notebooks to check (default: notebooks/*.ipynb)")
    st.set_defaults(run=cmd_check_stale)
    aw = sub.add_parser("await", help="list pages as awaiting execution, with a visible note on each")
    aw.add_argument("notebooks", nargs="+", help="the notebooks")
    aw.add_argument("--reason", required=True, help="why: what changed since the page was executed")
    aw.set_defaults(run=cmd_await)
    co = sub.add_parser("colab-cells", help="write (or --check) every chapter's Colab setup cell from _config.yml")
    co.add_argument("notebooks", nargs="*", help="notebooks (default: notebooks/*.ipynb)")
    co.add_argument("--book", default=".", help="the book's root folder, where _config.yml is (default: .)")
    co.add_argument("--check", action="store_true", help="only check; exit 1 when a cell differs")
    co.set_defaults(run=cmd_colab_cells)
    sb = sub.add_parser("scoreboard", help="write (or --check) book/scoreboard.md and the intro's verdict counts")
    sb.add_argument("--book", default=".", help="the book's root folder (default: .)")
    sb.add_argument("--check", action="store_true", help="only check; exit 1 when a file is stale")
    sb.set_defaults(run=cmd_scoreboard)
    toc = sub.add_parser("check-toc", help="fail if _toc.yml names a file that does not exist")
    toc.add_argument("--book", default=".", help="the book's root folder (default: .)")
    toc.set_defaults(run=cmd_check_toc)
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except CharlabError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    except OSError as e:  # the machine, not the code: a read-only or full disk, a file gone from under us
        print(f"error: {_os_error(e)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def _os_error(e: OSError) -> str:
    """An OSError in one line: the file it concerns and what the system said, without Python's [Errno N]."""
    what = e.strerror or str(e) or type(e).__name__
    files = [f for f in (e.filename, e.filename2) if f is not None]
    return f"{' -> '.join(map(str, files))}: {what}" if files else what


if __name__ == "__main__":
    sys.exit(main())
