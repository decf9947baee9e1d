#!/usr/bin/env python3
"""Large outputs: segmentation models end-to-end against their device-only rate, for fp32, fp16
and argmax outputs (issue "zoo speed", item 3; goal: end-to-end >= 0.8x device-only).

Per model, batch and --output-dtype, two `tandem run` processes on random data:
- end-to-end: `tandem run MODEL --units U --batch B --output-dtype D --report r.json -q`, its
  images/s (host fp32 input in page-locked memory, every batch's outputs downloaded into host
  memory, in the model's dtype, fp16, or the int64 class map, and handed over);
- device-only: the same with TANDEM_CUDA_TIMING=1, which synchronises after each part of a run
  and prints the mean upload / graph / output milliseconds; device-only images/s = B / graph_ms
  (the graph includes the conversion to the output dtype, NHWC -> NCHW and the argmax).
ratio = end-to-end / device-only. On a unit without the timing line (--units cpu: the dry run of
this script's logic) the device-only columns are empty.

Models: the segmentation models of tests/zoo/zoo.py (torchvision DeepLabV3-MobileNetV3, LR-ASPP,
FCN-ResNet50: 21 x 224 x 224 logits per image), built and exported at 224 px by zoo_export.py
(needs torch), or --onnx files as they are. Results: OUT/seg_outputs.json and OUT/seg_outputs.md
(machine, card, date, commit, command), rewritten after every row.

    bench/bench_seg_outputs.py --tandem PATH/tandem --out DIR [--models a,b | --onnx x.onnx,y.onnx]
        [--units cuda:0/fp16] [--batches 16,128] [--dtypes fp32,fp16,argmax] [--time-budget S]

On the GPU machine: tools/gpu/run_suite.sh --bench-seg (tools/gpu/README.md).
"""
import argparse
import datetime
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from commit import current_commit  # noqa: E402

SEG_MODELS = "deeplabv3_mobilenet_v3_large,lraspp_mobilenet_v3_large,fcn_resnet50"
TIMING = re.compile(r"tandem-cuda-timing: input \[(\d+),[^\]]*\] runs=(\d+) upload_ms=([\d.]+) graph_ms=([\d.]+) "
                    r"output_ms=([\d.]+)")

ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
ap.add_argument("--tandem", required=True)
ap.add_argument("--out", required=True)
ap.add_argument("--models", default=SEG_MODELS, help="comma-separated zoo names (exported here; needs torch)")
ap.add_argument("--onnx", default="", help="comma-separated ONNX files to run instead of --models")
ap.add_argument("--units", default="cuda:0/fp16")
ap.add_argument("--batches", default="16,128")
ap.add_argument("--dtypes", default="fp32,fp16,argmax")
ap.add_argument("--iterations", type=int, default=0, help="timed batches per run (default: about 4000 images)")
ap.add_argument("--shape", default="", help="passed to tandem run (models with open H/W)")
ap.add_argument("--time-budget", type=float, default=0, help="stop starting new models after this many seconds")
args = ap.parse_args()


def machine():
    cpu = platform.processor()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")), cpu)
    except OSError:
        pass
    return f"{platform.node()}, {os.cpu_count()} cores ({cpu})"


def card():
    try:
        p = subprocess.run(["nvidia-smi", "--query-gpu=name", "--format=csv,noheader"], capture_output=True, text=True,
                           timeout=20)
        return p.stdout.strip().splitlines()[0] if p.returncode == 0 and p.stdout.strip() else "none"
    except (OSError, subprocess.TimeoutExpired):
        return "none"


results = {"machine": machine(), "card": card(), "date": datetime.datetime.utcnow().isoformat() + "Z",
           "commit": current_commit(), "command": " ".join(sys.argv), "units": args.units, "rows": []}


def tandem_run(path, batch, dtype, timing):
    """One `tandem run` on random data: (report dict or None, timing dict or None, error or None, cmd)."""
    iters = args.iterations or max(10, min(100, 4000 // batch))
    with tempfile.TemporaryDirectory() as d:
        rep = os.path.join(d, "r.json")
        cmd = [args.tandem, "run", path, "--units", args.units, "--batch", str(batch), "--output-dtype", dtype,
               "--iterations", str(5 if timing else iters), "--warmup", "2", "--report", rep, "-q"]
        if args.shape:
            cmd += ["--shape", args.shape]
        env = dict(os.environ, TANDEM_CUDA_TIMING="1") if timing else None
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=env)
        if p.returncode != 0:
            return None, None, ((p.stderr or p.stdout).strip().splitlines() or [f"rc {p.returncode}"])[-1][:300], cmd
        with open(rep) as f:
            report = json.load(f)
    split = None
    for m in TIMING.finditer(p.stderr):
        if int(m.group(1)) == batch:  # the executable of the whole batch (not a calibration slice)
            split = {"runs": int(m.group(2)), "upload_ms": float(m.group(3)), "graph_ms": float(m.group(4)),
                     "output_ms": float(m.group(5))}
    return report, split, None, cmd


def measure(name, path, batch, dtype):
    row = {"model": name, "batch": batch, "dtype": dtype}
    report, _, err, cmd = tandem_run(path, batch, dtype, timing=False)
    row["cmd"] = " ".join(["tandem"] + cmd[1:2] + [os.path.basename(path)] + cmd[3:-3])
    if err:
        row["error"] = err
        return row
    row["end_to_end"] = report.get("images_per_second")
    row["latency_ms"] = report.get("latency_ms_median")
    if args.units.startswith("cuda"):
        _, split, err, _ = tandem_run(path, batch, dtype, timing=True)
        if split:
            row["split_ms"] = split
            row["device_only"] = batch / (split["graph_ms"] * 1e-3) if split["graph_ms"] > 0 else None
        elif err:
            row["timing_error"] = err
    if row.get("device_only") and row.get("end_to_end"):
        row["ratio"] = row["end_to_end"] / row["device_only"]
    return row


def fmt(v, spec=".0f"):
    return format(v, spec) if isinstance(v, (int, float)) else "-"


def write():
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "seg_outputs.json"), "w") as f:
        json.dump(results, f, indent=1)
    lines = [f"# Segmentation outputs end-to-end vs device-only - {results['card']}, {results['date']}, "
             f"commit {results['commit']}", "", f"machine: {results['machine']}", "",
             f"command: `{results['command']}`", "",
             f"units `{args.units}`. end-to-end: `tandem run` images/s (page-locked fp32 input, outputs in host "
             "memory); device-only: batch / graph_ms of TANDEM_CUDA_TIMING=1 (the CUDA graph, its output "
             "conversion included). ratio = end-to-end / device-only (goal >= 0.8). split: upload / graph / "
             "output ms per batch, each part synchronised.", "",
             "| model | batch | outputs | end-to-end img/s | device-only img/s | ratio | upload / graph / output ms |",
             "|---|---|---|---|---|---|---|"]
    for r in results["rows"]:
        s = r.get("split_ms")
        split = f"{s['upload_ms']:.2f} / {s['graph_ms']:.2f} / {s['output_ms']:.2f}" if s else "-"
        e2e = fmt(r.get("end_to_end")) if "error" not in r else "error: " + r["error"]
        lines.append(f"| {r['model']} | {r['batch']} | {r['dtype']} | {e2e} | {fmt(r.get('device_only'))} | "
                     f"{fmt(r.get('ratio'), '.2f')} | {split} |")
    with open(os.path.join(args.out, "seg_outputs.md"), "w") as f:
        f.write("\n".join(lines) + "\n")


def models(tmp):
    """(name, onnx path) pairs: the --onnx files, or the zoo's models exported into `tmp`."""
    if args.onnx:
        for p in filter(None, args.onnx.split(",")):
            yield os.path.splitext(os.path.basename(p))[0], os.path.abspath(p)
        return
    from zoo_export import bench_spec, build_and_export
    for name in filter(None, args.models.split(",")):
        path = os.path.join(tmp, name + ".onnx")
        try:
            build_and_export(bench_spec(name), path)
        except Exception as e:  # noqa: BLE001 - a failing export is a result, not a crash
            results["rows"].append({"model": name, "batch": 0, "dtype": "-", "error": f"export: {str(e)[:200]}"})
            write()
            continue
        yield name, path


def main():
    batches = [int(b) for b in args.batches.split(",") if b]
    dtypes = [d for d in args.dtypes.split(",") if d]
    t0 = time.time()
    with tempfile.TemporaryDirectory() as tmp:
        for name, path in models(tmp):
            if args.time_budget and time.time() - t0 > args.time_budget:
                print(f"bench_seg_outputs: time budget spent; not run: {name} and after", flush=True)
                results.setdefault("skipped", []).append(name)
                continue
            for b in batches:
                for d in dtypes:
                    row = measure(name, path, b, d)
                    results["rows"].append(row)
                    print(name, b, d, {k: row.get(k) for k in ("end_to_end", "device_only", "ratio", "error")}, flush=True)
                    write()
    write()
    print(open(os.path.join(args.out, "seg_outputs.md")).read())


if __name__ == "__main__":
    main()
