#!/usr/bin/env python3
"""The zoo on the GPU: Tandem cuda:0/fp16 vs PyTorch eager fp16 and torch.compile, per model and
batch, in the same run (issue "zoo speed", item 1).

Each model of tests/zoo/zoo.py is built as the zoo builds it (seeded random weights, norm
affines re-drawn, BatchNorm calibrated), exported at 224 px (Inception-v3: 299; timm
transformers get img_size=224 and their default window) with an open batch axis, and timed:
- Tandem: `tandem run MODEL --units cuda:0/fp16 --batch B` end-to-end images/s (host fp32 input
  uploaded, outputs downloaded: what a user gets);
- PyTorch eager fp16, channels_last, device-resident input;
- torch.compile (mode reduce-overhead at batches <= 16, default above; --compile-modes to change).
The ratio is Tandem / the faster torch.compile mode at that batch; the geometric mean over the
models that ran is given per batch. Results go to OUT/zoo_gpu.json and OUT/zoo_gpu.md (card,
date, commit, command), rewritten after every model so a run cut short keeps what it measured.

    bench/bench_zoo_gpu.py --tandem PATH/tandem --out DIR [--models resnet50,densenet121|all]
        [--batches 1,16,128] [--no-compile] [--time-budget SECONDS] [--min-seconds 0.5] [--profile]

On the GPU machine: tools/gpu/run_suite.sh --bench-zoo --bench-args "--models ..." (see
tools/gpu/README.md). torch.compile compiles once per model x batch x mode (tens of seconds):
split the zoo across calls with --models.
"""
import argparse, datetime, json, math, os, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The models the issue measured first (concat-heavy, plain 3x3, and the two we tuned on).
DEFAULT_MODELS = ("resnext50_32x4d,regnet_x_400mf,mnasnet1_0,efficientnet_lite0,vgg11_bn,repvgg_a0,hrnet_w18_small,"
                  "dla34,inception_v3,densenet121,googlenet,mobilenet_v2,resnet50")

ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
ap.add_argument("--tandem", required=True)
ap.add_argument("--out", required=True)
ap.add_argument("--models", default=DEFAULT_MODELS, help="comma-separated zoo names, or 'all'")
ap.add_argument("--batches", default="1,16,128")
ap.add_argument("--no-compile", action="store_true")
ap.add_argument("--reduce-overhead-max-batch", type=int, default=16,
                help="torch.compile mode reduce-overhead at batches up to this, default above")
ap.add_argument("--min-seconds", type=float, default=0.5, help="timed seconds per PyTorch measurement (roughly)")
ap.add_argument("--time-budget", type=float, default=0, help="stop starting new models after this many seconds")
ap.add_argument("--profile", action="store_true",
                help="also one Tandem run per model and batch with TANDEM_CUDA_PROFILE=1 -> OUT/profile_<model>_b<batch>.txt")
args = ap.parse_args()

import torch  # noqa: E402 - after parse_args so that --help needs no torch
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from commit import current_commit  # noqa: E402
from tandem_timing import tandem_ips  # noqa: E402
from zoo_export import all_names, bench_spec, build_and_export  # noqa: E402

dev = torch.device("cuda")


def git_commit():
    return current_commit()


results = {"card": torch.cuda.get_device_name(), "date": datetime.datetime.utcnow().isoformat() + "Z",
           "torch": torch.__version__, "commit": git_commit(), "command": " ".join(sys.argv), "rows": []}


def time_cuda(fn):
    """Median milliseconds of fn() over event-timed calls, after warm-up."""
    for _ in range(3):
        fn()
    torch.cuda.synchronize()
    t0 = time.time(); fn(); torch.cuda.synchronize(); one = max(time.time() - t0, 1e-5)
    times = []
    for _ in range(int(min(200, max(5, args.min_seconds / one)))):
        s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        s.record(); fn(); e.record(); e.synchronize()
        times.append(s.elapsed_time(e))
    times.sort()
    return times[len(times) // 2]


def torch_time(model, size, batch, mode):
    m = model.half().to(memory_format=torch.channels_last)
    x = torch.randn(batch, 3, size, size, device=dev).half().to(memory_format=torch.channels_last)
    f = m
    if mode != "eager":
        torch._dynamo.reset()
        f = torch.compile(m, mode=None if mode == "default" else mode)
    try:
        with torch.no_grad():
            ms = time_cuda(lambda: f(x))
    except Exception as e:  # noqa: BLE001 - a failing compile is a result, not a crash
        return {"error": f"{type(e).__name__}: {str(e).splitlines()[0][:200] if str(e) else ''}"}
    return {"images_per_second": batch / (ms * 1e-3), "latency_ms_median": ms}


def tandem_time(path, size, batch):
    r = tandem_ips(args.tandem, path, "cuda:0/fp16", batch, seconds=max(1.0, 2 * args.min_seconds))
    cmd = r.pop("cmd")
    if args.profile and "error" not in r:  # the per-op eager profile, for finding why a model loses
        q = subprocess.run(cmd[:7] + ["--iterations", "3", "--warmup", "1", "-q"], capture_output=True, text=True,
                           timeout=300, env=dict(os.environ, TANDEM_CUDA_PROFILE="1"))
        name = os.path.splitext(os.path.basename(path))[0]
        with open(os.path.join(args.out, f"profile_{name}_b{batch}.txt"), "w") as f:
            f.write(q.stderr)
    if "error" not in r:
        r["cmd"] = " ".join(cmd[:1] + ["run", os.path.basename(path)] + cmd[3:-3])
    return r


def ips(r):
    return r.get("images_per_second") if r and "error" not in r else None


def geomean(xs):
    xs = [x for x in xs if x]
    return math.exp(sum(math.log(x) for x in xs) / len(xs)) if xs else None


def write():
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "zoo_gpu.json"), "w") as f:
        json.dump(results, f, indent=1)
    lines = [f"# Zoo on the GPU: Tandem fp16 vs PyTorch - {results['card']}, {results['date']}, "
             f"torch {results['torch']}, commit {results['commit']}", "",
             f"command: `{results['command']}`", "",
             "images/s end-to-end for Tandem (`tandem run --units cuda:0/fp16`, host input), device-resident input "
             "for PyTorch (eager fp16 channels_last; torch.compile reduce-overhead at batch <= "
             f"{args.reduce_overhead_max_batch}, default above). ratio = Tandem / torch.compile (> 1: Tandem faster).", "",
             "| model | px | batch | tandem fp16 | eager fp16 | torch.compile | ratio / compile | ratio / eager |",
             "|---|---|---|---|---|---|---|---|"]
    by_batch = {}
    for r in results["rows"]:
        t, e, c = ips(r["tandem"]), ips(r["eager"]), ips(r.get("compile"))
        rc = t / c if t and c else None
        re_ = t / e if t and e else None
        by_batch.setdefault(r["batch"], []).append(rc)
        cell = lambda v, x: f"{v:.0f}" if v else ("error: " + x.get("error", "-") if x else "-")  # noqa: E731
        lines.append(f"| {r['model']} | {r['size']} | {r['batch']} | {cell(t, r['tandem'])} | {cell(e, r['eager'])} | "
                     f"{cell(c, r.get('compile'))} | {f'{rc:.2f}x' if rc else '-'} | {f'{re_:.2f}x' if re_ else '-'} |")
    lines += ["", "| batch | models with a ratio | geomean Tandem / torch.compile | lowest |", "|---|---|---|---|"]
    for b, rs in sorted(by_batch.items()):
        ok = [x for x in rs if x]
        g = geomean(ok)
        lines.append(f"| {b} | {len(ok)} | {f'{g:.2f}x' if g else '-'} | {f'{min(ok):.2f}x' if ok else '-'} |")
    with open(os.path.join(args.out, "zoo_gpu.md"), "w") as f:
        f.write("\n".join(lines) + "\n")


def main():
    names = all_names() if args.models == "all" else [m for m in args.models.split(",") if m]
    batches = [int(b) for b in args.batches.split(",")]
    t0 = time.time()
    with tempfile.TemporaryDirectory() as d:
        for name in names:
            if args.time_budget and time.time() - t0 > args.time_budget:
                print(f"bench_zoo_gpu: time budget spent; not run: {name} and after", flush=True)
                results["skipped"] = names[names.index(name):]
                break
            spec = bench_spec(name)
            path = os.path.join(d, name + ".onnx")
            try:
                model = build_and_export(spec, path).to(dev)
            except Exception as e:  # noqa: BLE001
                results["rows"].append({"model": name, "size": spec["size"], "batch": 0, "tandem": {"error": str(e)[:200]},
                                        "eager": None})
                write()
                continue
            for b in batches:
                row = {"model": name, "size": spec["size"], "batch": b, "tandem": tandem_time(path, spec["size"], b),
                       "eager": torch_time(model, spec["size"], b, "eager")}
                if not args.no_compile:
                    mode = "reduce-overhead" if b <= args.reduce_overhead_max_batch else "default"
                    row["compile"] = dict(torch_time(model, spec["size"], b, mode), mode=mode)
                results["rows"].append(row)
                print(name, b, {k: ips(v) for k, v in row.items() if isinstance(v, dict)}, flush=True)
                write()
            del model
            torch.cuda.empty_cache()
    write()
    print(open(os.path.join(args.out, "zoo_gpu.md")).read())


if __name__ == "__main__":
    main()
