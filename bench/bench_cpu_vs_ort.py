#!/usr/bin/env python3
"""Tandem's CPU backend vs onnxruntime (CPU), same model, batch sizes, threads and machine.

onnxruntime: InferenceSession with intra_op_num_threads = T, graph optimisations at their
default (ORT_ENABLE_ALL), W warm-up runs then K timed runs (median latency; images/s =
images / total timed wall time). Tandem: `tandem run MODEL --units cpu/threads=T --batch N
--iterations K --warmup W --report r.json`, whose report gives images_per_second and
latency_ms_median measured the same way. Both run in this process's CPU affinity, one after the
other, never at the same time.

Writes bench/results/cpu_vs_onnxruntime_<host-tag>.md and .json (machine, date, command).

  python3 bench/bench_cpu_vs_ort.py                          # dev machine: all cores
  python3 bench/bench_cpu_vs_ort.py --threads 16 --tandem build/bin/tandem --models build/models
"""
import argparse
import datetime
import json
import os
import platform
import re
import shlex
import subprocess
import sys
import tempfile
import time

import numpy as np
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from commit import current_commit  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def lscpu():
    """Model name, logical CPUs and threads per core, from lscpu (falls back to /proc)."""
    info = {"model_name": platform.processor() or "unknown", "cpus": os.cpu_count(), "threads_per_core": None}
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
        for line in out.splitlines():
            k, _, v = line.partition(":")
            v = v.strip()
            if k == "Model name":
                info["model_name"] = v
            elif k == "CPU(s)":
                info["cpus"] = int(v)
            elif k == "Thread(s) per core":
                info["threads_per_core"] = int(v)
    except (OSError, subprocess.CalledProcessError, ValueError):
        pass
    info["affinity_cpus"] = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else info["cpus"]
    return info


def host_tag(cpu, threads):
    name = re.sub(r"\(r\)|\(tm\)|cpu|processor|@.*", "", cpu["model_name"].lower())
    name = re.sub(r"[^a-z0-9]+", "-", name).strip("-") or "cpu"
    return f"{name}-{threads}t"


def ort_session(model, threads, no_spin=False, profile_prefix=None):
    """onnxruntime on the CPU as every benchmark here runs it: T intra-op threads, sequential,
    graph optimisations at their default (ORT_ENABLE_ALL); optionally profiling to a prefix."""
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    if no_spin:  # idle threads sleep instead of spinning (like OMP_WAIT_POLICY=passive)
        so.add_session_config_entry("session.intra_op.allow_spinning", "0")
    if profile_prefix:
        so.enable_profiling = True
        so.profile_file_prefix = profile_prefix
    return ort.InferenceSession(model, so, providers=["CPUExecutionProvider"])


def random_feeds(sess, batch, seed):
    """The session's first input at `batch` rows (open dims other than the batch: 224), uniform [-1, 1)."""
    inp = sess.get_inputs()[0]
    shape = [batch if not isinstance(d, int) or i == 0 else d for i, d in enumerate(inp.shape)]
    shape = [224 if not isinstance(d, int) else d for d in shape]
    return {inp.name: np.random.default_rng(seed).uniform(-1, 1, shape).astype(np.float32)}


def bench_ort(model, batch, threads, warmup, iterations, seed, no_spin=False):
    import onnxruntime as ort
    sess = ort_session(model, threads, no_spin)
    feeds = random_feeds(sess, batch, seed)
    for _ in range(warmup):
        sess.run(None, feeds)
    lat = []
    t0 = time.perf_counter()
    for _ in range(iterations):
        t = time.perf_counter()
        sess.run(None, feeds)
        lat.append((time.perf_counter() - t) * 1e3)
    total = time.perf_counter() - t0
    return {"images_per_second": batch * iterations / total, "latency_ms_median": float(np.median(lat)),
            "latency_ms_p90": float(np.percentile(lat, 90)), "iterations": iterations, "version": ort.__version__}


def bench_tandem(binary, model, batch, threads, warmup, iterations, units_extra, env_extra=()):
    units = f"cpu/threads={threads}" + (f"/{units_extra}" if units_extra else "")
    with tempfile.TemporaryDirectory() as d:
        report = os.path.join(d, "r.json")
        cmd = [binary, "run", model, "--units", units, "--batch", str(batch), "--iterations", str(iterations),
               "--warmup", str(warmup), "--report", report]
        env = dict(os.environ, **dict(e.split("=", 1) for e in env_extra))
        p = subprocess.run(cmd, capture_output=True, text=True, env=env)
        if p.returncode != 0:
            sys.exit(f"bench_cpu_vs_ort: tandem failed ({p.returncode}): {shlex.join(cmd)}\n{p.stderr.strip()}")
        with open(report) as f:
            r = json.load(f)
    cmd[-1] = "r.json"
    cmd = list(env_extra) + cmd
    return {"images_per_second": float(r["images_per_second"]), "latency_ms_median": float(r["latency_ms_median"]),
            "latency_ms_p90": r.get("latency_ms_p90"), "iterations": iterations, "command": shlex.join(cmd)}


def tandem_version(binary):
    try:
        return subprocess.run([binary, "--version"], capture_output=True, text=True).stdout.strip()
    except OSError:
        return "unknown"


def git_commit():
    return current_commit()


def markdown(res):
    c = res["machine"]
    lines = [
        f"# Tandem CPU backend vs onnxruntime — {res['model']}",
        "",
        f"- Machine: {c['model_name']}, {c['cpus']} logical CPUs ({c['affinity_cpus']} in this process's "
        f"affinity), {c['threads_per_core'] or '?'} thread(s) per core; host tag `{res['host_tag']}`",
        f"- Date (UTC): {res['date']}",
        f"- Threads: {res['threads']} for both (onnxruntime intra_op_num_threads, Tandem `cpu/threads=`); "
        f"onnxruntime spinning {'off' if res['ort_no_spin'] else 'on (default)'}; Tandem environment: "
        f"{' '.join(res['tandem_env']) or 'default'}",
        f"- onnxruntime {res['onnxruntime_version']} (CPUExecutionProvider, ORT_ENABLE_ALL); "
        f"{res['tandem_version']} at commit {res['commit']}",
        f"- Each: {res['warmup']} warm-up runs, then {res['iterations']} timed runs; images/s = images / timed wall "
        f"time; latency = median per batch; {res['rounds']} alternating rounds, the best round of each side shown",
        f"- Command: `{res['command']}`",
        f"- 1-minute load average at start: {res['load_average_1min_at_start']:.2f}"
        + (" — **the machine was busy; these numbers are noisy**"
           if res["load_average_1min_at_start"] > 0.5 * c["affinity_cpus"] else ""),
        "",
        "| batch | Tandem images/s | onnxruntime images/s | Tandem / onnxruntime | Tandem median ms | "
        "onnxruntime median ms |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for r in res["rows"]:
        t, o = r["tandem"], r["onnxruntime"]
        lines.append(f"| {r['batch']} | {t['images_per_second']:.1f} | {o['images_per_second']:.1f} | "
                     f"{r['ratio']:.2f}x | {t['latency_ms_median']:.2f} | {o['latency_ms_median']:.2f} |")
    lines += ["", "Tandem commands:", ""] + [f"- `{r['tandem']['command']}`" for r in res["rows"]] + [""]
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tandem", default=os.path.join(ROOT, "build", "bin", "tandem"), help="tandem binary")
    ap.add_argument("--models", default=os.path.join(ROOT, "build", "models"), help="directory of test models")
    ap.add_argument("--model", default="mobilenet_v2.onnx", help="model file name in --models (or a path)")
    ap.add_argument("--threads", type=int, default=len(os.sched_getaffinity(0)), help="threads for both")
    ap.add_argument("--batches", default="1,16", help="comma-separated batch sizes")
    ap.add_argument("--iterations", type=int, default=30, help="timed runs (>= 20)")
    ap.add_argument("--warmup", type=int, default=5, help="untimed runs first")
    ap.add_argument("--units-extra", default="", help="extra Tandem unit options, e.g. 'fp32'")
    ap.add_argument("--tandem-env", action="append", default=[], metavar="KEY=VALUE",
                    help="environment for the tandem process (repeatable), e.g. OMP_WAIT_POLICY=passive")
    ap.add_argument("--ort-no-spin", action="store_true",
                    help="onnxruntime: session.intra_op.allow_spinning=0 (pair with OMP_WAIT_POLICY=passive)")
    ap.add_argument("--host-tag", default="", help="result file tag (default: from the CPU model and threads)")
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "results"), help="result directory")
    ap.add_argument("--rounds", type=int, default=2,
                    help="alternate onnxruntime and Tandem this many times; each side keeps its best round")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    if a.iterations < 20:
        ap.error("--iterations must be >= 20")
    model = a.model if os.path.sep in a.model else os.path.join(a.models, a.model)
    for p, what in ((model, "model"), (a.tandem, "tandem binary")):
        if not os.path.exists(p):
            sys.exit(f"bench_cpu_vs_ort: {what} {p} not found (see --models / --tandem)")

    cpu = lscpu()
    tag = a.host_tag or host_tag(cpu, a.threads)
    load = os.getloadavg()[0]
    res = {"model": os.path.basename(model), "machine": cpu, "load_average_1min_at_start": load, "host_tag": tag, "threads": a.threads,
           "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M"),
           "command": shlex.join([os.path.relpath(sys.argv[0], ROOT)] + sys.argv[1:]), "commit": git_commit(),
           "tandem_version": tandem_version(a.tandem), "warmup": a.warmup, "iterations": a.iterations, "rounds": a.rounds, "ort_no_spin": a.ort_no_spin,
           "tandem_env": a.tandem_env, "rows": []}
    print(f"{cpu['model_name']}, {a.threads} threads, {res['model']}")
    print(f"{'batch':>5} {'tandem img/s':>13} {'ort img/s':>10} {'ratio':>6} {'tandem ms':>10} {'ort ms':>8}")
    for b in [int(x) for x in a.batches.split(",") if x]:
        # Alternating rounds, best of each side: a busy machine slows whichever runs at the time.
        os_, ts = [], []
        for _ in range(max(1, a.rounds)):
            os_.append(bench_ort(model, b, a.threads, a.warmup, a.iterations, a.seed, a.ort_no_spin))
            ts.append(bench_tandem(a.tandem, model, b, a.threads, a.warmup, a.iterations, a.units_extra,
                                   a.tandem_env))
        o = max(os_, key=lambda r: r["images_per_second"])
        t = max(ts, key=lambda r: r["images_per_second"])
        res["onnxruntime_version"] = o["version"]
        ratio = t["images_per_second"] / o["images_per_second"]
        res["rows"].append({"batch": b, "tandem": t, "onnxruntime": o, "ratio": ratio,
                            "rounds_images_per_second": {"tandem": [r["images_per_second"] for r in ts],
                                                         "onnxruntime": [r["images_per_second"] for r in os_]}})
        print(f"{b:>5} {t['images_per_second']:>13.1f} {o['images_per_second']:>10.1f} {ratio:>5.2f}x "
              f"{t['latency_ms_median']:>10.2f} {o['latency_ms_median']:>8.2f}", flush=True)

    os.makedirs(a.out, exist_ok=True)
    stem = os.path.join(a.out, f"cpu_vs_onnxruntime_{tag}")
    with open(stem + ".json", "w") as f:
        json.dump(res, f, indent=2)
    with open(stem + ".md", "w") as f:
        f.write(markdown(res))
    print(f"wrote {stem}.md and .json")


if __name__ == "__main__":
    main()
