#!/usr/bin/env bash
# Build the book into _build/html from the committed, executed notebooks (it never executes code: ~1 minute).
# Needs the venv from scripts/setup.sh. Warnings are errors, so a broken link or reference fails the build.
#   scripts/build_book.sh            # the book at the repository root
#   scripts/build_book.sh DIR        # another copy of the book (same layout), e.g. for testing
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
book=$(cd "${1:-$repo}" && pwd)
venv=${VENV:-$repo/.venv}
if [ ! -x "$venv/bin/jupyter-book" ]; then
  echo "error: no $venv/bin/jupyter-book: run scripts/setup.sh first" >&2
  exit 1
fi
cd "$book"
# Jupyter Book only warns about a TOC entry with no file; fail first, with one clear line.
"$venv/bin/python" -m charlab.book check-toc
start=$(date +%s)
# --all: an incremental build does not re-copy changed files of book/_extra_js when no page changed.
"$venv/bin/jupyter-book" build . --all --warningiserror --keep-going --quiet
echo "Built in $(( $(date +%s) - start )) s. The book is at $book/_build/html/index.html"
