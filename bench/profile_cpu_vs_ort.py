#!/usr/bin/env python3
"""Where a model's CPU time goes, Tandem's cpu unit next to onnxruntime, per kind of op.

For finding why a zoo model loses to onnxruntime on the CPU (issue "zoo speed": profile before
changing anything). Per model and batch: onnxruntime with enable_profiling (per-node durations,
summed per op type over the timed runs), and `tandem run --units cpu/threads=T` with
ONEDNN_VERBOSE=1 (per-primitive times, summed per primitive kind, implementation and, for
convolutions, shape class: 1x1, depthwise, grouped, KxK), both divided by the run count; and each
side's wall time per run, so time outside the kernels shows. Prints tables; --out writes them.
Verbose runs are slower than plain ones (each primitive's line is printed and flushed), so read
the per-kind shares, not the sums, against the wall times.

    bench/profile_cpu_vs_ort.py --tandem build/bin/tandem --models resnet50,mnasnet1_0 --batch 16 [--threads T]
"""
import argparse
import collections
import json
import os
import re
import subprocess
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_cpu_vs_ort import ort_session, random_feeds  # noqa: E402


def conv_class(desc):
    m = re.search(r"(?:g(\d+))?mb\d+_ic(\d+)oc(\d+)_.*?kh(\d+).*?kw(\d+)", desc)
    if not m:
        return ""
    g, ic, oc, kh, kw = (int(x) if x else 1 for x in m.groups())
    if g > 1 and g == ic == oc:
        return f"dw{kh}x{kw}"
    if g > 1:
        return f"group{kh}x{kw}"
    return f"{kh}x{kw}"


def tandem_profile(binary, model, batch, threads, runs):
    env = dict(os.environ, ONEDNN_VERBOSE="1")
    cmd = [binary, "run", model, "--units", f"cpu/threads={threads}", "--batch", str(batch), "--iterations", str(runs),
           "--warmup", "2", "-q"]
    t0 = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
    if p.returncode:
        return {"error": (p.stderr.strip().splitlines() or ["?"])[-1]}
    execs = [line.split(",") for line in p.stdout.splitlines() if line.startswith("onednn_verbose,exec")]
    # `tandem run` executes 1 + warm-up + 2 x iterations runs (a latency loop, then a throughput
    # loop); every run executes the same primitives, so take the tail of `runs` runs.
    per_run = len(execs) // (2 * runs + 3)
    tail = execs[-per_run * runs:] if per_run else []
    by = collections.Counter()
    for f in tail:
        kind, impl, ms = f[3], f[4], float(f[-1])
        key = f"{kind} {impl}" + (f" {conv_class(f[-2])}" if kind == "convolution" else "")
        by[key] += ms / runs
    # Wall per run from a plain (unverbose) run: the report's median latency.
    with tempfile.TemporaryDirectory() as d:
        rep = os.path.join(d, "r.json")
        subprocess.run(cmd[:-1] + ["-q", "--report", rep], capture_output=True, text=True, timeout=600)
        wall = json.load(open(rep)).get("latency_ms_median") if os.path.exists(rep) else None
    return {"by": by, "primitives_per_run": per_run, "wall_ms": wall}


def ort_profile(model, batch, threads, runs):
    with tempfile.TemporaryDirectory() as d:
        sess = ort_session(model, threads, profile_prefix=os.path.join(d, "ort"))
        feeds = random_feeds(sess, batch, 1)
        for _ in range(2):
            sess.run(None, feeds)
        walls = []
        for _ in range(runs):
            t = time.perf_counter()
            sess.run(None, feeds)
            walls.append((time.perf_counter() - t) * 1e3)
        path = sess.end_profiling()
        events = json.load(open(path))
    nodes = [e for e in events if e.get("cat") == "Node" and e.get("name", "").endswith("_kernel_time")]
    by = collections.Counter()
    for e in nodes[-len(nodes) * runs // (runs + 2):]:
        by[e["args"].get("op_name", "?")] += e["dur"] / 1e3 / runs
    return {"by": by, "wall_ms": float(np.median(walls))}


def table(title, by, wall):
    total = sum(by.values())
    lines = [f"  {title}: wall {wall:.2f} ms/run, kernels {total:.2f} ms/run" if wall else f"  {title}: kernels {total:.2f} ms"]
    for k, v in by.most_common(14):
        lines.append(f"    {v:8.2f} ms {100 * v / max(total, 1e-9):5.1f}%  {k}")
    return lines


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tandem", required=True)
    ap.add_argument("--models", required=True, help="zoo names (exported at 224 px) or .onnx paths")
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--threads", type=int, default=len(os.sched_getaffinity(0)))
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--out", default="")
    a = ap.parse_args()
    out = []
    with tempfile.TemporaryDirectory() as d:
        for name in [m for m in a.models.split(",") if m]:
            path = name
            if not name.endswith(".onnx"):
                from zoo_export import bench_spec, build_and_export
                path = os.path.join(d, name + ".onnx")
                build_and_export(bench_spec(name), path)
            t = tandem_profile(a.tandem, path, a.batch, a.threads, a.runs)
            o = ort_profile(path, a.batch, a.threads, a.runs)
            out.append(f"== {os.path.basename(path)} batch {a.batch}, {a.threads} threads")
            if "error" in t:
                out.append(f"  tandem: {t['error']}")
            else:
                out += table(f"tandem ({t['primitives_per_run']} primitives/run)", t["by"], t["wall_ms"])
            out += table("onnxruntime", o["by"], o["wall_ms"])
            print("\n".join(out[-40:]), flush=True)
    if a.out:
        with open(a.out, "w") as f:
            f.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
