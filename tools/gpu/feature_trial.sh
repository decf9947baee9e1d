#!/usr/bin/env bash
# Runs on the GPU machine, from the repo root, with .bundle carried (after run_suite.sh, which
# unpacks the bundle and writes the test models):
#   tools/gpu/feature_trial.sh MODEL BATCHES FEATURE[,FEATURE...] [ROUNDS]
#   e.g. tools/gpu/feature_trial.sh mobilenet_v2 256,1024 <feature>,<feature> 2
# Times Tandem cuda:0/fp16 on a test model with each feature on trial (TANDEM_CUDA_TRY=<feature>)
# against the default, alternating them for ROUNDS rounds (default 2), in separate `tandem run`
# processes that share one fresh choice-cache folder (so every other conv runs the same plan), and
# checks each feature's fp16 accuracy on the test models (the fp16 CudaModels tests and the
# depthwise/activation ones). Appends to
# $OUT/trial.txt.
set -uo pipefail
OUT=${OUT:-/tmp/tandem_out}; mkdir -p "$OUT"
MODEL=$1 BATCHES=$2 FEATURES=$3 ROUNDS=${4:-2}
B=/tmp/tandem_bundle
[ -x "$B/bin/tandem" ] || { echo "feature_trial: run tools/gpu/run_suite.sh first (unpacks the bundle)"; exit 1; }
source "$B/env.sh"
M=$TANDEM_BUILD_DIR/models
R=$OUT/trial.txt
echo "date: $(date -u +%FT%TZ)  commit: $(cat "$B/COMMIT")  model: $MODEL" >> "$R"
export TANDEM_CACHE_DIR=$(mktemp -d)
for b in ${BATCHES//,/ }; do
  iters=$(( b >= 256 ? 100 : 400 ))
  for round in $(seq 1 "$ROUNDS"); do
    for f in default ${FEATURES//,/ }; do
      try=""; [ "$f" != default ] && try=$f
      line=$(TANDEM_CUDA_TRY=$try "$B/bin/tandem" run "$M/$MODEL.onnx" --units cuda:0/fp16 --batch "$b" \
             --iterations $iters --warmup 20 -q 2>&1 | tail -1)
      echo "b$b round $round $f: $line" >> "$R"
    done
  done
done
for f in ${FEATURES//,/ }; do
  res=$(TANDEM_CUDA_TRY=$f "$B/bin/test_cuda" --gtest_filter='*CudaModels.*fp16*:Cuda.*Depthwise*:Cuda.*Activation*' --gtest_brief=1 2>&1 |
        grep -E "^\[  (PASSED|FAILED) |relative L2" | tr '\n' ' ')
  echo "tests with $f: $res" >> "$R"
done
cat "$R"
