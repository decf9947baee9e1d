#!/usr/bin/env bash
# On the GPU machine's 16 cores: MobileNetV2 through Tandem's cpu backend as one 16-core unit and
# split into core groups (the plan chosen by measurement), vs onnxruntime with 16 threads, same run.
# Usage: tools/gpu/cpu_splits.sh TANDEM_BIN MODEL [BATCHES]
T=$1; M=$2; BATCHES=${3:-16 64}
for b in $BATCHES; do
  python3 - "$M" "$b" <<'PY'
import sys, time, numpy as np, onnxruntime as ort
m, b = sys.argv[1], int(sys.argv[2])
so = ort.SessionOptions(); so.intra_op_num_threads = 16
s = ort.InferenceSession(m, so, providers=["CPUExecutionProvider"])
x = np.random.rand(b, 3, 224, 224).astype(np.float32)
for _ in range(5): s.run(None, {"input": x})
t = time.perf_counter(); n = 20
for _ in range(n): s.run(None, {"input": x})
print(f"batch {b:4d} onnxruntime 16 threads: {n*b/(time.perf_counter()-t):9.1f} images/s")
PY
  for u in cpu cpu:0-7,cpu:8-15 cpu:0-3,cpu:4-7,cpu:8-11,cpu:12-15 \
           cpu:0-1,cpu:2-3,cpu:4-5,cpu:6-7,cpu:8-9,cpu:10-11,cpu:12-13,cpu:14-15; do
    r=$("$T" run "$M" --units "$u" --batch "$b" --iterations 20 --warmup 3 -q 2>&1 | tail -1)
    p=$("$T" run "$M" --units "$u" --batch "$b" --iterations 2 --warmup 0 2>&1 | grep '^plan' | head -1)
    echo "batch $b tandem $u: $r | $p"
  done
done
