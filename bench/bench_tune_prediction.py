#!/usr/bin/env python3
"""Prediction error of `tandem tune`: for each batch size, tune at that batch alone (profile
cached once), and report every measured candidate's predicted vs measured images/s, the chosen
plan, and its speedup over the best single unit measured in the same run.

Usage: bench/bench_tune_prediction.py [--tandem build/bin/tandem] [--model M] [--units cpu:0,cpu:1]
           [--batches 8,32,64] [--seconds 0.5] --out bench/results/NAME
Writes NAME.md (table with machine, date, commit, command) and NAME.json (the tune outputs).
"""
import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from commit import current_commit  # noqa: E402


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tandem", default="build/bin/tandem")
    ap.add_argument("--model", default="build/models/mobilenet_v2.onnx")
    ap.add_argument("--units", default="cpu:0,cpu:1")
    ap.add_argument("--batches", default="8,32,64")
    ap.add_argument("--seconds", default="0.5")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    commit = current_commit()
    # What else ran: the busiest other processes at the start (the dev machine is shared).
    ps = subprocess.run(["ps", "-eo", "ni,pcpu,comm", "--sort=-pcpu"], capture_output=True, text=True).stdout
    others = "; ".join(" ".join(l.split()) for l in ps.splitlines()[1:4])
    with open("/proc/loadavg") as f:
        load = " ".join(f.read().split()[:3])
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        for b in a.batches.split(","):
            saved = os.path.join(tmp, f"plan_b{b}.json")
            cmd = [a.tandem, "tune", a.model, "--units", a.units, "--batches", b, "--seconds", a.seconds,
                   "--save", saved]
            print("+", " ".join(cmd), flush=True)
            p = subprocess.run(cmd, capture_output=True, text=True)
            if p.returncode != 0:
                sys.exit(f"tandem tune failed: {p.stderr.strip()}")
            with open(saved) as f:
                runs.append({"batch": int(b), "command": " ".join(cmd), "saved": json.load(f)})
    lines = [f"# `tandem tune` prediction error, {os.path.basename(a.model)} on {a.units}", "",
             f"- machine: {platform.node()}, {os.cpu_count()} cores, {cpu_model()}",
             f"- date: {datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}",
             f"- commit: {commit}",
             f"- load average at the start: {load}; busiest processes then (nice, %cpu, name): {others}",
             f"- command: `{sys.executable} {' '.join(sys.argv)}` (one `tandem tune ... --batches B` per batch)",
             "- error = measured / predicted - 1; measured = median of the rounds",
             "", "| batch | plan | kind | predicted/s | measured/s | error | chosen |", "|---|---|---|---|---|---|---|"]
    summary = []
    for r in runs:
        t = r["saved"]["tune"]
        chosen = t["chosen"]["plan"]
        singles = [c for c in t["candidates"] if c["kind"] == "single" and "measured_images_per_s" in c]
        best_single = max((c["measured_images_per_s"] for c in singles), default=0)
        for c in t["candidates"]:
            if "measured_images_per_s" not in c:
                continue
            lines.append(f"| {r['batch']} | `{c['plan']}` | {c['kind']} | {c['predicted_images_per_s']:.1f} | "
                         f"{c['measured_images_per_s']:.1f} | {100 * c['prediction_error']:+.1f}% | "
                         f"{'yes' if c['plan'] == chosen else ''} |")
        ch = t["chosen"]
        summary.append(f"- batch {r['batch']}: chosen `{chosen}`, error {100 * ch['prediction_error']:+.1f}%, "
                       f"speedup over the best single unit {ch['measured_images_per_s'] / best_single:.2f}x"
                       if best_single else f"- batch {r['batch']}: chosen `{chosen}`")
    lines += ["", "Chosen plans:", ""] + summary + [""]
    with open(a.out + ".md", "w") as f:
        f.write("\n".join(lines))
    with open(a.out + ".json", "w") as f:
        json.dump(runs, f, indent=1)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
