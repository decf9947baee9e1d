#!/usr/bin/env bash
# Runs on the GPU machine with .bundle carried: how the CUDA Conv builder chose each conv's plan
# (TANDEM_CUDA_CONV_LOG: cuDNN's Find ranking, then each candidate's measured time) and the
# per-op profile, for MobileNetV2 and ResNet-50 fp16 at the given batches (default 1).
#   tools/gpu/conv_diag.sh [BATCHES] [PRECISION]      e.g. tools/gpu/conv_diag.sh 1,256 fp16
# Writes $OUT/conv_<model>_b<batch>.log (choice log, profile, timing split).
set -uo pipefail
OUT=${OUT:-/tmp/tandem_out}; mkdir -p "$OUT"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BATCHES=${1:-1} PREC=${2:-fp16}
B=/tmp/tandem_bundle
[ -x "$B/bin/tandem" ] || { rm -rf "$B" && mkdir -p "$B" && tar -C "$B" -xzf "$ROOT/.bundle/tandem-bundle.tar.gz"; } || exit 1
# A fresh cache folder: the logged run times every conv, the plain run after it runs the same choices.
export TANDEM_CACHE_DIR=$(mktemp -d)
source "$B/env.sh"
M=/tmp/tandem_torch_models; mkdir -p "$M"
for m in mobilenet_v2 resnet50; do
  [ -f "$M/$m.onnx" ] || (cd "$ROOT/bench" && python3 -c "from torch_models import *; export(make_model('$m'), '$M/$m.onnx')") 2>/dev/null
  for b in ${BATCHES//,/ }; do
    log=$OUT/conv_${m}_b${b}.log
    TANDEM_CUDA_CONV_LOG=1 TANDEM_CUDA_PROFILE=1 "$B/bin/tandem" run "$M/$m.onnx" --units cuda:0/$PREC --batch $b \
      --iterations 20 --warmup 3 -q > "$log" 2>&1
    "$B/bin/tandem" run "$M/$m.onnx" --units cuda:0/$PREC --batch $b --iterations 200 --warmup 10 -q >> "$log" 2>&1
    echo "== $m b$b $PREC: $(grep -c ' -> ' "$log") convs chosen: $(grep -o ' -> .*' "$log" | sort | uniq -c | tr '\n' ' ')"
    grep -E "profile: .*ms per run|images in" "$log"
  done
done
