#!/usr/bin/env bash
# Every blog preset on one GPU in one command (python -m charlab.blog; usage in its docstring). First, here:
#   .venv/bin/python -m charlab.blog pack-data build/blog-data.tar.xz
# On the GPU machine (carry build/blog-data.tar.xz; ~9 min; no internet):
#   bash scripts/blog_runs.sh       # BUDGET=420 (s, all runs together); MPS=1 tries CUDA MPS
# A dry run here: OUT=/tmp/o DEVICE=cpu SCALE=smoke TIMING='--iters 1 --warmup 0' bash scripts/blog_runs.sh
# Back here, from the folder the parts came back to:
#   .venv/bin/python -m charlab.blog unpack-results DIR
set -uo pipefail
cd "$(dirname "$0")/.."
: "${OUT:?set OUT to the folder for the results parts}"
export PYTHONPATH=src PYTHONUNBUFFERED=1
PY=${PYTHON:-python3} BUDGET=${BUDGET:-420} DATA=${DATA:-build/blog-data.tar.xz} DEVICE=${DEVICE:-cuda}
RES=$(mktemp -d)/results
mkdir -p "$OUT"
{
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
  if [ "${MPS:-0}" = 1 ]; then nvidia-cuda-mps-control -d && echo "CUDA MPS on"; fi
  $PY -m charlab.blog time-batch --device "$DEVICE" --results "$RES" ${TIMING:-}
  $PY -m charlab.blog run --device "$DEVICE" --scale "${SCALE:-blog}" --data-dir "$DATA" --budget-s "$BUDGET" \
    --results "$RES" --runs "$RES/../runs"
  rc=$?
  if [ "${MPS:-0}" = 1 ]; then echo quit | nvidia-cuda-mps-control; fi
  $PY -m charlab.blog pack-results "$OUT" --results "$RES" || rc=1
  exit $rc
} 2>&1 | tee "$OUT/blog_runs.log"
