#!/usr/bin/env bash
# Runs on the GPU machine, from the repo root, with .bundle carried (tools/gpu/README.md):
#   tools/gpu/cpu_teams.sh MODELS BATCH
# One cpu unit on all the host's cores vs the same cores as 2, 4, 8 or 16 cpu units sharing each
# batch data-parallel (equal shares), and onnxruntime on all the cores, 2 alternating rounds.
# Writes $OUT/teams.txt.
set -u
OUT=${OUT:-/tmp/tandem_out}
mkdir -p "$OUT"
models=$1 batch=$2
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
source "$ROOT/tools/gpu/unpack_bundle.sh"
T=$(nproc) M=$(mktemp -d)
python3 - "$models" "$M" <<'PY' > "$M/export.log" 2>&1
import sys; sys.path.insert(0, "bench")
from zoo_export import bench_spec, build_and_export
for n in sys.argv[1].split(","):
    build_and_export(bench_spec(n, None), f"{sys.argv[2]}/{n}.onnx")
PY
split() {  # units and plan for $1 teams of T/$1 cores
  local n=$1 w=$((T / $1)) units="" plan="all:"
  for ((i = 0; i < n; i++)); do
    u="cpu:$((i * w))-$((i * w + w - 1))"; [ $w -eq 1 ] && u="cpu:$((i * w))"
    units+="${units:+,}$u"; plan+="${u}=$(python3 -c "print(1/$n)"),"
  done
  echo "$units ${plan%,}"
}
for m in ${models//,/ }; do
  for round in 1 2; do
    ort=$(python3 -c "import sys; sys.path.insert(0,'bench'); from bench_cpu_vs_ort import bench_ort; r=bench_ort('$M/$m.onnx', $batch, $T, 3, 30, 1); print(f\"{r['images_per_second']:.1f} img/s, median {r['latency_ms_median']:.2f} ms\")" 2>&1 | tail -1)
    echo "$m b$batch round $round onnxruntime: $ort" >> "$OUT/teams.txt"
    one=$($B/bin/tandem run "$M/$m.onnx" --units cpu/threads=$T --batch $batch --iterations 30 -q 2>&1 | head -1)
    echo "$m b$batch round $round 1 unit of $T: $one" >> "$OUT/teams.txt"
    for n in 2 4 8 16; do
      [ $n -gt $batch ] && continue
      read -r units plan <<< "$(split $n)"
      r=$($B/bin/tandem run "$M/$m.onnx" --units "$units" --plan "$plan" --batch $batch --iterations 30 -q 2>&1 | head -1)
      echo "$m b$batch round $round $n units: $r" >> "$OUT/teams.txt"
    done
  done
done
cat "$OUT/teams.txt"
