#!/usr/bin/env bash
# Runs on the GPU machine, from the repo root, with .bundle carried (tools/gpu/README.md):
#   tools/gpu/cpu_profile.sh [MODELS] [BATCH]
# Where the host CPU's time goes, Tandem's cpu unit next to onnxruntime, per kind of op
# (bench/profile_cpu_vs_ort.py) on all the host's cores. Writes $OUT/cpu_profile_b<BATCH>.txt.
set -u
OUT=${OUT:-/tmp/tandem_out}
mkdir -p "$OUT"
models=${1:-resnet50,mnasnet1_0,mobilenet_v2,efficientnet_lite0,inception_v3,densenet121}
batch=${2:-16}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
source "$ROOT/tools/gpu/unpack_bundle.sh"
python3 bench/profile_cpu_vs_ort.py --tandem $B/bin/tandem --models "$models" --batch "$batch" --threads "$(nproc)" --runs 5 \
  --out "$OUT/cpu_profile_b$batch.txt" > "$OUT/cpu_profile.log" 2>&1
cat "$OUT/cpu_profile_b$batch.txt"
