#!/usr/bin/env bash
# Runs on the GPU machine (H100 + 16 cores), from the repo root, with .bundle carried:
#   tools/gpu/run_coexec.sh [--cpu] [--coexec] [--gpu-cpu] [--quick]
# (no flag = all three). The CPU and co-execution benchmarks of issues 2, 3 and 5:
#   --cpu      Tandem cpu (16 threads) vs onnxruntime (16 threads), MobileNetV2 batch 1 and 16,
#              with OpenMP's default wait policy and with OMP_WAIT_POLICY=passive;
#   --coexec   runtime overhead (one-unit plan vs the backend directly) and one 16-core unit vs
#              two 8-core units with the seed's plan (bench/bench_runtime.py);
#   --gpu-cpu  `tandem bench` MobileNetV2 fp16: cuda:0 alone, cpu alone, cuda:0 + cpu (the seed's
#              plan, chosen against each unit alone), batch 1..2048.
# Everything lands in $OUT/results.tgz (bench/results-style files) and $OUT/summary.txt.
set -uo pipefail
OUT=${OUT:-/tmp/tandem_out}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
do_cpu=0 do_coexec=0 do_gpu=0 quick=0
for a in "$@"; do
  case "$a" in
    --cpu) do_cpu=1 ;; --coexec) do_coexec=1 ;; --gpu-cpu) do_gpu=1 ;; --quick) quick=1 ;;
    *) echo "run_coexec: unknown flag $a" >&2; exit 2 ;;
  esac
done
[ $((do_cpu + do_coexec + do_gpu)) -eq 0 ] && do_cpu=1 do_coexec=1 do_gpu=1
mkdir -p "$OUT" && RES=$(mktemp -d) && SUMMARY=$OUT/summary.txt

source "$ROOT/tools/gpu/unpack_bundle.sh"
T=$B/bin/tandem
M=/tmp/tandem_models
python3 "$ROOT/tests/models/make_models.py" --out "$M" > "$RES/models.log" 2>&1 || { tail "$RES/models.log"; exit 1; }
{ echo "date: $(date -u +%FT%TZ)  commit: $(cat "$B/COMMIT")"
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
  lscpu | grep -E "Model name|^CPU\(s\)|Thread\(s\) per core"; } > "$SUMMARY"

if [ $do_cpu -eq 1 ]; then
  python3 "$ROOT/bench/bench_cpu_vs_ort.py" --tandem "$T" --models "$M" --threads 16 --out "$RES" \
    --host-tag h100-host-16t >> "$RES/cpu.log" 2>&1
  python3 "$ROOT/bench/bench_cpu_vs_ort.py" --tandem "$T" --models "$M" --threads 16 --out "$RES" \
    --host-tag h100-host-16t-passive --tandem-env OMP_WAIT_POLICY=passive --ort-no-spin >> "$RES/cpu.log" 2>&1
  grep -hE "^\| *[0-9]" "$RES"/cpu_vs_onnxruntime_h100-host-16t*.md | sed 's/^/cpu vs ort: /' >> "$SUMMARY"
fi
if [ $do_coexec -eq 1 ] && [ -f "$ROOT/bench/bench_runtime.py" ]; then
  python3 "$ROOT/bench/bench_runtime.py" --tandem "$T" --bench-bin "$B/bin/runtime_overhead" --models "$M" \
    --threads 16 --cores 16 --coexec --out "$RES" --host-tag h100-host-16t >> "$RES/coexec.log" 2>&1
  tail -n 30 "$RES/coexec.log" | sed 's/^/coexec: /' >> "$SUMMARY"
fi
if [ $do_gpu -eq 1 ]; then
  batches=${BATCHES:-1,16,64,256,1024,2048}
  [ $quick -eq 1 ] && batches=16,256
  # Core 0 is left to the runtime's and the GPU unit's threads.
  TANDEM_CACHE_DIR=$(mktemp -d) "$T" bench "$M/mobilenet_v2.onnx" --units cuda:0/fp16,cpu:1-15 --batches $batches --seconds ${SECONDS_PER:-1} \
    --json "$RES/gpu_cpu_coexec_h100.json" --csv "$RES/gpu_cpu_coexec_h100.csv" > "$RES/gpu_cpu.log" 2>&1
  sed 's/^/gpu+cpu: /' "$RES/gpu_cpu.log" >> "$SUMMARY"
fi
tar -C "$RES" -czf "$OUT/results.tgz" .
cat "$SUMMARY"
