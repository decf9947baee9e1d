#!/usr/bin/env bash
# Runs on the GPU machine, from the repo root, with .bundle carried (tools/gpu/README.md):
#   tools/gpu/run_tune.sh [--quick]
# The measurements issue 14 asks of the GPU machine, MobileNetV2 fp16 on cuda:0 + cpu:1-15:
#   1. `tandem tune` wall time (the issue: under 60 s) and its predicted vs measured table;
#   2. bench/bench_tune_prediction.py: prediction error of the chosen plan at several batches;
#   3. `tandem bench --tuned`: each unit alone, the engine's choice and the tuned plan per batch
#      (JSON/CSV; the PNG too when matplotlib is there, else draw it at home with
#      `python3 tools/plot/plot_bench.py tune_bench_h200.json tune_bench_h200.png`).
# Everything lands in $OUT/results.tgz and $OUT/summary.txt.
set -uo pipefail
OUT=${OUT:-/tmp/tandem_out}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
quick=0
for a in "$@"; do
  case "$a" in
    --quick) quick=1 ;;
    *) echo "run_tune: unknown flag $a" >&2; exit 2 ;;
  esac
done
mkdir -p "$OUT" && RES=$(mktemp -d) && SUMMARY=$OUT/summary.txt
source "$ROOT/tools/gpu/unpack_bundle.sh"
T=$B/bin/tandem
M=/tmp/tandem_models
python3 "$ROOT/tests/models/make_models.py" --out "$M" --only mobilenet_v2 > "$RES/models.log" 2>&1 || { tail "$RES/models.log"; exit 1; }
UNITS=${UNITS:-cuda:0/fp16,cpu:1-15}  # core 0 is left to the runtime's and the GPU unit's threads
BATCHES=${BATCHES:-1,16,64,256,1024,2048}
PROFILE_BATCHES=${PROFILE_BATCHES:-1,16,128,1024}
[ $quick -eq 1 ] && BATCHES=16,256 PROFILE_BATCHES=1,16,256
export TANDEM_CACHE_DIR=$(mktemp -d)  # a fresh profile: the wall time below includes profiling
{ echo "date: $(date -u +%FT%TZ)  commit: $(cat "$B/COMMIT")  units: $UNITS"
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
  lscpu | grep -E "Model name|^CPU\(s\)"; } > "$SUMMARY"

start=$(date +%s.%N)
"$T" tune "$M/mobilenet_v2.onnx" --units "$UNITS" --batches "$BATCHES" --profile-batches "$PROFILE_BATCHES" \
  --save "$RES/tuned_plan_h200.json" > "$RES/tune.log" 2>&1
rc=$?
end=$(date +%s.%N)
echo "tune: exit $rc, wall $(python3 -c "print(f'{$end - $start:.1f}')") s (profile included)" >> "$SUMMARY"
grep -vE "^(profile: batch|measure:)" "$RES/tune.log" | sed 's/^/tune: /' >> "$SUMMARY"

python3 "$ROOT/bench/bench_tune_prediction.py" --tandem "$T" --model "$M/mobilenet_v2.onnx" --units "$UNITS" \
  --batches "${PRED_BATCHES:-16,256,1024}" --seconds 0.5 --out "$RES/tune_prediction_h200" > "$RES/pred.log" 2>&1
grep -E "^- batch" "$RES/tune_prediction_h200.md" | sed 's/^/prediction: /' >> "$SUMMARY"

plot=()
python3 -c "import matplotlib" 2>/dev/null && plot=(--plot "$RES/tune_bench_h200.png")
"$T" bench "$M/mobilenet_v2.onnx" --units "$UNITS" --batches "$BATCHES" --seconds "${SECONDS_PER:-1}" --tuned \
  --profile-batches "$PROFILE_BATCHES" --json "$RES/tune_bench_h200.json" --csv "$RES/tune_bench_h200.csv" "${plot[@]}" \
  > "$RES/bench.log" 2>&1
sed 's/^/bench: /' "$RES/bench.log" >> "$SUMMARY"
tar -C "$RES" -czf "$OUT/results.tgz" .
cat "$SUMMARY"
