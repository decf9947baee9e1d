#!/usr/bin/env python3
"""Issue 4: one GPU vs all GPUs vs all GPUs + the CPU, MobileNetV2 and ResNet-50, fp16.

Every figure comes from `tandem bench` (images/s, host fp32 NCHW input to host output; each
configuration a fresh Engine, the plan chosen by measurement). Per model and batch, two runs:
  gpus      `tandem bench M --units cuda:0/fp16,...,cuda:N-1/fp16`: each GPU alone, then all GPUs;
  gpus+cpu  the same units plus a `cpu:CORES` unit: each unit alone again, then all of them.
One GPU = cuda:0 alone (from the gpus run). Speedup = all GPUs / one GPU; of ideal = all GPUs /
sum of each GPU alone; with CPU / without = (all GPUs + CPU) / (all GPUs). cuda:0 alone is thus
measured twice per row: the spread between the two is printed as the noise of the measurement.

The CPU unit (default --cpu-unit auto): the GPU units' host side needs cores of its own (one
worker thread per GPU, plus up to 8 staging threads per GPU for the fp32 -> fp16 conversion and
copies into pinned memory: cuda_executable.cpp, host_threads_), so auto leaves min(half the
physical cores, 8*N+2) physical cores (with their hyperthread siblings) to the GPUs and the
runtime, and gives the CPU unit the remaining physical cores, one thread each (oneDNN gains
nothing from siblings). --cpu-unit cpu:2-31 overrides; --cpu-unit none skips the +CPU runs.

Device time is scarce: --seconds per configuration (default 0.5) and a --budget (default 420 s,
counted from the start, export included). Jobs run in the order of --batches (default: the
goal's batches first), per batch: each model's gpus run, then each model's gpus+cpu run. A job
whose estimated time (the last similar job's, scaled by batch) exceeds what is left is skipped
and listed as skipped in bench.md.

Usage (GPU machine, see tools/gpu/run_multi_gpu.sh):
  bench/bench_multi_gpu.py --tandem PATH/tandem --out DIR [--models mobilenet_v2,resnet50]
    [--batches 512,1024,2048,256,4096] [--seconds 0.5] [--budget 420] [--gpus N]
    [--cpu-unit auto|none|cpu:A-B] [--commit-file FILE] [--models-dir DIR]
Writes DIR/bench.json, DIR/bench.md and DIR/bench.log.
"""
import argparse
import datetime
import json
import os
import subprocess
import sys
import tempfile
import time

T0 = time.time()
GOAL_2GPU = 1.9  # issue 4: 2 GPUs >= 1.9x one GPU at batch >= 512
GOAL_8GPU = 7.0  # issue 4: 8 GPUs >= 7x one GPU (checked at batch >= 512 too)
GOAL_MIN_BATCH = 512


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tandem", required=True, help="the tandem executable")
    ap.add_argument("--out", required=True, help="output folder (bench.json, bench.md, bench.log)")
    ap.add_argument("--models", default="mobilenet_v2,resnet50", help="torchvision model names")
    ap.add_argument("--batches", default="512,1024,2048,256,4096", help="run in this order; tables sort by batch")
    ap.add_argument("--seconds", type=float, default=0.5, help="timed seconds per configuration (tandem bench)")
    ap.add_argument("--budget", type=float, default=420, help="seconds for the whole script; later jobs are skipped")
    ap.add_argument("--gpus", type=int, default=0, help="use cuda:0..N-1 (default: every GPU nvidia-smi lists)")
    ap.add_argument("--cpu-unit", default="auto", help="auto, none, or a unit such as cpu:2-31")
    ap.add_argument("--precision", default="fp16", help="GPU unit option: fp16 (the issue's), fp32 or tf32")
    ap.add_argument("--commit-file", default="", help="the bundle's COMMIT file")
    ap.add_argument("--models-dir", default="/tmp/tandem_mgpu_models", help="exported ONNX files (reused if present)")
    return ap.parse_args(argv)


def elapsed():
    return time.time() - T0


def sh(cmd):
    """stdout of a shell command, or a one-line note when it fails."""
    try:
        p = subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=60)
        return p.stdout.strip() if p.returncode == 0 else "(%s: rc %d %s)" % (cmd, p.returncode, p.stderr.strip()[:200])
    except Exception as e:  # noqa: BLE001 - recorded, not fatal
        return "(%s: %s)" % (cmd, e)


def gpu_count():
    lines = [l for l in sh("nvidia-smi -L").splitlines() if l.startswith("GPU ")]
    if lines:
        return len(lines)
    try:
        import torch
        return torch.cuda.device_count()
    except Exception:  # noqa: BLE001
        return 0


def core_ranges(cores):
    """[0,1,2,5,7,8] -> '0-2,5-5,7-8' (the unit spec's list form)."""
    out, cores = [], sorted(cores)
    i = 0
    while i < len(cores):
        j = i
        while j + 1 < len(cores) and cores[j + 1] == cores[j] + 1:
            j += 1
        out.append("%d-%d" % (cores[i], cores[j]))
        i = j + 1
    return ",".join(out)


def physical_cores():
    """The first logical CPU of each physical core this process may use, in order."""
    firsts, seen = [], set()
    for c in sorted(os.sched_getaffinity(0)):
        try:
            with open("/sys/devices/system/cpu/cpu%d/topology/thread_siblings_list" % c) as f:
                sib = f.read().strip()
        except OSError:
            sib = str(c)
        if sib not in seen:
            seen.add(sib)
            firsts.append(c)
    return firsts


def choose_cpu_unit(arg, n_gpus):
    """(unit spec or None, why)."""
    if arg == "none":
        return None, "--cpu-unit none: no +CPU runs"
    if arg != "auto":
        return arg, "given with --cpu-unit"
    phys = physical_cores()
    reserve = max(1, min(len(phys) // 2, 8 * n_gpus + 2))
    cpu = phys[reserve:]
    if not cpu:
        return None, "no physical core left for a CPU unit (%d physical cores)" % len(phys)
    return "cpu:" + core_ranges(cpu), (
        "auto: %d physical cores (%d logical CPUs); the first %d physical cores and their siblings are left to "
        "the %d GPU unit(s) (worker + up to 8 staging threads each) and the runtime, the CPU unit gets the "
        "other %d, one thread per core" % (len(phys), len(os.sched_getaffinity(0)), reserve, n_gpus, len(cpu)))


def machine_info(args):
    commit = ""
    if args.commit_file and os.path.exists(args.commit_file):
        commit = open(args.commit_file).read().strip()
    lscpu = sh("lscpu")
    cpu = [l.split(":", 1)[1].strip() for l in lscpu.splitlines() if l.startswith("Model name")]
    return {"date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "commit": commit, "command": " ".join(sys.argv),
            "gpus": sh("nvidia-smi --query-gpu=index,name,driver_version,memory.total,pci.bus_id --format=csv,noheader"),
            "topology": sh("nvidia-smi topo -m"), "cpu_model": cpu[0] if cpu else "",
            "logical_cpus": len(os.sched_getaffinity(0)), "physical_cores": len(physical_cores()),
            "numa": "; ".join(" ".join(l.split()) for l in sh("lscpu | grep -i 'numa node'").splitlines())}


def export_models(names, folder, log):
    """name -> ONNX path; exports with torch only the ones not already there."""
    os.makedirs(folder, exist_ok=True)
    paths = {n: os.path.join(folder, n + ".onnx") for n in names}
    todo = [n for n in names if not os.path.exists(paths[n])]
    if todo:
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        from torch_models import export, make_model  # torch is imported only when needed
        for n in todo:
            t = time.time()
            export(make_model(n), paths[n] + ".tmp")
            os.replace(paths[n] + ".tmp", paths[n])
            log("exported %s in %.1f s" % (n, time.time() - t))
    return paths


def run_bench(args, model_path, units, batch, timeout, log):
    """One `tandem bench` at one batch: {single: {unit: img/s or error}, together, plan, ...}."""
    fd, js = tempfile.mkstemp(suffix=".json")
    os.close(fd)
    cmd = [args.tandem, "bench", model_path, "--units", units, "--batches", str(batch),
           "--seconds", str(args.seconds), "--json", js]
    res = {"cmd": " ".join(cmd), "units": units}
    t = time.time()
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        log("$ %s\n%s%s" % (res["cmd"], p.stdout, p.stderr))
        if p.returncode != 0:
            lines = (p.stderr or p.stdout).strip().splitlines()
            res["error"] = lines[-1] if lines else "rc %d" % p.returncode
        else:
            res.update(json.load(open(js))["rows"][0])
    except subprocess.TimeoutExpired:
        res["error"] = "timed out after %.0f s (budget)" % timeout
        log("$ %s\n%s" % (res["cmd"], res["error"]))
    finally:
        os.unlink(js)
    res["elapsed_s"] = round(time.time() - t, 1)
    return res


def estimate(done, model, kind, batch):
    """Seconds the job will likely take: the last similar job's time scaled by batch (0 if none)."""
    for same_model in (True, False):
        for j in reversed(done):
            if j["kind"] == kind and (j["model"] == model) == same_model and "elapsed_s" in j["result"]:
                return j["result"]["elapsed_s"] * max(1.0, batch / j["batch"])
    for j in reversed(done):  # a +CPU run measures one unit more and a larger plan choice
        if j["model"] == model and "elapsed_s" in j["result"]:
            return j["result"]["elapsed_s"] * 1.3 * max(1.0, batch / j["batch"])
    return 0.0


def run_jobs(args, paths, gpu_units, cpu_unit, log):
    jobs = []
    for b in [int(x) for x in args.batches.split(",") if x]:
        for kind in ["gpus"] + (["gpus+cpu"] if cpu_unit else []):
            for m in paths:
                jobs.append({"model": m, "batch": b, "kind": kind})
    done, skipped = [], []
    for j in jobs:
        units = gpu_units if j["kind"] == "gpus" else gpu_units + "," + cpu_unit
        left = args.budget - elapsed()
        est = estimate(done, j["model"], j["kind"], j["batch"])
        if left < 5 or est > left:
            skipped.append("%s b%d %s (estimated %.0f s, %.0f s left)" % (j["model"], j["batch"], j["kind"], est, left))
            print("[budget] skip " + skipped[-1], flush=True)
            continue
        j["result"] = run_bench(args, paths[j["model"]], units, j["batch"], max(left, 10) + 30, log)
        done.append(j)
        r = j["result"]
        print("[budget] %.0f/%.0f s: %s b%d %s: %s in %.1f s" % (
            elapsed(), args.budget, j["model"], j["batch"], j["kind"],
            r.get("error") or "%.0f img/s (%s)" % (r.get("together", 0), r.get("plan", "")), r["elapsed_s"]), flush=True)
    return done, skipped


def num(v):
    return v if isinstance(v, (int, float)) and not isinstance(v, bool) else None


def summarize(done, n_gpus):
    """One row per (model, batch): the derived figures of issue 4."""
    rows = {}
    for j in done:
        r = rows.setdefault((j["model"], j["batch"]), {"model": j["model"], "batch": j["batch"]})
        r[j["kind"]] = j["result"]
    for r in rows.values():
        g, c = r.get("gpus", {}), r.get("gpus+cpu", {})
        singles = {k: num(v) for k, v in g.get("single", {}).items()}
        one = singles.get("cuda:0")
        all_g = num(g.get("together")) if "error" not in g else None
        gpu_sum = sum(v for v in singles.values() if v) if singles and all(singles.values()) else None
        r["one_gpu"], r["all_gpus"] = one, all_g
        r["each_gpu"] = singles
        r["speedup"] = all_g / one if all_g and one else None
        r["of_ideal"] = all_g / gpu_sum if all_g and gpu_sum else None
        r["goal"] = goal_for(n_gpus, r["batch"])
        r["goal_met"] = (r["speedup"] >= r["goal"]) if r["goal"] and r["speedup"] else None
        csingles = {k: num(v) for k, v in c.get("single", {}).items()}
        cpu_name = next((k for k in csingles if k.startswith("cpu")), None)
        r["cpu_alone"] = csingles.get(cpu_name) if cpu_name else None
        r["all_gpus_cpu"] = num(c.get("together")) if c and "error" not in c else None
        csum = sum(v for v in csingles.values() if v) if csingles and all(csingles.values()) else None
        r["of_ideal_cpu"] = r["all_gpus_cpu"] / csum if r["all_gpus_cpu"] and csum else None
        r["cpu_gain"] = r["all_gpus_cpu"] / all_g if r["all_gpus_cpu"] and all_g else None
        second = csingles.get("cuda:0")
        r["noise"] = abs(second - one) / max(second, one) if second and one else None
    return [rows[k] for k in sorted(rows, key=lambda k: (k[0], k[1]))]


def goal_for(n_gpus, batch):
    if batch < GOAL_MIN_BATCH:
        return None
    return {2: GOAL_2GPU, 8: GOAL_8GPU}.get(n_gpus)


def f0(v):
    return "-" if v is None else "{:,.0f}".format(v)


def fx(v, suffix="x"):
    return "-" if v is None else "%.2f%s" % (v, suffix)


def fp(v):
    return "-" if v is None else "%.0f%%" % (100 * v)


def each_gpu_cell(singles):
    vals = [v for v in singles.values() if v]
    if not singles:
        return "-"
    if len(singles) <= 4:
        return " / ".join(f0(v) for v in singles.values())
    return "%s-%s" % (f0(min(vals)), f0(max(vals))) if vals else "err"


def cpu_gain_cell(v):
    if v is None:
        return "-"
    if v >= 1.0:
        return "%.3fx ok" % v
    return "%.3fx **lower**%s" % (v, " (within 2%)" if v >= 0.98 else "")


def results_table(rows):
    lines = ["| model | batch | one GPU (cuda:0) | each GPU alone | all GPUs | speedup over one | of ideal | goal | "
             "CPU alone | all GPUs + CPU | with CPU / without | of ideal (+CPU) | plan (all GPUs) | plan (+CPU) |",
             "|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---|---|"]
    for r in rows:
        goal = "-" if r["goal"] is None else ("%.1fx %s" % (r["goal"], "met" if r["goal_met"] else "**not met**"))
        lines.append("| %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | `%s` | `%s` |" % (
            r["model"], r["batch"], f0(r["one_gpu"]), each_gpu_cell(r["each_gpu"]), f0(r["all_gpus"]),
            fx(r["speedup"]), fp(r["of_ideal"]), goal, f0(r["cpu_alone"]), f0(r["all_gpus_cpu"]),
            cpu_gain_cell(r["cpu_gain"]), fp(r["of_ideal_cpu"]), r.get("gpus", {}).get("plan", "-") or "-",
            r.get("gpus+cpu", {}).get("plan", "-") or "-"))
    return lines


def goals_summary(rows, n_gpus):
    out = []
    if n_gpus in (2, 8):
        g = [r for r in rows if r["goal"] is not None and r["speedup"] is not None]
        met = [r for r in g if r["goal_met"]]
        out.append("- %d GPUs >= %.1fx one GPU at batch >= %d: %s (%d of %d rows met; speedups %s)" % (
            n_gpus, GOAL_2GPU if n_gpus == 2 else GOAL_8GPU, GOAL_MIN_BATCH,
            "met" if g and len(met) == len(g) else ("not measured" if not g else "not met"), len(met), len(g),
            ", ".join("%s b%d %.2fx" % (r["model"], r["batch"], r["speedup"]) for r in g) or "-"))
    else:
        out.append("- Speedup goals (2 GPUs >= 1.9x at batch >= 512; 8 GPUs >= 7x) need 2 or 8 GPUs: "
                   "this machine has %d (speedups are reported, not marked)." % n_gpus)
    c = [r for r in rows if r["cpu_gain"] is not None]
    low = [r for r in c if r["cpu_gain"] < 1.0]
    out.append("- Adding the CPU never lowers throughput: %s (%d of %d rows >= 1.0%s)" % (
        "not measured" if not c else ("met" if not low else "not met"), len(c) - len(low), len(c),
        "; lower at " + ", ".join("%s b%d %.3fx" % (r["model"], r["batch"], r["cpu_gain"]) for r in low) if low else ""))
    noise = [r["noise"] for r in rows if r["noise"] is not None]
    if noise:
        out.append("- Noise: cuda:0 alone was measured twice per row (GPU-only run and +CPU run); the two differ by "
                   "%.0f%% at most (median %.0f%%): differences smaller than that are not effects." % (
                       100 * max(noise), 100 * sorted(noise)[len(noise) // 2]))
    return out


def write_md(path, info, rows, skipped, n_gpus, cpu_unit, cpu_why, args):
    errs = ["- %s b%d %s: %s" % (r["model"], r["batch"], k, r[k]["error"])
            for r in rows for k in ("gpus", "gpus+cpu") if isinstance(r.get(k), dict) and "error" in r[k]]
    first = info["gpus"].splitlines()[0] if info["gpus"] else ""
    card = first.split(",")[1].strip() if "," in first and not first.startswith("(") else "?"
    lines = ["# Several GPUs: %d x %s, %s, one GPU vs all GPUs vs all GPUs + CPU" % (n_gpus, card, args.precision), "",
             "- Date: %s; tandem commit %s" % (info["date"], info["commit"] or "?"),
             "- GPUs (index, name, driver, memory, bus):", "```", info["gpus"], "```",
             "- CPU: %s, %d physical cores, %d logical CPUs; %s" % (
                 info["cpu_model"], info["physical_cores"], info["logical_cpus"], info["numa"]),
             "- CPU unit: %s (%s)" % (cpu_unit or "none", cpu_why),
             "- Command: `%s`" % info["command"],
             "- Each figure: `tandem bench MODEL --units UNITS --batches B --seconds %g --json F` (images/s, host fp32 "
             "input to host output; each unit alone, then all together with the plan the engine chose by "
             "measurement). UNITS: `%s` (GPU runs) and that plus `,%s` (+CPU runs)." % (
                 args.seconds, ",".join("cuda:%d/%s" % (i, args.precision) for i in range(n_gpus)), cpu_unit or "-"),
             "- Budget: %.0f s of %.0f s used" % (elapsed(), args.budget), "",
             "Topology (`nvidia-smi topo -m`):", "```", info["topology"], "```", "", "## Goals (issue 4)", ""]
    lines += goals_summary(rows, n_gpus)
    lines += ["", "## Images/s", "", "Of ideal: all together / the sum of each unit alone (measured in the same "
              "run). With CPU / without: (all GPUs + CPU) / (all GPUs).", ""]
    lines += results_table(rows)
    if skipped:
        lines += ["", "Skipped (time budget):"] + ["- " + s for s in skipped]
    if errs:
        lines += ["", "Errors:"] + errs
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def main():
    args = parse_args()
    os.makedirs(args.out, exist_ok=True)
    logf = open(os.path.join(args.out, "bench.log"), "a")

    def log(text):
        logf.write("[%.0f s] %s\n" % (elapsed(), text))
        logf.flush()

    n = args.gpus or gpu_count()
    if n < 1:
        print("bench_multi_gpu: no GPU found (nvidia-smi -L, torch.cuda.device_count())", file=sys.stderr)
        return 1
    info = machine_info(args)
    cpu_unit, cpu_why = choose_cpu_unit(args.cpu_unit, n)
    gpu_units = ",".join("cuda:%d/%s" % (i, args.precision) for i in range(n))
    print("[budget] %.0f s: %d GPU(s): %s; CPU unit %s (%s)" % (elapsed(), n, gpu_units, cpu_unit, cpu_why), flush=True)
    paths = export_models(args.models.split(","), args.models_dir, log)
    print("[budget] %.0f s: models ready" % elapsed(), flush=True)
    done, skipped = run_jobs(args, paths, gpu_units, cpu_unit, log)
    rows = summarize(done, n)
    result = {"machine": info, "n_gpus": n, "gpu_units": gpu_units, "cpu_unit": cpu_unit, "cpu_unit_why": cpu_why,
              "seconds": args.seconds, "budget_s": args.budget, "elapsed_s": round(elapsed(), 1),
              "goals": {"2_gpus_min_speedup": GOAL_2GPU, "8_gpus_min_speedup": GOAL_8GPU,
                        "min_batch": GOAL_MIN_BATCH, "cpu_never_lowers": True},
              "rows": rows, "skipped": skipped}
    with open(os.path.join(args.out, "bench.json"), "w") as f:
        json.dump(result, f, indent=1)
    write_md(os.path.join(args.out, "bench.md"), info, rows, skipped, n, cpu_unit, cpu_why, args)
    print("[budget] done in %.0f s of %.0f s; %d job(s) run, %d skipped" % (elapsed(), args.budget, len(done), len(skipped)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
