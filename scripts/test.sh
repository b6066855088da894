#!/usr/bin/env bash
# Everything CI checks, in order (needs the venv from scripts/setup.sh):
#   system packages (TeX Live, poppler, chromium; apt-get when missing) -> lint -> import rules -> unit tests (the deploy workflow's schema and the Colab cells' URL among them)
#   -> smoke-execute every chapter into a temporary copy -> stale-output check -> book build
#   -> a chapter's Colab first cell in a fresh Colab-like environment -> real-browser and link test of the book.
# Offline: datasets come from the mirror in $CHARLAB_DATA_MIRROR (default: ../shared/data beside the checkout)
# into a temporary data directory, so the committed notebooks and ./data are never touched.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
PY=.venv/bin/python
export PYTHONUNBUFFERED=1 MPLBACKEND=Agg
if [ -z "${CHARLAB_DATA_MIRROR:-}" ] && [ -d "$repo/../shared/data" ]; then
  export CHARLAB_DATA_MIRROR="$repo/../shared/data"
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export CHARLAB_DATA="$work/data"

step() { printf '\n=== %s (%s) ===\n' "$1" "$(date -u +%H:%M:%S)"; }

# System packages the tests exercise: TeX Live + poppler for the LaTeX chapter's compile section (~230 MB),
# Debian's chromium for the browser test. Installed with apt-get when missing and run as root.
need=()
command -v pdflatex >/dev/null 2>&1 || need+=(texlive-latex-base texlive-pictures)
command -v pdftoppm >/dev/null 2>&1 || need+=(poppler-utils)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
if [ ${#need[@]} -gt 0 ]; then
  step "system packages: ${need[*]}"
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get -o DPkg::Lock::Timeout=300 update -qq &&
      DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends \
        "${need[@]}" >/dev/null
  else
    echo "error: the tests need ${need[*]} (apt-get install ${need[*]})" >&2
    exit 1
  fi
fi

step "ruff"
.venv/bin/ruff check src tests benchmarks data_scripts

step "import rules (lint-imports: core / analysis / chapters / scratch, see pyproject.toml)"
.venv/bin/lint-imports --no-cache

step "unit tests"
.venv/bin/pytest tests

step "smoke-execute every chapter (into $work/notebooks, committed notebooks untouched)"
$PY -m charlab.book execute notebooks/*.ipynb --scale smoke --output-dir "$work/notebooks"

step "stale-output check of the committed notebooks"
$PY -m charlab.book check-stale notebooks/*.ipynb

step "book build"
bash scripts/build_book.sh

step "Colab first cell: a fresh environment with only Colab's packages installs charlab and runs a chapter"
.venv/bin/pytest tests/colab

step "browser test and links"
.venv/bin/pytest tests/browser
