#!/usr/bin/env python3
"""CPU unit on a shared machine (issue 13, item 4): latency of `tandem run --units cpu` alone,
beside a second `tandem run`, and beside busy-looping processes, per OpenMP wait setting.

Settings (--settings, comma-separated):
  default       the environment as the user has it: no OMP_WAIT_POLICY / GOMP_SPINCOUNT, so
                Tandem's own default applies
  passive       OMP_WAIT_POLICY=passive (idle OpenMP threads sleep at once)
  active        OMP_WAIT_POLICY=active (idle threads spin ~forever: libgomp's worst case)
  spin=N        GOMP_SPINCOUNT=N (idle threads spin N rounds, then sleep)
  old           the binary given by --old-tandem (a build from before Tandem set a default:
                libgomp's own, ~300k rounds), environment as for `default`
The neighbour `tandem run` gets the same setting as the measured one (two users of one build).
Each (situation, setting) pair runs --rounds times, settings interleaved; the table gives the
median over rounds of each round's median and p90 latency. Writes
bench/results/cpu_shared_<host-tag>.md and .json with the machine, date, commit and load.

  python3 bench/bench_cpu_shared.py                                  # build/bin/tandem
  python3 bench/bench_cpu_shared.py --old-tandem /tmp/old/tandem --settings old,default,passive,spin=1000
"""
import argparse
import datetime
import json
import os
import shlex
import signal
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_cpu_vs_ort import ROOT, git_commit, host_tag, lscpu, tandem_version  # noqa: E402

SITUATIONS = ("alone", "beside_tandem", "beside_busy")


def setting_env(setting):
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")}
    if setting == "passive":
        env["OMP_WAIT_POLICY"] = "passive"
    elif setting == "active":
        env["OMP_WAIT_POLICY"] = "active"
    elif setting.startswith("spin="):
        env["GOMP_SPINCOUNT"] = setting[5:]
    elif setting not in ("default", "old"):
        sys.exit(f"unknown setting {setting!r}")
    return env


def start_neighbours(situation, binary, env, busy):
    """Starts the neighbour processes of a situation; returns their Popen objects."""
    if situation == "beside_tandem":
        cmd = [binary, "run", "--units", "cpu", "--batch", "1", "--iterations", "1000000", "-q"]
        return [subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    if situation == "beside_busy":
        return [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(busy)]
    return []


def measure(binary, situation, setting, iterations, busy):
    env = setting_env(setting)
    binary = binary[setting == "old"]
    neighbours = start_neighbours(situation, binary, env, busy)
    try:
        time.sleep(1.0 if situation == "beside_tandem" else 0.2)  # the neighbour compiles first
        with tempfile.TemporaryDirectory() as d:
            report = os.path.join(d, "r.json")
            cmd = [binary, "run", "--units", "cpu", "--batch", "1", "--iterations", str(iterations),
                   "--report", report, "-q"]
            subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL)
            with open(report) as f:
                r = json.load(f)
        return {"median_ms": r["latency_ms_median"], "p90_ms": r["latency_ms_p90"]}
    finally:
        for p in neighbours:
            p.send_signal(signal.SIGKILL)
            p.wait()


def markdown(res):
    c = res["machine"]
    out = [
        "# CPU unit on a shared machine: latency per OpenMP wait setting",
        "",
        f"- Machine: {c['model_name']}, {c['cpus']} logical CPUs ({c['affinity_cpus']} in this process's affinity)",
        f"- Date (UTC): {res['date']}",
        f"- {res['tandem_version']} at commit {res['commit']}",
        f"- Command: `{res['command']}`",
        f"- 1-minute load average: {res['load_start']:.2f} at start, {res['load_end']:.2f} at end",
        f"- Built-in MobileNetV2, batch 1, `--units cpu`, {res['iterations']} timed runs per round, "
        f"{res['rounds']} rounds; neighbours: a second `tandem run` with the same setting, or "
        f"{res['busy']} busy-looping processes",
        "- Each cell: median over rounds of the round's latency median / p90, ms",
    ] + ([f"- `old`: {res['old_label']}"] if res.get("old_label") else []) + [
        "- Load average above the core count means another job shared the machine: compare within a round",
        "",
        "| setting | " + " | ".join(SITUATIONS) + " |",
        "|---|" + "---:|" * len(SITUATIONS),
    ]
    for s in res["settings"]:
        cells = []
        for sit in SITUATIONS:
            rounds = res["results"][s][sit]
            med = statistics.median(r["median_ms"] for r in rounds)
            p90 = statistics.median(r["p90_ms"] for r in rounds)
            cells.append(f"{med:.1f} / {p90:.1f}")
        out.append(f"| {s} | " + " | ".join(cells) + " |")
    return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tandem", default=os.path.join(ROOT, "build", "bin", "tandem"))
    ap.add_argument("--old-tandem", help="binary for the `old` setting")
    ap.add_argument("--old-label", default="", help="what the old binary is, e.g. 'built at commit abc1234'")
    ap.add_argument("--settings", default="default,passive")
    ap.add_argument("--situations", default=",".join(SITUATIONS))
    ap.add_argument("--iterations", type=int, default=40)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--busy", type=int, default=2, help="busy-looping neighbours")
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "results"))
    ap.add_argument("--tag", default="", help="suffix of the result file names")
    args = ap.parse_args()
    settings = args.settings.split(",")
    situations = args.situations.split(",")
    load_start = os.getloadavg()[0]
    results = {s: {sit: [] for sit in SITUATIONS} for s in settings}
    for rnd in range(args.rounds):
        for sit in situations:
            for s in settings:
                r = measure((args.tandem, args.old_tandem), sit, s, args.iterations, args.busy)
                results[s][sit].append(r)
                print(f"round {rnd} {sit:14s} {s:12s} median {r['median_ms']:8.1f} ms  p90 {r['p90_ms']:8.1f} ms",
                      flush=True)
    cpu = lscpu()
    res = {
        "machine": cpu, "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M"),
        "commit": git_commit(), "tandem_version": tandem_version(args.tandem),
        "command": "python3 bench/bench_cpu_shared.py " + " ".join(shlex.quote(a) for a in sys.argv[1:]),
        "load_start": load_start, "load_end": os.getloadavg()[0], "iterations": args.iterations,
        "rounds": args.rounds, "busy": args.busy, "settings": settings, "old_label": args.old_label,
        "results": {s: {sit: v for sit, v in d.items() if v} for s, d in results.items()},
    }
    if set(situations) == set(SITUATIONS):
        md = markdown(res)
        print(md)
        name = f"cpu_shared_{host_tag(cpu, cpu['affinity_cpus'])}{args.tag}"
        os.makedirs(args.out, exist_ok=True)
        with open(os.path.join(args.out, name + ".md"), "w") as f:
            f.write(md)
        with open(os.path.join(args.out, name + ".json"), "w") as f:
            json.dump(res, f, indent=1)


if __name__ == "__main__":
    main()
