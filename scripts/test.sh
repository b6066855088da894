#!/usr/bin/env bash
# Everything CI checks, in order (needs the venv from scripts/setup.sh):
#   lint -> import rules -> unit tests (the deploy workflow's schema and the Colab cells' URL among them)
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
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get -o DPkg::Lock::Timeout=300 update -qq &&
      DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq chromium >/dev/null
  else
    echo "error: the browser test needs Debian's chromium (apt-get install chromium)" >&2
    exit 1
  fi
fi
.venv/bin/pytest tests/browser
