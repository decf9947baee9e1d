#!/usr/bin/env bash
# Runs on the GPU machine, from the repo root, with .bundle carried (see tools/gpu/README.md):
#   tools/gpu/run_suite.sh [--tests | --quick-tests] [--memcheck] [--bench] [--bench-zoo] [--bench-seg] [--bench-args "..."]
#                          [--bench-zoo-cpu] [--cpu-args "..."]
#                          [--zoo] [--zoo-only NAMES]
# (no flag = --tests; --quick-tests runs only test_e2e's detection cases, no CLI tests, ~1 min). Writes at most 8 files to $OUT: summary.txt, tests.log, memcheck.log,
# bench.log, bench.json, bench.md, profile.txt. Prints a short summary last.
set -uo pipefail
OUT=${OUT:-/tmp/tandem_out}
mkdir -p "$OUT"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
do_tests=0 quick_tests=0 do_memcheck=0 do_bench=0 do_bench_zoo=0 do_bench_seg=0 do_bench_zoo_cpu=0 cpu_args="" bench_args="" do_zoo=0 zoo_only=""
while [ $# -gt 0 ]; do
  case "$1" in
    --tests) do_tests=1 ;;
    --quick-tests) do_tests=1 quick_tests=1 ;;
    --memcheck) do_memcheck=1 ;;
    --bench) do_bench=1 ;;
    --bench-zoo) do_bench_zoo=1 ;;
    --bench-zoo-cpu) do_bench_zoo_cpu=1 ;;
    --cpu-args) cpu_args="$2"; shift ;;
    --bench-seg) do_bench_seg=1 ;;
    --bench-args) bench_args="$2"; shift ;;
    --zoo) do_zoo=1 ;;
    --zoo-only) do_zoo=1; zoo_only="$2"; shift ;;
    *) echo "run_suite: unknown flag $1" >&2; exit 2 ;;
  esac
  shift
done
[ $((do_tests + do_memcheck + do_bench + do_bench_zoo + do_bench_seg + do_bench_zoo_cpu + do_zoo)) -eq 0 ] && do_tests=1

source "$ROOT/tools/gpu/unpack_bundle.sh"
SUMMARY=$OUT/summary.txt
{ echo "date: $(date -u +%FT%TZ)  commit: $(cat "$B/COMMIT" 2>/dev/null)"; nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader; } > "$SUMMARY"

# The tests have build-machine paths compiled in: make them resolve here.
if [ "$TANDEM_SOURCE_DIR_BUILT" != "$ROOT" ] && [ ! -e "$TANDEM_SOURCE_DIR_BUILT" ]; then
  mkdir -p "$(dirname "$TANDEM_SOURCE_DIR_BUILT")" && ln -s "$ROOT" "$TANDEM_SOURCE_DIR_BUILT"
fi
mkdir -p "$TANDEM_BUILD_DIR/bin" && cp "$B/bin/tandem" "$TANDEM_BUILD_DIR/bin/tandem"
if [ -d "$B/onnx_node" ] && [ ! -d /usr/share/libonnx-testdata/data/node ]; then
  mkdir -p /usr/share/libonnx-testdata/data && ln -s "$B/onnx_node" /usr/share/libonnx-testdata/data/node
fi

if [ $do_tests -eq 1 ] || [ $do_memcheck -eq 1 ]; then
  t0=$(date +%s)
  python3 "$ROOT/tests/models/make_models.py" --out "$TANDEM_BUILD_DIR/models" > "$OUT/tests.log" 2>&1
  echo "models: rc=$? in $(( $(date +%s) - t0 ))s ($(ls "$TANDEM_BUILD_DIR/models" | wc -l) files)" >> "$SUMMARY"
fi

run_test() {  # name, gtest filter, timeout
  local exe=$B/bin/$1
  [ -x "$exe" ] || { echo "$1: not in the bundle" >> "$SUMMARY"; return; }
  echo "===== $1 $2" >> "$OUT/tests.log"
  local t0=$(date +%s)
  TANDEM_CACHE_DIR=none timeout "$3" "$exe" --gtest_filter="$2" --gtest_brief=1 >> "$OUT/tests.log" 2>&1
  local rc=$?
  local res=$(grep -E '^\[  (PASSED|FAILED|SKIPPED) ' "$OUT/tests.log" | tail -3 | tr '\n' ' ')
  echo "$1 [$2]: rc=$rc in $(( $(date +%s) - t0 ))s  $res" >> "$SUMMARY"
}

if [ $do_tests -eq 1 ]; then
  run_test test_cuda '*' 300
  run_test test_ops '*cuda*' 300  # the op matrix: every case in cuda, cuda_tf32, cuda_fp16
  run_test test_conformance '*cuda*' 120
  if [ $quick_tests -eq 0 ]; then run_test test_e2e '*' 200; else run_test test_e2e '*Detection*' 60; fi
  run_test test_runtime '*' 120
fi

if [ $do_memcheck -eq 1 ]; then
  t0=$(date +%s)
  # No cache file: choices timed under the sanitizer are meaningless.
  TANDEM_CACHE_DIR=none timeout 240 compute-sanitizer --tool memcheck --leak-check no --error-exitcode 3 "$B/bin/test_cuda" \
    --gtest_filter='Cuda.*:CudaModels.*mobilenet_v2_fp16*:*CudaConvPlans*mobilenet_v2*:*MultiUnit*mobilenet_v2-*TwoGpus*' --gtest_brief=1 > "$OUT/memcheck.log" 2>&1
  echo "memcheck test_cuda: rc=$? in $(( $(date +%s) - t0 ))s  $(grep -E 'ERROR SUMMARY' "$OUT/memcheck.log" | tail -1)" >> "$SUMMARY"
fi

if [ $do_bench -eq 1 ]; then
  t0=$(date +%s)
  # A fresh cache folder: the first Tandem process of each model and batch times its convs, the
  # later ones (other modes, --off columns) run the same choices.
  TANDEM_CACHE_DIR=$(mktemp -d) PYTHONUNBUFFERED=1 python3 "$ROOT/bench/bench_cuda_vs_torch.py" --tandem "$B/bin/tandem" --out "$OUT" $bench_args > "$OUT/bench.log" 2>&1
  echo "bench: rc=$? in $(( $(date +%s) - t0 ))s" >> "$SUMMARY"
  [ -f "$OUT/bench.md" ] && cat "$OUT/bench.md" >> "$SUMMARY"
  # Per-op profile (--bench-args "--profile-batches 256"): the timing line and the top rows.
  [ -f "$OUT/profile.txt" ] && awk '/^====/{n=0; print; next} /tandem-cuda-timing/{print; next} /tandem-cuda-profile/{if (n++ < 14) print}' "$OUT/profile.txt" >> "$SUMMARY"
fi

if [ $do_bench_zoo -eq 1 ]; then
  # The zoo benchmark (bench/bench_zoo_gpu.py): Tandem fp16 vs eager fp16 and torch.compile;
  # --bench-args passes its flags (--models, --batches, --time-budget).
  t0=$(date +%s)
  TANDEM_CACHE_DIR=$(mktemp -d) PYTHONUNBUFFERED=1 \
    python3 "$ROOT/bench/bench_zoo_gpu.py" --tandem "$B/bin/tandem" --out "$OUT" $bench_args > "$OUT/bench_zoo.log" 2>&1
  echo "bench_zoo: rc=$? in $(( $(date +%s) - t0 ))s" >> "$SUMMARY"
  [ -f "$OUT/zoo_gpu.md" ] && cat "$OUT/zoo_gpu.md" >> "$SUMMARY" || tail -5 "$OUT/bench_zoo.log" >> "$SUMMARY"
  for f in "$OUT"/profile_*.txt; do  # --bench-args "--profile": the top rows of each per-op profile
    [ -f "$f" ] && { echo "===== $(basename "$f")"; grep -E "tandem-cuda-(profile|timing)" "$f" | head -24; } >> "$SUMMARY"
  done
fi

if [ $do_bench_zoo_cpu -eq 1 ]; then
  # The zoo on this host's cores (bench/bench_zoo_cpu.py): Tandem's cpu unit vs onnxruntime;
  # --cpu-args passes its flags (--models, --batches, --threads, --time-budget, --tandem-env).
  t0=$(date +%s)
  TANDEM_CACHE_DIR=$(mktemp -d) PYTHONUNBUFFERED=1 \
    python3 "$ROOT/bench/bench_zoo_cpu.py" --tandem "$B/bin/tandem" --out "$OUT" $cpu_args > "$OUT/bench_zoo_cpu.log" 2>&1
  echo "bench_zoo_cpu: rc=$? in $(( $(date +%s) - t0 ))s" >> "$SUMMARY"
  ls "$OUT"/zoo_cpu_*.md >/dev/null 2>&1 && cat "$OUT"/zoo_cpu_*.md >> "$SUMMARY" || tail -5 "$OUT/bench_zoo_cpu.log" >> "$SUMMARY"
fi

if [ $do_bench_seg -eq 1 ]; then
  # Large outputs (bench/bench_seg_outputs.py): the zoo's segmentation models at 224 px, end-to-end
  # vs device-only for fp32, fp16 and argmax outputs at batch 16 and 128; --bench-args passes its
  # flags (--models, --batches, --dtypes, --units, --time-budget). About 3-4 minutes.
  t0=$(date +%s)
  TANDEM_CACHE_DIR=$(mktemp -d) PYTHONUNBUFFERED=1 \
    timeout 280 python3 "$ROOT/bench/bench_seg_outputs.py" --tandem "$B/bin/tandem" --out "$OUT" --time-budget 200 $bench_args \
    > "$OUT/bench_seg.log" 2>&1
  echo "bench_seg: rc=$? in $(( $(date +%s) - t0 ))s" >> "$SUMMARY"
  [ -f "$OUT/seg_outputs.md" ] && cat "$OUT/seg_outputs.md" >> "$SUMMARY" || tail -5 "$OUT/bench_seg.log" >> "$SUMMARY"
fi

if [ $do_zoo -eq 1 ]; then
  # The zoo, exported here (torch with CUDA: also PyTorch eager fp16's error, the fp16 yardstick),
  # then test_zoo's cuda cases; the per-model results go back as zoo_results.tar.gz.
  ZOO=$TANDEM_BUILD_DIR/zoo
  # timm, when the machine lacks it: carry .whl (tools/gpu/README.md §6).
  if ! python3 -c 'import timm' 2>/dev/null && ls "$ROOT"/.whl/timm-*.whl >/dev/null 2>&1; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target /tmp/site "$ROOT"/.whl/*.whl &&
      export PYTHONPATH=/tmp/site${PYTHONPATH:+:$PYTHONPATH}
  fi
  t0=$(date +%s)
  python3 "$ROOT/tests/zoo/zoo.py" --out "$ZOO" --torch-fp16 cuda ${zoo_only:+--only "$zoo_only"} > "$OUT/zoo.log" 2>&1
  echo "zoo export: rc=$? in $(( $(date +%s) - t0 ))s  $(tail -1 "$OUT/zoo.log")" >> "$SUMMARY"
  rm -rf "$ZOO/results"
  filter='*cuda*'
  [ -n "$zoo_only" ] && filter=$(echo "$zoo_only" | tr ',' '\n' | sed 's/.*/*Models\/Zoo.*\/&_cuda*/' | paste -sd:)
  echo "===== test_zoo $filter" >> "$OUT/tests.log"
  t0=$(date +%s)
  TANDEM_CACHE_DIR=none timeout 400 "$B/bin/test_zoo" --gtest_filter="$filter" --gtest_brief=1 >> "$OUT/tests.log" 2>&1
  echo "test_zoo [$filter]: rc=$? in $(( $(date +%s) - t0 ))s $(grep -E '^\[  (PASSED|FAILED) ' "$OUT/tests.log" | tail -2 | tr '\n' ' ')" >> "$SUMMARY"
  tar -C "$ZOO" -czf "$OUT/zoo_results.tar.gz" results manifest.json 2>/dev/null
fi

grep -E '^\[  FAILED  \]' "$OUT/tests.log" 2>/dev/null | sort -u | head -40 > /tmp/failed.txt
if [ -s /tmp/failed.txt ]; then echo "--- failed tests:" >> "$SUMMARY"; cat /tmp/failed.txt >> "$SUMMARY"; fi
cat "$SUMMARY"
