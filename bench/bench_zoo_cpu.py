#!/usr/bin/env python3
"""The zoo on the CPU: Tandem's cpu unit vs onnxruntime, per model and batch, same threads, same run
(issue "zoo speed", item 1 and the CPU goal).

Each model is exported as bench/zoo_export.py does (the zoo's seeded weights, 224 px by default),
then timed by bench_cpu_vs_ort.py's two functions: onnxruntime (intra_op_num_threads = T,
ORT_ENABLE_ALL) and `tandem run --units cpu/threads=T`, alternating, best of --rounds each, each
side timed for about --seconds (the count set by one probe run of onnxruntime). The count was
capped at 20 runs until 2026-12-04: 35 ms of timing at batch 1, where one stall of a few ms on a
16-core host moved a ratio from 1.12x to 0.56x between two calls.
ratio = Tandem / onnxruntime images/s (> 1: Tandem faster); the geometric mean per batch.
Writes OUT/zoo_cpu_<host-tag>.json and .md (machine, date, commit, command), rewritten after every
model so a run cut short keeps what it measured.

    bench/bench_zoo_cpu.py --tandem build/bin/tandem --out bench/results [--models a,b|all]
        [--batches 1,16] [--threads T] [--px 224] [--time-budget S] [--tandem-env KEY=VALUE]

On the GPU machine's 16 cores: tools/gpu/run_suite.sh --bench-zoo-cpu --bench-args "...".
"""
import argparse
import datetime
import json
import math
import os
import shlex
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_cpu_vs_ort import bench_ort, bench_tandem, host_tag, lscpu, tandem_version  # noqa: E402
from commit import current_commit  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_MODELS = ("resnet50,mobilenet_v2,mnasnet1_0,efficientnet_lite0,resnext50_32x4d,regnet_x_400mf,densenet121,"
                  "googlenet,inception_v3,vgg11_bn,repvgg_a0,hrnet_w18_small,dla34")


def geomean(xs):
    xs = [x for x in xs if x]
    return math.exp(sum(math.log(x) for x in xs) / len(xs)) if xs else None


def markdown(res):
    c = res["machine"]
    lines = [f"# Zoo on the CPU: Tandem vs onnxruntime — {c['model_name']}, {res['threads']} threads",
             "",
             f"- Date (UTC): {res['date']}; commit {res['commit']}; {res['tandem_version']}; onnxruntime "
             f"{res.get('onnxruntime_version', '?')}",
             f"- Machine: {c['cpus']} logical CPUs ({c['affinity_cpus']} in this process's affinity), "
             f"{c['threads_per_core'] or '?'} thread(s) per core; 1-minute load at start {res['load_at_start']:.2f}",
             f"- Each side: {res['warmup']} warm-up runs, then {res['iterations']} timed runs (fewer for slow models: "
             f"at most ~{res['seconds']} s); best of {res['rounds']} alternating rounds. Tandem environment: "
             f"{' '.join(res['tandem_env']) or 'default'}; unit options: {res.get('units_extra') or 'none'}",
             f"- Command: `{res['command']}`", "",
             "| model | px | batch | Tandem img/s | onnxruntime img/s | Tandem / ORT | Tandem ms | ORT ms |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    by_batch = {}
    for r in res["rows"]:
        if "error" in r:
            lines.append(f"| {r['model']} | {r['size']} | {r['batch']} | error: {r['error']} | | | | |")
            continue
        t, o = r["tandem"], r["onnxruntime"]
        by_batch.setdefault(r["batch"], []).append(r["ratio"])
        lines.append(f"| {r['model']} | {r['size']} | {r['batch']} | {t['images_per_second']:.1f} | "
                     f"{o['images_per_second']:.1f} | {r['ratio']:.2f}x | {t['latency_ms_median']:.2f} | "
                     f"{o['latency_ms_median']:.2f} |")
    lines += ["", "| batch | models | geomean Tandem / ORT | lowest |", "|---:|---:|---:|---:|"]
    for b, rs in sorted(by_batch.items()):
        lines.append(f"| {b} | {len(rs)} | {geomean(rs):.2f}x | {min(rs):.2f}x |")
    if res.get("skipped"):
        lines += ["", f"Not run (time budget): {', '.join(res['skipped'])}"]
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tandem", default=os.path.join(ROOT, "build", "bin", "tandem"))
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "results"))
    ap.add_argument("--models", default=DEFAULT_MODELS, help="comma-separated zoo names, or 'all'")
    ap.add_argument("--batches", default="1,16")
    ap.add_argument("--threads", type=int, default=len(os.sched_getaffinity(0)))
    ap.add_argument("--px", type=int, default=0, help="input size (default: 224, Inception-v3 299)")
    ap.add_argument("--iterations", type=int, default=5000,
                    help="timed runs at most (>= 5); --seconds sets the count below it")
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=1.0, help="rough timed seconds per side and batch")
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--time-budget", type=float, default=0, help="stop starting new models after this many seconds")
    ap.add_argument("--tandem-env", action="append", default=[], metavar="KEY=VALUE")
    ap.add_argument("--units-extra", default="", help="extra Tandem unit options, e.g. 'pin'")
    ap.add_argument("--host-tag", default="")
    a = ap.parse_args()
    from zoo_export import all_names, bench_spec, build_and_export  # torch: after --help

    cpu = lscpu()
    tag = a.host_tag or host_tag(cpu, a.threads)
    res = {"machine": cpu, "threads": a.threads, "load_at_start": os.getloadavg()[0],
           "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M"),
           "command": shlex.join([os.path.relpath(sys.argv[0], ROOT)] + sys.argv[1:]), "commit": current_commit(),
           "tandem_version": tandem_version(a.tandem), "warmup": a.warmup, "iterations": a.iterations,
           "seconds": a.seconds, "rounds": a.rounds, "tandem_env": a.tandem_env, "units_extra": a.units_extra, "rows": []}
    stem = os.path.join(a.out, f"zoo_cpu_{tag}")
    os.makedirs(a.out, exist_ok=True)

    def write():
        with open(stem + ".json", "w") as f:
            json.dump(res, f, indent=1)
        with open(stem + ".md", "w") as f:
            f.write(markdown(res))

    names = all_names() if a.models == "all" else [m for m in a.models.split(",") if m]
    t0 = time.time()
    with tempfile.TemporaryDirectory() as d:
        for name in names:
            if a.time_budget and time.time() - t0 > a.time_budget:
                res["skipped"] = names[names.index(name):]
                print(f"bench_zoo_cpu: time budget spent; not run: {', '.join(res['skipped'])}", flush=True)
                break
            spec = bench_spec(name, a.px or None)
            path = os.path.join(d, name + ".onnx")
            try:
                build_and_export(spec, path)
            except Exception as e:  # noqa: BLE001 - an export failure is a row, not a crash
                res["rows"].append({"model": name, "size": spec["size"], "batch": 0, "error": f"export: {str(e)[:160]}"})
                write()
                continue
            for b in [int(x) for x in a.batches.split(",") if x]:
                row = {"model": name, "size": spec["size"], "batch": b}
                try:
                    # One probe run sets the iteration count so that each side takes ~--seconds.
                    probe = bench_ort(path, b, a.threads, 1, 1, 1)
                    iters = int(max(5, min(a.iterations, a.seconds * 1e3 / max(probe["latency_ms_median"], 1e-3))))
                    os_, ts = [], []
                    for _ in range(max(1, a.rounds)):
                        os_.append(bench_ort(path, b, a.threads, a.warmup, iters, 1))
                        ts.append(bench_tandem(a.tandem, path, b, a.threads, a.warmup, iters, a.units_extra, a.tandem_env))
                    o = max(os_, key=lambda r: r["images_per_second"])
                    t = max(ts, key=lambda r: r["images_per_second"])
                    res["onnxruntime_version"] = o["version"]
                    row.update(tandem=t, onnxruntime=o, ratio=t["images_per_second"] / o["images_per_second"])
                    print(f"{name} b{b}: tandem {t['images_per_second']:.1f} ort {o['images_per_second']:.1f} img/s "
                          f"-> {row['ratio']:.2f}x", flush=True)
                except (Exception, SystemExit) as e:  # noqa: BLE001 - a failing run is a row
                    row["error"] = str(e).strip().splitlines()[-1][:200] if str(e).strip() else type(e).__name__
                    print(f"{name} b{b}: {row['error']}", flush=True)
                res["rows"].append(row)
                write()
    write()
    print(open(stem + ".md").read())


if __name__ == "__main__":
    main()
