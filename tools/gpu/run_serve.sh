#!/usr/bin/env bash
# Runs on the GPU machine, from the repo root, with .bundle carried (issue 15, tools/gpu/README.md):
#   tools/gpu/run_serve.sh [--models mobilenet_v2,resnet50] [--seconds 1.5] [--units cuda:0/fp16] [--shm | --transports binary,shm]
#                          [--configs "latency-ms=5;..."] [--clients 1,16,64]
# `tandem serve` under `tandem load` (C++ clients: bench/bench_serve.py --client load) for each model
# (the zoo's torchvision models: seeded weights, BatchNorm calibrated; exported with torch): servers with --latency-ms 5, --latency-ms
# 20 and max-batch 64 / max-delay 2000 us; 1, 16 and 64 clients, then a steady open-loop load at half
# the best rate each server reached (its p99 against --latency-ms); 1 and 8 rows per request; next
# to offline `tandem run` at each server's largest batch. Every answer is checked against
# onnxruntime within relative L2 0.1 (the fp16 contract of these models is 1.5x eager fp16's own
# error, ResNet-50's up to 0.08).
# --shm: the loads go through Triton's system shared memory (tandem load --shm: inputs and outputs
# in registered regions, requests carry only their JSON header) instead of the binary extension;
# --transports binary,shm runs both against each server, side by side (twice the time; out files
# get _shm / _both in their names).
# About 3-4 minutes for the two models (per transport). Writes to $OUT: summary.txt (printed last), serve.log, and
# per model serve_<model>_<card>_<date>.md/.json (machine, card, date, commit, command) for
# bench/results/.
set -uo pipefail
OUT=${OUT:-/tmp/tandem_out}
mkdir -p "$OUT"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
models=mobilenet_v2,resnet50 seconds=1.5 units=cuda:0/fp16 transports=binary clients=1,16,64
configs="latency-ms=5;latency-ms=20;max-batch=64,max-delay-us=2000"
while [ $# -gt 0 ]; do
  case "$1" in
    --models) models="$2"; shift ;;
    --seconds) seconds="$2"; shift ;;
    --units) units="$2"; shift ;;
    --shm) transports=shm ;;
    --transports) transports="$2"; shift ;;
    --configs) configs="$2"; shift ;;  # bench_serve.py --configs: ';'-separated lists of serve flags
    --clients) clients="$2"; shift ;;
    *) echo "run_serve: unknown flag $1" >&2; exit 2 ;;
  esac
  shift
done

source "$ROOT/tools/gpu/unpack_bundle.sh"
# One choice-cache folder for the whole run: the second and third server of a model (and offline
# `tandem run`) run the conv plans the first one timed, and start in seconds.
export TANDEM_CACHE_DIR=$(mktemp -d)
card=$(nvidia-smi --query-gpu=name --format=csv,noheader | head -1 | sed 's/NVIDIA //; s/ /-/g' | tr 'A-Z' 'a-z')
SUMMARY=$OUT/summary.txt
{ echo "date: $(date -u +%FT%TZ)  commit: $TANDEM_COMMIT"; nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
  lscpu | grep -E "Model name|^CPU\(s\)"; } > "$SUMMARY"

MODELS=/tmp/tandem_serve_models
mkdir -p "$MODELS"
t0=$(date +%s)
# The zoo's weights (bench/zoo_export.py: BatchNorm calibrated, so activations stay well scaled).
# bench/torch_models.py's raw seeded weights leave MobileNetV2's logits near 1e-10, which fp16
# flushes to zero: every fp16 answer then counted as wrong against onnxruntime.
python3 - "$MODELS" "$models" >> "$OUT/serve.log" 2>&1 <<'PY'
import os, sys
sys.path.insert(0, "bench")
from zoo_export import bench_spec, build_and_export
folder, names = sys.argv[1], sys.argv[2].split(",")
for n in names:
    path = os.path.join(folder, n + ".onnx")
    if not os.path.exists(path):
        build_and_export(bench_spec(n), path + ".tmp")
        os.replace(path + ".tmp", path)
PY
echo "export: rc=$? in $(( $(date +%s) - t0 ))s" >> "$SUMMARY"

suffix="" n_transports=1
case "$transports" in
  binary) ;;
  shm) suffix=_shm ;;
  *) suffix=_both n_transports=2 ;;
esac
for m in ${models//,/ }; do
  t0=$(date +%s)
  out=$OUT/serve_${m}_${card}_$(date -u +%F)$suffix
  PYTHONUNBUFFERED=1 timeout $((170 * n_transports)) python3 bench/bench_serve.py --tandem "$B/bin/tandem" --model "$MODELS/$m.onnx" \
    --units "$units" --client load --transports "$transports" --configs "$configs" \
    --clients "$clients" --rows 1,8 --steady 0.5 --seconds "$seconds" --pool 8 --rtol 0.1 --offline-iterations 300 --out "$out" >> "$OUT/serve.log" 2>&1
  echo "$m: rc=$? in $(( $(date +%s) - t0 ))s" >> "$SUMMARY"
  [ -f "$out.md" ] && cat "$out.md" >> "$SUMMARY"
done
cat "$SUMMARY"
