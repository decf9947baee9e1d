#!/usr/bin/env bash
# The cpu unit's wait policy on this host (issue 13 item 4): built-in MobileNetV2 through
# `tandem run --units cpu` at batch 1 and 16 with Tandem's default (GOMP_SPINCOUNT=1000 on <= 4 cores, set by
# the binary), libgomp's own default (GOMP_SPINCOUNT=300000) and passive waiting, 3 rounds each,
# alternating. Run after tools/gpu/run_suite.sh (it unpacks the bundle and makes the models).
# Output: $OUT/cpu_spin.txt (one line per run: setting, batch, median ms, images/s).
set -u
source /tmp/tandem_bundle/env.sh
T=/tmp/tandem_bundle/bin/tandem
{
  echo "host: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p')"
  for round in 1 2 3; do
    for batch in 1 16; do
      for e in X=default GOMP_SPINCOUNT=300000 OMP_WAIT_POLICY=passive; do
        line=$(env "$e" "$T" run --units cpu --batch "$batch" --iterations $((batch == 1 ? 300 : 60)) 2>&1 | grep "latency median")
        echo "$e batch $batch: $line"
      done
    done
  done
} > "$OUT/cpu_spin.txt" 2>&1
cat "$OUT/cpu_spin.txt"
