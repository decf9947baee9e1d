#!/usr/bin/env bash
# Runs on the GPU machine, from the repo root, with .bundle carried:
#   tools/gpu/choice_cache_check.sh [runs]
# How much the CUDA choice cache steadies Tandem from one process to the next: for MobileNetV2 and
# ResNet-18 (the test models) at batch 16 and 256, `runs` separate `tandem bench --units
# cuda:0/fp16` processes (default 3) with no cache file (TANDEM_CACHE_DIR=none: every process times
# its convs afresh), then as many sharing one fresh cache folder (the first times, the rest read
# its file). Prints each process's images/s and wall time (compile included) and the spread.
# Writes $OUT/cache_check.txt.
set -uo pipefail
OUT=${OUT:-/tmp/tandem_out}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
RUNS=${1:-3}
mkdir -p "$OUT"
B=/tmp/tandem_bundle
if [ ! -x "$B/bin/tandem" ]; then
  rm -rf "$B" && mkdir -p "$B" && tar -C "$B" -xzf "$ROOT/.bundle/tandem-bundle.tar.gz" || { echo "no bundle"; exit 1; }
fi
source "$B/env.sh"
M=/tmp/tandem_models
[ -f "$M/resnet18.onnx" ] || python3 "$ROOT/tests/models/make_models.py" --out "$M" --only mobilenet_v2,resnet18 > /dev/null 2>&1
R=$OUT/cache_check.txt
{ echo "date: $(date -u +%FT%TZ)  commit: $(cat "$B/COMMIT")"; nvidia-smi --query-gpu=name,driver_version --format=csv,noheader; } > "$R"
for model in mobilenet_v2 resnet18; do
  for mode in none shared; do
    dir=none
    [ $mode = shared ] && dir=$(mktemp -d)
    for i in $(seq 1 "$RUNS"); do
      t0=$EPOCHREALTIME
      line=$(TANDEM_CACHE_DIR=$dir "$B/bin/tandem" bench "$M/$model.onnx" --units cuda:0/fp16 --batches 16,256 --seconds 1 2>&1 |
             awk '$1 == 16 || $1 == 256 {printf "b%s %s img/s  ", $1, $2}')
      echo "$model cache=$mode run $i: $line wall $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }') s" >> "$R"
    done
  done
done
# The spread per model, cache mode and batch: (max - min) / max over the runs.
awk '{ key = $1 " " $2; for (f = 5; f <= NF; f++) if ($f ~ /^b[0-9]+$/) { k = key " " $f; v = $(f + 1);
       if (!(k in mx) || v > mx[k]) mx[k] = v; if (!(k in mn) || v < mn[k]) mn[k] = v } }
     END { for (k in mx) printf "spread %s: %.1f%% (%s .. %s img/s)\n", k, 100 * (mx[k] - mn[k]) / mx[k], mn[k], mx[k] }' "$R" | sort >> "$R"
cat "$R"
