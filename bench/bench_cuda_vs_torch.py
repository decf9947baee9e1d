#!/usr/bin/env python3
"""Tandem's CUDA backend vs PyTorch on the same GPU, in the same run.

MobileNetV2 and ResNet-50 (torchvision architectures, seeded random weights, eval mode) are
exported to ONNX from the very torch modules that PyTorch times, so both sides run identical
models. For each batch:
- fp16: Tandem `cuda:0/fp16` vs PyTorch eager fp16 channels_last and torch.compile (mode
  "reduce-overhead" at small batches, "default" at large ones: see --compile-*-batches), with the
  ratio Tandem / torch.compile end-to-end and device-only;
- exact fp32: Tandem `cuda:0` vs PyTorch eager fp32 with TF32 off (cudnn and matmul);
- tf32: Tandem `cuda:0/tf32` vs PyTorch eager fp32 as it comes (TF32 convolutions by default);
- the card's ceilings (a large device-to-device copy, a large fp16 matrix product) and, for
  Tandem fp16, the achieved FLOP/s and bytes/s against them (see the md for the byte floor).

Usage (GPU machine): bench/bench_cuda_vs_torch.py --tandem PATH/tandem --out DIR
  [--models mobilenet_v2,resnet50] [--batches 1,16,64,256,1024] [--compile-batches 1,16,64,256,1024]
  [--compile-reduce-overhead-batches 1-16] [--compile-default-batches 64-] [--precisions fp16,fp32,tf32]
  [--try FEATURES] (Tandem fp16 once more with TANDEM_CUDA_TRY=FEATURES, same run)
  [--off FEATURES] (Tandem fp16 once more with TANDEM_CUDA_OFF=FEATURES: default features off)
Writes DIR/bench.json and DIR/bench.md. torch is imported after the arguments are parsed, so
--help works where torch is not installed.
"""
import argparse, contextlib, datetime, json, os, subprocess, sys, tempfile, time, warnings

ap = argparse.ArgumentParser(description="Tandem CUDA vs PyTorch (eager, torch.compile) on one GPU")
ap.add_argument("--tandem", required=True)
ap.add_argument("--out", required=True)
ap.add_argument("--models", default="mobilenet_v2,resnet50")
ap.add_argument("--batches", default="1,16,64,256,1024")
ap.add_argument("--compile-batches", default="1,16,64,256,1024",
                help="batches at which torch.compile runs at all (each mode further limited by its own set)")
ap.add_argument("--compile-reduce-overhead-batches", default="1-16",
                help="batch set for mode reduce-overhead (CUDA graphs): list/ranges like 1,16 or 1-16 or 64-")
ap.add_argument("--compile-default-batches", default="64-", help="batch set for mode default (64-: batch >= 64)")
ap.add_argument("--no-compile", action="store_true")
ap.add_argument("--profile-batches", default="", help="per-op Tandem profile (TANDEM_CUDA_PROFILE) at these batches -> profile.txt")
ap.add_argument("--profile-precisions", default="fp16", help="precisions to profile: fp16,fp32,tf32")
ap.add_argument("--precisions", default="fp16,fp32,tf32",
                help="Tandem precisions to time (fp32 also times PyTorch eager fp32 exact, tf32 PyTorch eager fp32)")
ap.add_argument("--try", dest="try_features", default="",
                help="also time Tandem fp16 with TANDEM_CUDA_TRY=<this> (features on trial, e.g. im2col-lt,dw-input-act), "
                     "in the same run, as the column 'tandem fp16 + try'")
ap.add_argument("--off", dest="off_features", default="",
                help="also time Tandem fp16 with TANDEM_CUDA_OFF=<this> (default features turned off, e.g. "
                     "im2col-lt,dw-input-act,c8-input), in the same run, as the column 'tandem fp16 - off'")
ap.add_argument("--min-seconds", type=float, default=1.0, help="timed seconds per measurement (roughly)")
args = ap.parse_args()

if args.try_features and args.off_features:
    ap.error("--try and --off each add one column: give one of them")
# The second Tandem fp16 column: (its heading, its environment).
VARIANT = (("+ try (%s)" % args.try_features, {"TANDEM_CUDA_TRY": args.try_features}) if args.try_features else
           ("- off (%s)" % args.off_features, {"TANDEM_CUDA_OFF": args.off_features}) if args.off_features else None)

import torch  # noqa: E402 - after parse_args so that --help needs no torch
import torchvision  # noqa: E402

dev = torch.device("cuda")
results = {"card": torch.cuda.get_device_name(), "date": datetime.datetime.utcnow().isoformat() + "Z",
           "torch": torch.__version__, "command": " ".join(sys.argv), "rows": [], "ceilings": {}, "floors": {}}


def time_cuda(fn, min_seconds=args.min_seconds):
    """Median milliseconds of fn() over repeated event-timed calls (after warm-up)."""
    for _ in range(3):
        fn()
    torch.cuda.synchronize()
    t0 = time.time(); fn(); torch.cuda.synchronize(); one = max(time.time() - t0, 1e-5)
    reps = int(min(200, max(5, min_seconds / one)))
    times = []
    for _ in range(reps):
        s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        s.record(); fn(); e.record(); e.synchronize()
        times.append(s.elapsed_time(e))
    times.sort()
    return times[len(times) // 2]


def ceilings():
    n = 1 << 28  # 1 GiB of fp32
    a = torch.randn(n, device=dev); b = torch.empty_like(a)
    ms = time_cuda(lambda: b.copy_(a))
    bw = 2 * a.numel() * 4 / (ms * 1e-3)
    m = 8192
    x = torch.randn(m, m, device=dev, dtype=torch.float16); y = torch.randn(m, m, device=dev, dtype=torch.float16)
    ms2 = time_cuda(lambda: x @ y)
    results["ceilings"] = {"d2d_copy_GBps": bw / 1e9, "fp16_gemm_TFLOPs": 2 * m ** 3 / (ms2 * 1e-3) / 1e12}
    del a, b, x, y
    torch.cuda.empty_cache()


def make_model(name):
    torch.manual_seed(0)
    m = getattr(torchvision.models, name)(weights=None).eval().to(dev)
    return m


def export(model, path):
    x = torch.randn(1, 3, 224, 224, device=dev)
    kw = dict(input_names=["input"], output_names=["output"], opset_version=17,
              dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})
    try:
        torch.onnx.export(model, (x,), path, dynamo=False, **kw)
    except TypeError:
        torch.onnx.export(model, (x,), path, **kw)


def in_batch_set(batch, spec):
    """Whether `batch` is in a set like "1,16", "1-16", "64-" (open: >= 64) or "" (none)."""
    for part in (p.strip() for p in spec.split(",")):
        if not part:
            continue
        if "-" in part:
            lo, hi = part.split("-", 1)
            if int(lo) <= batch and (not hi or batch <= int(hi)):
                return True
        elif int(part) == batch:
            return True
    return False


def compile_modes(batch):
    """torch.compile modes to run at `batch` (none with --no-compile or outside --compile-batches)."""
    if args.no_compile or not in_batch_set(batch, args.compile_batches):
        return []
    modes = []
    if in_batch_set(batch, args.compile_reduce_overhead_batches):
        modes.append("reduce-overhead")
    if in_batch_set(batch, args.compile_default_batches):
        modes.append("default")
    return modes


# Leaf modules whose outputs an inference engine must materialise once BatchNorm is folded into
# the convolution and activations / residual adds are fused into it (their own outputs are not
# counted: they do not exist in the fused graph).
FLOOR_LAYERS = ("Conv2d", "Linear", "MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d")


def activation_bytes_per_image(model):
    """Minimal fp16 activation traffic per image: the input read once, every FLOOR_LAYERS output
    written once and read once (the final output written once, not read)."""
    sizes = []
    hooks = [m.register_forward_hook(lambda _m, _i, out: sizes.append(out.numel()))
             for m in model.modules() if type(m).__name__ in FLOOR_LAYERS]
    x = torch.randn(1, 3, 224, 224, device=dev)
    try:
        with torch.no_grad():
            model(x)
    finally:
        for h in hooks:
            h.remove()
    elems = x.numel() + 2 * sum(sizes) - (sizes[-1] if sizes else 0)
    return 2 * elems, len(sizes)


def model_floor(name, model):
    from torch.utils.flop_counter import FlopCounterMode
    x = torch.randn(1, 3, 224, 224, device=dev)
    with torch.no_grad(), FlopCounterMode(display=False) as fc:
        model(x)
    flops = fc.get_total_flops()
    params = sum(p.numel() for p in model.parameters())
    act_bytes, tensors = activation_bytes_per_image(model)
    results["floors"][name] = {"flops_per_image": flops, "params": params, "fp16_weight_bytes": 2 * params,
                               "fp16_activation_bytes_per_image": act_bytes, "floor_tensors": tensors}


def timing_split(stderr, batch):
    """The executable's own split (TANDEM_CUDA_TIMING): input upload, graph (device), output copy."""
    best = None
    for line in stderr.splitlines():
        if line.startswith("tandem-cuda-timing:") and "[%d," % batch in line.replace(" ", ""):
            kv = dict(t.split("=") for t in line.split() if "=" in t)
            if best is None or int(kv["runs"]) > int(best["runs"]):
                best = kv
    if best is None:
        return {}
    up, gr, out = float(best["upload_ms"]), float(best["graph_ms"]), float(best["output_ms"])
    return {"upload_ms": up, "graph_ms": gr, "output_ms": out, "device_images_per_second": batch / (gr * 1e-3)}


def tandem(model_path, units, batch, env=None, iters=None, profile=False):
    """End-to-end `tandem run` with `env` added to the environment (no timing instrumentation:
    uploads overlap compute), then a shorter run with TANDEM_CUDA_TIMING for the upload/graph/output
    split (that mode synchronises after each part, so its own throughput is not the end-to-end
    figure). profile=True: one TANDEM_CUDA_TIMING run only, its stderr kept (for the per-op profile)."""
    env = env or {}
    # Enough batches that filling the pipeline (the first batch's upload, not overlapped with any
    # compute) is a small share: with 5 batches at 1024 it was ~10% of the measured time.
    iters = iters or max(30, min(200, int(20000 / batch)))

    def once(extra, n):
        with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as f:
            rep = f.name
        cmd = [args.tandem, "run", model_path, "--units", units, "--batch", str(batch), "--iterations", str(n),
               "--warmup", "5", "--report", rep, "-q"]
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=dict(os.environ, **extra))
        if p.returncode != 0:
            return None, {"error": (p.stderr or p.stdout).strip().splitlines()[-1:] or ["rc %d" % p.returncode],
                          "cmd": " ".join(cmd)}
        return p, {"report": json.load(open(rep)), "cmd": " ".join(cmd)}

    if profile:  # its own clocks only
        p, r = once(dict(env, TANDEM_CUDA_TIMING="1"), iters)
        if p is None:
            return r
        out = {"images_per_second": r["report"].get("images_per_second"),
               "latency_ms_median": r["report"].get("latency_ms_median"), "cmd": r["cmd"], "stderr": p.stderr}
        out.update(timing_split(p.stderr, batch))
        return out
    p, r = once(env, iters)
    if p is None:
        return r
    out = {"images_per_second": r["report"].get("images_per_second"),
           "latency_ms_median": r["report"].get("latency_ms_median"), "cmd": r["cmd"], "env": env}
    p2, _ = once(dict(env, TANDEM_CUDA_TIMING="1"), max(3, iters // 4))
    if p2 is not None:
        out.update(timing_split(p2.stderr, batch))
    return out


@contextlib.contextmanager
def tf32_allowed(allow):
    """PyTorch's TF32 switches for cuDNN convolutions and cuBLAS matmuls, restored on exit.
    allow=None leaves PyTorch's defaults (cuDNN TF32 on, matmul TF32 off)."""
    if allow is None:
        yield
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # newer torch prefers fp32_precision; the old flags still work
        old = (torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32)
        torch.backends.cudnn.allow_tf32 = allow
        torch.backends.cuda.matmul.allow_tf32 = allow
    try:
        yield
    finally:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = old


def torch_row(model, batch, fp16, mode, allow_tf32=None):
    m = model
    x = torch.randn(batch, 3, 224, 224, device=dev)
    if fp16:
        m = m.half().to(memory_format=torch.channels_last)
        x = x.half().to(memory_format=torch.channels_last)
    f = m
    if mode != "eager":
        torch._dynamo.reset()
        f = torch.compile(m, mode=None if mode == "default" else mode)
    with torch.no_grad(), tf32_allowed(allow_tf32):
        ms = time_cuda(lambda: f(x))
    return {"images_per_second": batch / (ms * 1e-3), "latency_ms_median": ms}


def main():
    ceilings()
    print("ceilings", results["ceilings"], flush=True)
    tmp = tempfile.mkdtemp()
    for name in args.models.split(","):
        model = make_model(name)
        path = os.path.join(tmp, name + ".onnx")
        export(model, path)
        model_floor(name, model)
        for batch in [int(b) for b in args.profile_batches.split(",") if b]:
            for prec in args.profile_precisions.split(","):
                r = tandem(path, "cuda:0/" + prec, batch, env={"TANDEM_CUDA_PROFILE": "1"}, iters=5, profile=True)
                with open(os.path.join(args.out, "profile.txt"), "a") as f:
                    f.write("==== %s batch %d %s\n%s\n" % (name, batch, prec, r.get("stderr") or r.get("error")))
        for batch in [int(b) for b in args.batches.split(",")]:
            row = {"model": name, "batch": batch}
            precs = args.precisions.split(",")
            row["tandem_fp16"] = tandem(path, "cuda:0/fp16", batch)
            if VARIANT:
                row["tandem_fp16_variant"] = tandem(path, "cuda:0/fp16", batch, env=VARIANT[1])
            if "fp32" in precs:
                row["tandem_fp32"] = tandem(path, "cuda:0", batch)
                row["torch_eager_fp32_exact"] = torch_row(make_model(name), batch, False, "eager", allow_tf32=False)
            if "tf32" in precs:
                row["tandem_tf32"] = tandem(path, "cuda:0/tf32", batch)
                row["torch_eager_fp32"] = torch_row(make_model(name), batch, False, "eager")  # defaults: TF32 convs
            row["torch_eager_fp16_cl"] = torch_row(make_model(name), batch, True, "eager")
            for mode in compile_modes(batch):
                try:
                    row["torch_compile_" + mode] = torch_row(make_model(name), batch, True, mode)
                except Exception as e:  # noqa: BLE001 - report, keep going
                    row["torch_compile_" + mode] = {"error": (str(e).splitlines() or [type(e).__name__])[0]}
            print(json.dumps(row), flush=True)
            results["rows"].append(row)
            torch.cuda.empty_cache()
            # Written after every row: a run cut at its time limit keeps what it measured.
            json.dump(results, open(os.path.join(args.out, "bench.json"), "w"), indent=1)
            write_md()


def ok(r):
    return bool(r) and "error" not in r and r.get("images_per_second")


def fmt(r):
    if not r:
        return "-"
    if "error" in r:
        return "err"
    return "%.0f (%.2f ms)" % (r["images_per_second"], r["latency_ms_median"])


def ratio(a, b):
    return "%.2fx" % (a / b) if a and b else "-"


def best_compile(r):
    """The faster torch.compile mode run at this batch (only one runs per batch by default)."""
    runs = [(r[k]["images_per_second"], k[len("torch_compile_"):]) for k in r if k.startswith("torch_compile_") and ok(r[k])]
    return max(runs) if runs else (None, None)


def fp16_lines(rows):
    lines = ["## fp16", "",
             "images/s (median latency per batch). Ratios are Tandem fp16 / the faster torch.compile mode run at that "
             "batch (> 1: Tandem faster). End-to-end: `tandem run`'s images/s, host fp32 input included; device-only: "
             "batch / Tandem's CUDA-graph time (no input upload). PyTorch always times device-resident inputs.", "",
             "| model | batch | tandem fp16 | torch eager fp16 CL | torch.compile default | torch.compile reduce-overhead "
             "| ratio tandem / compile, end-to-end | ratio tandem / compile, device-only |",
             "|---|---|---|---|---|---|---|---|"]
    tried = any("tandem_fp16_variant" in r for r in rows)
    if tried:
        lines[-2] = lines[-2].replace("| tandem fp16 |", "| tandem fp16 | tandem fp16 %s | graph ms / %s |" % (VARIANT[0], VARIANT[0].split(" (")[0]))
        lines[-1] = "|---|---|---|---|---|---|---|---|---|---|"
    for r in rows:
        t = r["tandem_fp16"]
        best, mode = best_compile(r)
        e2e = ratio(t.get("images_per_second"), best) if ok(t) else "-"
        dev_only = ratio(t.get("device_images_per_second"), best) if ok(t) else "-"
        if mode:
            e2e, dev_only = e2e + " (" + mode + ")", dev_only + " (" + mode + ")"
        cells = [fmt(t)]
        if tried:
            tt = r.get("tandem_fp16_variant") or {}
            g = lambda d: ("%.3f" % d["graph_ms"]) if d and "graph_ms" in d else "-"
            cells += [fmt(tt), "%s / %s" % (g(t), g(tt))]
        lines.append("| %s | %d | %s | %s | %s | %s | %s | %s |" % (
            r["model"], r["batch"], " | ".join(cells), fmt(r["torch_eager_fp16_cl"]), fmt(r.get("torch_compile_default")),
            fmt(r.get("torch_compile_reduce-overhead")), e2e, dev_only))
    return lines


def fp32_lines(rows):
    lines = ["", "## fp32: exact vs exact, tf32 vs tf32", "",
             "exact: Tandem `cuda:0` (cuDNN FMA math, cuBLAS COMPUTE_32F) vs PyTorch eager fp32 with "
             "`torch.backends.cudnn.allow_tf32 = False` and `torch.backends.cuda.matmul.allow_tf32 = False`. "
             "tf32: Tandem `cuda:0/tf32` (cuDNN default math, cuBLAS FAST_TF32) vs PyTorch eager fp32 with its "
             "defaults (TF32 for convolutions, not for matmuls: the classifier's one Linear is a small share).", "",
             "| model | batch | tandem fp32 | torch eager fp32 no TF32 | ratio exact | tandem tf32 | torch eager fp32 default (TF32 convs) | ratio tf32 |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        f, fe, t, td = r.get("tandem_fp32"), r.get("torch_eager_fp32_exact"), r.get("tandem_tf32"), r.get("torch_eager_fp32")
        lines.append("| %s | %d | %s | %s | %s | %s | %s | %s |" % (
            r["model"], r["batch"], fmt(f), fmt(fe), ratio(ok(f) and f["images_per_second"], ok(fe) and fe["images_per_second"]),
            fmt(t), fmt(td), ratio(ok(t) and t["images_per_second"], ok(td) and td["images_per_second"])))
    return lines


def split_lines(rows):
    lines = ["", "## Tandem copy/compute split", "",
             "The executable's own clocks, from a separate run with TANDEM_CUDA_TIMING (it synchronises after each "
             "part, so nothing overlaps there): upload = host fp32 input (page-locked: `tandem run` allocates it "
             "with Engine::make_tensor) -> device; graph = CUDA graph replay (device compute, the input's fp32 -> "
             "unit-type conversion included); device-only img/s = batch / graph. The end-to-end columns come from "
             "a run without it, where the next batch's upload overlaps the current batch's graph.", "",
             "| model | batch | fp16 upload ms | fp16 graph ms | fp16 device-only img/s | fp32 upload ms | fp32 graph ms "
             "| fp32 device-only img/s | tf32 graph ms | tf32 device-only img/s |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    g = lambda d, k, fmt_: (fmt_ % d[k]) if d and k in d else "-"
    for r in rows:
        h, f, t = r["tandem_fp16"], r.get("tandem_fp32"), r.get("tandem_tf32")
        lines.append("| %s | %d | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            r["model"], r["batch"], g(h, "upload_ms", "%.3f"), g(h, "graph_ms", "%.3f"), g(h, "device_images_per_second", "%.0f"),
            g(f, "upload_ms", "%.3f"), g(f, "graph_ms", "%.3f"), g(f, "device_images_per_second", "%.0f"),
            g(t, "graph_ms", "%.3f"), g(t, "device_images_per_second", "%.0f")))
    return lines


def ceiling_lines(rows):
    c = results["ceilings"]
    peak_flops, peak_bw = c["fp16_gemm_TFLOPs"] * 1e12, c["d2d_copy_GBps"] * 1e9
    lines = ["", "## Tandem fp16: achieved vs ceilings", "",
             "FLOP/s = model FLOPs per image (torch FlopCounterMode: 2 per multiply-add) x images/s, against the "
             "measured fp16 GEMM ceiling (8192^3). Bytes/s = the minimal-traffic floor of one batch / the batch's "
             "time, against the measured device-to-device copy ceiling (read + write counted). The floor of a batch "
             "of B images, in fp16: the weights read once, plus B x (the input image read once, and every tensor "
             "an engine must materialise written once and read once). Those tensors are the outputs of the "
             "Conv2d, Linear and pooling modules of the torch model, found with forward hooks at batch 1: "
             "BatchNorm is folded into the convolution and activations and residual adds fused into it, so their "
             "own outputs are not counted (nor is a second read of a tensor used twice, e.g. a residual). A real "
             "run moves at least these bytes, so its % of the D2D ceiling is a lower bound of the bandwidth it "
             "really uses. End-to-end uses `tandem run`'s images/s (host input upload included), device-only "
             "batch / graph time.", "",
             "| model | batch | FLOP/s end-to-end | % fp16 GEMM | FLOP/s device-only | % fp16 GEMM | floor MB/batch "
             "| bytes/s end-to-end | % D2D | bytes/s device-only | % D2D | compute floor img/s |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        t, fl = r["tandem_fp16"], results["floors"][r["model"]]
        flops = fl["flops_per_image"]
        floor_bytes = fl["fp16_weight_bytes"] + r["batch"] * fl["fp16_activation_bytes_per_image"]
        cells = []
        for key in ("images_per_second", "device_images_per_second"):
            ips = t.get(key) if ok(t) else None
            if not ips:
                cells.append(("-", "-", "-", "-"))
                continue
            fs, bs = flops * ips, floor_bytes * ips / r["batch"]
            cells.append(("%.1f T" % (fs / 1e12), "%.1f%%" % (100 * fs / peak_flops), "%.0f GB/s" % (bs / 1e9),
                          "%.1f%%" % (100 * bs / peak_bw)))
        (fe, pe, be, pbe), (fd, pd, bd, pbd) = cells
        lines.append("| %s | %d | %s | %s | %s | %s | %.1f | %s | %s | %s | %s | %.0f |" % (
            r["model"], r["batch"], fe, pe, fd, pd, floor_bytes / 1e6, be, pbe, bd, pbd, peak_flops / flops))
    return lines


def write_md():
    c = results["ceilings"]
    rows = results["rows"]
    lines = ["# Tandem CUDA vs PyTorch — %s, %s, torch %s" % (results["card"], results["date"], results["torch"]),
             "", "command: `%s`" % results["command"], "",
             "ceilings: D2D copy %.0f GB/s (read+write), fp16 GEMM 8192^3 %.0f TFLOP/s" % (c["d2d_copy_GBps"], c["fp16_gemm_TFLOPs"]),
             "", "torch.compile modes: reduce-overhead at batches %s, default at batches %s (within --compile-batches %s)" % (
                 args.compile_reduce_overhead_batches, args.compile_default_batches, args.compile_batches), ""]
    lines += fp16_lines(rows) + fp32_lines(rows) + split_lines(rows) + ceiling_lines(rows)
    errs = [(r["model"], r["batch"], k, v["error"]) for r in rows for k, v in r.items() if isinstance(v, dict) and "error" in v]
    if errs:
        lines += ["", "errors:"] + ["- %s b%d %s: %s" % e for e in errs]
    lines.append("")
    for n, f in results["floors"].items():
        lines.append("%s: %.2f GFLOP/image, %.1f M params (fp16 weights %.1f MB), minimal fp16 activation traffic %.2f MB/image "
                     "(%d tensors)" % (n, f["flops_per_image"] / 1e9, f["params"] / 1e6, f["fp16_weight_bytes"] / 1e6,
                                       f["fp16_activation_bytes_per_image"] / 1e6, f["floor_tensors"]))
        lines.append("")
    open(os.path.join(args.out, "bench.md"), "w").write("\n".join(lines))


if __name__ == "__main__":
    main()
