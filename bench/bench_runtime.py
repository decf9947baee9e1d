#!/usr/bin/env python3
"""Runtime benchmarks of issue 3 ("Speed"): runtime overhead and CPU co-execution.

1. Runtime overhead: runs `bench/runtime_overhead` (the cpu backend's Executable::run called
   directly vs Engine::run / run_many with a one-unit plan, alternating rounds; goal <= 3%) and
   writes bench/results/runtime_overhead_<host-tag>.md and .json.
2. With --coexec, CPU co-execution on a machine of N cores: one unit of N cores
   (`--units cpu:0-{N-1}`) vs two units of N/2 cores with the seed's plan
   (`--units cpu:0-{N/2-1},cpu:{N/2}-{N-1}`), per batch size, via `tandem run ... --report`;
   the two configurations alternate in rounds and each keeps its best round. Writes
   bench/results/cpu_coexec_<host-tag>.md and .json (ratio = two units / one unit, images/s;
   each unit's images and utilisation).

Both files record the machine (lscpu), date, commit, command and the load average before and
after, and say so when the machine was busy.

  python3 bench/bench_runtime.py --coexec                    # dev machine, build/ paths
  python3 bench/bench_runtime.py --coexec --tandem build/bin/tandem --bench-bin build/bench/runtime_overhead \\
      --models build/models --cores 16
"""
import argparse
import datetime
import json
import os
import shlex
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_cpu_vs_ort import ROOT, git_commit, host_tag, lscpu, tandem_version  # noqa: E402


def rel(path):
    """A path relative to the repo root when it is inside it (for commands in the result files)."""
    r = os.path.relpath(path, ROOT)
    return path if r.startswith("..") else r


def load_line(res, cores):
    start, end = res["load_average_1min_at_start"], res["load_average_1min_at_end"]
    busy = max(start, end) > 0.5 * cores
    return (f"- 1-minute load average: {start:.2f} at start, {end:.2f} at end, on {cores} cores"
            + (" — **the machine was busy (shared by other jobs); these numbers are noisy**" if busy else ""))


def header(title, res):
    c = res["machine"]
    return [
        f"# {title}",
        "",
        f"- Machine: {c['model_name']}, {c['cpus']} logical CPUs ({c['affinity_cpus']} in this process's "
        f"affinity), {c['threads_per_core'] or '?'} thread(s) per core; host tag `{res['host_tag']}`",
        f"- Date (UTC): {res['date']}",
        f"- {res['tandem_version']} at commit {res['commit']}",
        f"- Command: `{res['command']}`",
        load_line(res, c["affinity_cpus"]),
    ]


# ---------------------------------------------------------------- runtime overhead

def run_overhead(a, model):
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "overhead.json")
        cmd = [a.bench_bin, model, "--threads", str(a.threads), "--batch", str(a.batch), "--rounds", str(a.rounds),
               "--runs", str(a.runs), "--many", str(a.many), "--json", out]
        print("$ " + shlex.join(cmd), flush=True)
        p = subprocess.run(cmd, text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        print(p.stdout, end="")
        if p.returncode != 0:
            sys.exit(f"bench_runtime: runtime_overhead failed ({p.returncode})")
        with open(out) as f:
            r = json.load(f)
    cmd[-1] = "overhead.json"
    cmd[0], cmd[1] = rel(cmd[0]), rel(cmd[1])
    r["command"] = shlex.join(cmd)
    r["table"] = p.stdout[p.stdout.find("\nmodel "):].strip()
    return r


def overhead_markdown(res):
    r = res["overhead"]
    goal = "met in this run" if r["overhead_run_pct"] <= 3.0 else "**not met** in this run"
    c = res["machine"]
    if max(res["load_average_1min_at_start"], res["load_average_1min_at_end"]) > 0.5 * c["affinity_cpus"]:
        goal += " — not a confirmation: the machine was busy"
    lines = header(f"Runtime overhead — {os.path.basename(r['model'])}, batch {r['batch']}, `{r['units']}`", res) + [
        f"- Benchmark: `{r['command']}`",
        f"- {r['rounds']} alternating rounds (the side that goes first alternates); per round each side runs "
        f"{r['runs_per_round']} single batches, and the runtime also one `run_many` of {r['run_many_batches']} batches "
        "(time / K per batch). (a) calls the cpu backend's `Executable::run` directly on preallocated outputs "
        "(import, specialize, passes, bind_thread and compile done once up front); (b) goes through "
        "`Engine::run` (one-unit plan: submit, worker thread, output allocation, report bookkeeping).",
        f"- Outputs of (a) and (b) agree: max |diff| = {r['max_abs_diff_direct_vs_runtime']:g}",
        "",
        "| path | median ms / batch | overhead (median) | best ms / batch | overhead (best) |",
        "|---|---:|---:|---:|---:|",
        f"| (a) `Executable::run` direct | {r['direct_ms_median']:.2f} | — | {r['direct_ms_best']:.2f} | — |",
        f"| (b) `Engine::run` | {r['runtime_run_ms_median']:.2f} | {r['overhead_run_pct']:+.2f}% | "
        f"{r['runtime_run_ms_best']:.2f} | {r['overhead_run_best_pct']:+.2f}% |",
    ]
    if r["run_many_batches"] > 0:
        lines.append(f"| (b) `Engine::run_many` (K={r['run_many_batches']}) | "
                     f"{r['runtime_run_many_ms_per_batch_median']:.2f} | {r['overhead_run_many_pct']:+.2f}% | "
                     f"{r['runtime_run_many_ms_per_batch_best']:.2f} | {r['overhead_run_many_best_pct']:+.2f}% |")
    s = r["samples_s"]
    lines += [
        "",
        f"Goal (overhead of `Engine::run` <= 3%, median): {goal}. On a busy machine the spread between rounds "
        "(below) is far larger than the overhead itself, so read the median and the best together.",
        "",
        "Samples (ms per batch, in order):",
        "",
        "- direct: " + ", ".join(f"{1e3 * v:.1f}" for v in s["direct"]),
        "- run: " + ", ".join(f"{1e3 * v:.1f}" for v in s["run"]),
        "- run_many: " + ", ".join(f"{1e3 * v:.1f}" for v in s["run_many_per_batch"]),
        "",
    ]
    if res.get("notes"):
        lines += ["Notes:", ""] + [f"- {n}" for n in res["notes"]] + [""]
    return "\n".join(lines)


# ---------------------------------------------------------------- CPU co-execution

def iterations_for(a, batch):
    return a.iterations if a.iterations > 0 else max(2, a.images // batch)


def run_tandem(a, model, units, batch):
    with tempfile.TemporaryDirectory() as d:
        report = os.path.join(d, "r.json")
        cmd = [a.tandem, "run", model, "--units", units, "--batch", str(batch), "--iterations", str(iterations_for(a, batch)),
               "--warmup", str(a.warmup), "--quiet", "--report", report]
        p = subprocess.run(cmd, capture_output=True, text=True)
        if p.returncode != 0:
            sys.exit(f"bench_runtime: tandem failed ({p.returncode}): {shlex.join(cmd)}\n{p.stderr.strip()}")
        with open(report) as f:
            r = json.load(f)
    cmd[-1] = "r.json"
    cmd[0], cmd[2] = rel(cmd[0]), rel(cmd[2])
    units_out = [{"name": u.get("unit", "?"), "images": u.get("images", 0), "busy_s": u.get("busy_s", 0.0),
                  "utilisation": u.get("utilisation", 0.0)} for u in (r.get("runtime") or {}).get("units", [])]
    return {"images_per_second": float(r["images_per_second"]), "latency_ms_median": r.get("latency_ms_median"),
            "iterations": iterations_for(a, batch), "seconds": r.get("seconds"),
            "plan": r.get("plan", ""), "units": units_out, "command": shlex.join(cmd)}


def coexec_rows(a, model, n):
    one = f"cpu:0-{n - 1}"
    two = f"cpu:0-{n // 2 - 1},cpu:{n // 2}-{n - 1}"
    rows = []
    print(f"\nCPU co-execution, {n} cores: one unit {one} vs two units {two}")
    print(f"{'batch':>5} {'one img/s':>10} {'two img/s':>10} {'two/one':>8}  unit utilisation (two units)")
    for b in a.coexec_batches:
        ones, twos = [], []
        for i in range(max(1, a.coexec_rounds)):
            order = [(one, ones), (two, twos)] if i % 2 == 0 else [(two, twos), (one, ones)]
            for units, acc in order:
                acc.append(run_tandem(a, model, units, b))
        o = max(ones, key=lambda r: r["images_per_second"])
        t = max(twos, key=lambda r: r["images_per_second"])
        ratio = t["images_per_second"] / o["images_per_second"]
        rows.append({"batch": b, "one_unit": o, "two_units": t, "ratio": ratio,
                     "rounds_images_per_second": {"one_unit": [r["images_per_second"] for r in ones],
                                                  "two_units": [r["images_per_second"] for r in twos]}})
        util = ", ".join(f"{u['name']} {100 * u['utilisation']:.0f}%" for u in t["units"])
        print(f"{b:>5} {o['images_per_second']:>10.1f} {t['images_per_second']:>10.1f} {ratio:>7.2f}x  {util}",
              flush=True)
    return one, two, rows


def coexec_markdown(res):
    cx = res["coexec"]
    lines = header(f"CPU co-execution — {res['model']}, {cx['cores']} cores: one unit vs two", res) + [
        f"- One unit: `--units {cx['one']}`; two units: `--units {cx['two']}` with the seed's (default) plan",
        f"- Each: `tandem run` with {res['warmup']} warm-up run(s), then "
        + (f"{res['iterations']} batches" if res["iterations"] > 0 else f"max(2, {res['images']} / batch) batches")
        + f" streamed with `run_many`; images/s from the report; {res['coexec_rounds']} alternating rounds, best round of each shown",
        "- Ratio = two units / one unit (images/s); > 1 means splitting the cores into two units helps",
        "",
        "| batch | one unit images/s | two units images/s | two / one | plan (two units) | per unit (two units): "
        "images, busy s, utilisation | one unit utilisation |",
        "|---:|---:|---:|---:|---|---|---:|",
    ]
    for r in cx["rows"]:
        o, t = r["one_unit"], r["two_units"]
        per = "; ".join(f"`{u['name']}` {u['images']}, {u['busy_s']:.2f} s, {100 * u['utilisation']:.0f}%"
                        for u in t["units"])
        ou = ", ".join(f"{100 * u['utilisation']:.0f}%" for u in o["units"])
        lines.append(f"| {r['batch']} | {o['images_per_second']:.1f} | {t['images_per_second']:.1f} | "
                     f"{r['ratio']:.2f}x | `{t['plan']}` | {per} | {ou} |")
    lines += ["", "Rounds (images/s):", ""]
    for r in cx["rows"]:
        rr = r["rounds_images_per_second"]
        lines.append(f"- batch {r['batch']}: one unit " + ", ".join(f"{v:.1f}" for v in rr["one_unit"])
                     + "; two units " + ", ".join(f"{v:.1f}" for v in rr["two_units"]))
    lines += ["", "Commands (last round):", ""]
    for r in cx["rows"]:
        lines += [f"- `{r['one_unit']['command']}`", f"- `{r['two_units']['command']}`"]
    if res.get("notes"):
        lines += ["", "Notes:", ""] + [f"- {n}" for n in res["notes"]]
    return "\n".join(lines + [""])


# ---------------------------------------------------------------- main

def write(out_dir, stem, res, md):
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, stem)
    with open(path + ".json", "w") as f:
        json.dump(res, f, indent=2)
    with open(path + ".md", "w") as f:
        f.write(md)
    print(f"wrote {path}.md and .json")


def base_result(a, model, tag):
    return {"model": os.path.basename(model), "machine": lscpu(), "host_tag": tag,
            "load_average_1min_at_start": os.getloadavg()[0],
            "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M"),
            "command": shlex.join([rel(sys.argv[0])] + sys.argv[1:]), "commit": git_commit(),
            "tandem_version": tandem_version(a.tandem)}


def main():
    cores_here = len(os.sched_getaffinity(0))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tandem", default=os.path.join(ROOT, "build", "bin", "tandem"), help="tandem binary")
    ap.add_argument("--bench-bin", default=os.path.join(ROOT, "build", "bench", "runtime_overhead"),
                    help="the runtime_overhead binary")
    ap.add_argument("--models", default=os.path.join(ROOT, "build", "models"), help="directory of test models")
    ap.add_argument("--model", default="mobilenet_v2.onnx", help="model file name in --models (or a path)")
    ap.add_argument("--threads", type=int, default=cores_here, help="overhead: threads of the cpu unit")
    ap.add_argument("--batch", type=int, default=64, help="overhead: batch size")
    ap.add_argument("--rounds", type=int, default=5, help="overhead: alternating rounds")
    ap.add_argument("--runs", type=int, default=2, help="overhead: single-batch runs per side per round")
    ap.add_argument("--many", type=int, default=3, help="overhead: batches per run_many")
    ap.add_argument("--no-overhead", action="store_true", help="skip the overhead benchmark")
    ap.add_argument("--coexec", action="store_true", help="also run the CPU co-execution comparison")
    ap.add_argument("--cores", type=int, default=cores_here, help="co-execution: N (cores 0..N-1; even)")
    ap.add_argument("--coexec-batches", default="16,64,256", help="co-execution: comma-separated batch sizes")
    ap.add_argument("--images", type=int, default=384,
                    help="co-execution: images streamed per run (iterations = images / batch, at least 2)")
    ap.add_argument("--iterations", type=int, default=0, help="co-execution: batches per run (overrides --images)")
    ap.add_argument("--warmup", type=int, default=1, help="co-execution: untimed runs first")
    ap.add_argument("--coexec-rounds", type=int, default=2, help="co-execution: alternating rounds (best kept)")
    ap.add_argument("--note", action="append", default=[],
                    help="a line for the overhead result file's Notes (repeatable), e.g. side experiments")
    ap.add_argument("--coexec-note", action="append", default=[],
                    help="a line for the co-execution result file's Notes (repeatable)")
    ap.add_argument("--host-tag", default="", help="result file tag (default: from the CPU model and cores)")
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "results"), help="result directory")
    a = ap.parse_args()
    a.coexec_batches = [int(x) for x in a.coexec_batches.split(",") if x]
    if a.coexec and (a.cores < 2 or a.cores % 2):
        ap.error("--cores must be even and >= 2")
    model = a.model if os.path.sep in a.model else os.path.join(a.models, a.model)
    needed = [(model, "model"), (a.tandem, "tandem binary")]
    if not a.no_overhead:
        needed.append((a.bench_bin, "runtime_overhead binary"))
    for p, what in needed:
        if not os.path.exists(p):
            sys.exit(f"bench_runtime: {what} {p} not found (see --models / --tandem / --bench-bin)")

    if not a.no_overhead:
        res = base_result(a, model, a.host_tag or host_tag(lscpu(), a.threads))
        res["overhead"] = run_overhead(a, model)
        res["notes"] = a.note
        res["load_average_1min_at_end"] = os.getloadavg()[0]
        write(a.out, f"runtime_overhead_{res['host_tag']}", res, overhead_markdown(res))
    if a.coexec:
        res = base_result(a, model, a.host_tag or host_tag(lscpu(), a.cores))
        res.update({"images": a.images, "iterations": a.iterations, "warmup": a.warmup,
                    "coexec_rounds": a.coexec_rounds})
        one, two, rows = coexec_rows(a, model, a.cores)
        res["coexec"] = {"cores": a.cores, "one": one, "two": two, "rows": rows}
        res["notes"] = a.coexec_note
        res["load_average_1min_at_end"] = os.getloadavg()[0]
        write(a.out, f"cpu_coexec_{res['host_tag']}", res, coexec_markdown(res))


if __name__ == "__main__":
    main()
