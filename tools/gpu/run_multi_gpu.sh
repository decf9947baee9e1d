#!/usr/bin/env bash
# Runs on a GPU machine (1, 2, 4 or 8 GPUs), from the repo root, with .bundle carried (issue 4):
#   tools/gpu/run_multi_gpu.sh [--tests] [--no-bench] [--budget S] [--bench-args "..."]
#   --tests       first the co-execution tests of test_cuda (MultiUnit*: cuda:0 twice, cuda:0 + cpu,
#                 and on 2+ GPUs cuda:0 + cuda:1 data-parallel and front/tail), with the test models
#                 generated there (tests/models/make_models.py, ~10 s)
#   --no-bench    only the tests
#   --budget S    seconds for everything (default 480); the bench gets what the tests left, minus 30
#   --bench-args  passed to bench/bench_multi_gpu.py (e.g. "--batches 512,1024 --models resnet50")
# The bench: bench/bench_multi_gpu.py (one GPU vs each GPU alone vs all GPUs vs all GPUs + CPU,
# MobileNetV2 and ResNet-50 fp16, batches 512,1024,2048,256,4096, 0.5 s per configuration).
# Writes at most 5 files to $OUT: summary.txt (printed last), tests.log, bench.log, bench.json, bench.md.
set -uo pipefail
T0=$(date +%s)
OUT=${OUT:-/tmp/tandem_out}
mkdir -p "$OUT"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
do_tests=0 do_bench=1 budget=480 bench_args=""
while [ $# -gt 0 ]; do
  case "$1" in
    --tests) do_tests=1 ;;
    --no-bench) do_bench=0 ;;
    --budget) budget="$2"; shift ;;
    --bench-args) bench_args="$2"; shift ;;
    *) echo "run_multi_gpu: unknown flag $1" >&2; exit 2 ;;
  esac
  shift
done

source "$ROOT/tools/gpu/unpack_bundle.sh"
SUMMARY=$OUT/summary.txt
{ echo "date: $(date -u +%FT%TZ)  commit: $(cat "$B/COMMIT" 2>/dev/null)"
  nvidia-smi --query-gpu=index,name,driver_version,memory.total --format=csv,noheader
  lscpu | grep -E "Model name|^CPU\(s\)|Thread\(s\) per core|NUMA node\(s\)"; } > "$SUMMARY"

if [ $do_tests -eq 1 ]; then
  # The tests have build-machine paths compiled in (the models folder): make them resolve here.
  if [ "$TANDEM_SOURCE_DIR_BUILT" != "$ROOT" ] && [ ! -e "$TANDEM_SOURCE_DIR_BUILT" ]; then
    mkdir -p "$(dirname "$TANDEM_SOURCE_DIR_BUILT")" && ln -s "$ROOT" "$TANDEM_SOURCE_DIR_BUILT"
  fi
  t0=$(date +%s)
  python3 "$ROOT/tests/models/make_models.py" --out "$TANDEM_BUILD_DIR/models" > "$OUT/tests.log" 2>&1
  echo "models: rc=$? in $(( $(date +%s) - t0 ))s" >> "$SUMMARY"
  t0=$(date +%s)
  if [ -x "$B/bin/test_cuda" ]; then
    echo "===== test_cuda *MultiUnit*" >> "$OUT/tests.log"
    timeout 180 "$B/bin/test_cuda" --gtest_filter='*MultiUnit*' >> "$OUT/tests.log" 2>&1
    rc=$?
    echo "test_cuda [*MultiUnit*]: rc=$rc in $(( $(date +%s) - t0 ))s  $(grep -E '^\[  (PASSED|FAILED|SKIPPED) ' "$OUT/tests.log" | tr '\n' ' ')" >> "$SUMMARY"
    grep -E '^\[  FAILED  \] ' "$OUT/tests.log" | sort -u | head -20 >> "$SUMMARY"
    # Skip reasons (one line each, after gtest's "file:line: Skipped"), counted.
    grep -A1 -E ': Skipped$' "$OUT/tests.log" | grep -vE ': Skipped$|^--$' | sort | uniq -c | sed 's/^/skipped: /' >> "$SUMMARY"
  else
    echo "test_cuda: not in the bundle" >> "$SUMMARY"
  fi
fi

if [ $do_bench -eq 1 ]; then
  left=$(( budget - ($(date +%s) - T0) - 30 ))
  t0=$(date +%s)
  PYTHONUNBUFFERED=1 python3 "$ROOT/bench/bench_multi_gpu.py" --tandem "$B/bin/tandem" --out "$OUT" \
    --commit-file "$B/COMMIT" --budget "$left" $bench_args > "$OUT/bench.stdout" 2>&1
  rc=$?
  { echo "bench: rc=$rc in $(( $(date +%s) - t0 ))s (budget ${left}s)"; tail -n 40 "$OUT/bench.stdout"; } >> "$SUMMARY"
  # Keep the file count down: the bench's own progress lines go at the end of bench.log.
  { echo "===== bench_multi_gpu.py stdout"; cat "$OUT/bench.stdout"; } >> "$OUT/bench.log" && rm -f "$OUT/bench.stdout"
  [ -f "$OUT/bench.md" ] && { echo; cat "$OUT/bench.md"; } >> "$SUMMARY"
fi
echo "total: $(( $(date +%s) - T0 ))s" >> "$SUMMARY"
cat "$SUMMARY"
