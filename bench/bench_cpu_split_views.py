#!/usr/bin/env python3
"""Split (and Slice) pieces as views on the cpu unit, on and off, per model and batch (issue 12, item 2).

Each model is exported as bench/zoo_export.py does (the zoo's seeded weights) at --px (default 96;
MobileViT 128), then `tandem run --units cpu/threads=T` runs it with the views (default) and with
TANDEM_CUDA_OFF=split-views (every piece copied, as before), in --rounds interleaved pairs whose
order alternates, so that a drift of the machine favours neither. Each row gives the median
images/s of each side, the median, min and max of the per-pair ratio on / off (> 1: the views
are faster), and the ratio of each side's best round (on a shared machine the least disturbed). Writes OUT/cpu_split_views_<host-tag>_<date>_<commit>.md and .json.

    bench/bench_cpu_split_views.py --tandem build/bin/tandem --out bench/results \\
        [--models cspdarknet53,res2net50_26w_4s,...] [--batches 2,16] [--rounds 5] [--px 96]
"""
import argparse
import datetime
import json
import os
import shlex
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_cpu_vs_ort import ROOT, bench_tandem, host_tag, lscpu, tandem_version  # noqa: E402
from commit import current_commit  # noqa: E402

DEFAULT_MODELS = "cspdarknet53,res2net50_26w_4s,mixnet_s,mobilevit_xxs,vit_tiny,shufflenet_v2_x1_0,resnet18,mobilenet_v2"
OFF = "TANDEM_CUDA_OFF=split-views"


def export(name, px, cache):
    import zoo_export
    size = 128 if name.startswith("mobilevit") and px == 96 else px
    path = os.path.join(cache, f"{name}_{size}.onnx")
    if not os.path.exists(path):
        os.makedirs(cache, exist_ok=True)
        zoo_export.build_and_export(zoo_export.bench_spec(name, size), path)
    return path, size


def iterations_for(binary, model, batch, threads, seconds):
    """Iterations for about `seconds` per run, from one short run."""
    r = bench_tandem(binary, model, batch, threads, 1, 3, "")
    return max(5, int(seconds * r["images_per_second"] / batch))


def markdown(res):
    c = res["machine"]
    lines = [f"# cpu Split/Slice views on and off — {c['model_name']}, {res['threads']} threads", "",
             f"- Date (UTC): {res['date']}; commit {res['commit']}; {res['tandem_version']}",
             f"- Machine: {c['cpus']} logical CPUs ({c['affinity_cpus']} in this process's affinity); "
             f"1-minute load at start {res['load_at_start']:.2f}, at the end {res['load_at_end']:.2f} "
             "(a shared machine: read the ratios, not the absolute figures)",
             f"- Each run: `tandem run --units cpu/threads={res['threads']} --batch B --warmup 3` for about "
             f"{res['seconds']} s; {res['rounds']} pairs (views, copies) in alternating order; off = `{OFF}`",
             f"- Command: `{res['command']}`", "",
             "| model | px | batch | views img/s | copies img/s | on / off (median) | min | max | best / best |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in res["rows"]:
        lines.append(f"| {r['model']} | {r['px']} | {r['batch']} | {r['on']:.1f} | {r['off']:.1f} | "
                     f"{r['ratio']:.3f} | {r['ratio_min']:.3f} | {r['ratio_max']:.3f} | {r['best_ratio']:.3f} |")
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tandem", default=os.path.join(ROOT, "build", "bin", "tandem"))
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "results"))
    ap.add_argument("--cache", default=os.path.join(ROOT, "build", "bench_zoo"), help="exported models")
    ap.add_argument("--models", default=DEFAULT_MODELS)
    ap.add_argument("--batches", default="2,16")
    ap.add_argument("--px", type=int, default=96)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--seconds", type=float, default=2.0, help="about how long each run times")
    ap.add_argument("--threads", type=int, default=len(os.sched_getaffinity(0)))
    a = ap.parse_args()
    res = {"machine": lscpu(), "threads": a.threads, "rounds": a.rounds, "seconds": a.seconds,
           "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M"),
           "commit": current_commit(), "tandem_version": tandem_version(a.tandem),
           "load_at_start": os.getloadavg()[0], "command": shlex.join([sys.argv[0]] + sys.argv[1:]), "rows": []}
    for name in a.models.split(","):
        model, px = export(name, a.px, a.cache)
        for batch in [int(b) for b in a.batches.split(",")]:
            iters = iterations_for(a.tandem, model, batch, a.threads, a.seconds)
            on, off, ratios = [], [], []
            for k in range(a.rounds):
                pair = {}
                for side in (("on", "off") if k % 2 == 0 else ("off", "on")):
                    env = () if side == "on" else (OFF,)
                    pair[side] = bench_tandem(a.tandem, model, batch, a.threads, 3, iters, "", env)["images_per_second"]
                on.append(pair["on"])
                off.append(pair["off"])
                ratios.append(pair["on"] / pair["off"])
            row = {"model": name, "px": px, "batch": batch, "iterations": iters, "on": statistics.median(on),
                   "off": statistics.median(off), "ratio": statistics.median(ratios), "ratio_min": min(ratios),
                   "ratio_max": max(ratios), "best_ratio": max(on) / max(off), "on_all": on, "off_all": off}
            print(f"{name} b{batch}: views {row['on']:.1f} img/s, copies {row['off']:.1f} img/s, "
                  f"ratio {row['ratio']:.3f} [{row['ratio_min']:.3f}, {row['ratio_max']:.3f}], best/best {row['best_ratio']:.3f}",
                  flush=True)
            res["rows"].append(row)
    res["load_at_end"] = os.getloadavg()[0]
    base = os.path.join(a.out, f"cpu_split_views_{host_tag(res['machine'], a.threads)}_"
                               f"{res['date'][:10]}_{res['commit']}")
    with open(base + ".json", "w") as f:
        json.dump(res, f, indent=1)
    with open(base + ".md", "w") as f:
        f.write(markdown(res))
    print(f"wrote {base}.md")


if __name__ == "__main__":
    main()
