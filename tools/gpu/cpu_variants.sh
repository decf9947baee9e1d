#!/usr/bin/env bash
# Runs on the GPU machine, from the repo root, with .bundle carried (tools/gpu/README.md):
#   tools/gpu/cpu_variants.sh MODELS BATCHES [VARIANT...]
# The cpu unit on all the host's cores vs onnxruntime (bench/bench_zoo_cpu.py, 2 rounds, ~1 s a
# side) once per VARIANT, a KEY=VALUE environment for Tandem or "default"; then one `tandem run`
# per model at the last batch with TANDEM_CUDA_CONV_LOG=1 (the layout and Winograd choices).
# Writes $OUT/variants.txt (the tables) and $OUT/choices.log.
set -u
OUT=${OUT:-/tmp/tandem_out}
mkdir -p "$OUT"
models=$1 batches=$2; shift 2
[ $# -eq 0 ] && set -- default
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
source "$ROOT/tools/gpu/unpack_bundle.sh"
T=$(nproc)
for v in "$@"; do
  env_arg=(); [ "$v" != default ] && env_arg=(--tandem-env "$v")
  d=$(mktemp -d)
  python3 bench/bench_zoo_cpu.py --tandem $B/bin/tandem --out "$d" --models "$models" --batches "$batches" \
    --threads "$T" --iterations 2000 --seconds 1 --rounds 2 "${env_arg[@]}" > "$d/log" 2>&1
  { echo "===== variant: $v"; cat "$d"/zoo_cpu_*.md 2>/dev/null || tail -5 "$d/log"; } >> "$OUT/variants.txt"
done
M=$(mktemp -d)
python3 - "$models" "$M" <<'PY' >> "$OUT/choices.log" 2>&1
import sys; sys.path.insert(0, "bench")
from zoo_export import bench_spec, build_and_export
for n in sys.argv[1].split(","):
    build_and_export(bench_spec(n, None), f"{sys.argv[2]}/{n}.onnx")
PY
last=${batches##*,}
for m in ${models//,/ }; do
  echo "===== $m b$last" >> "$OUT/choices.log"
  TANDEM_CUDA_CONV_LOG=1 $B/bin/tandem run "$M/$m.onnx" --units cpu/threads=$T --batch "$last" --iterations 50 \
    >> "$OUT/choices.log" 2>&1
done
cat "$OUT/variants.txt"
