#!/usr/bin/env python3
"""Draws `tandem bench --json` results as the seed's figure: throughput vs batch size (log2 axis),
one line per configuration, and the speedup over the best single unit on a second axis.

Usage: plot_bench.py BENCH.json OUT.png [--title TEXT]
Run by `tandem bench --plot OUT.png`; exits 3 with one line when matplotlib is missing.
"""
import argparse
import json
import os
import sys


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("bench_json")
    ap.add_argument("out_png")
    ap.add_argument("--title", default="")
    args = ap.parse_args()
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed (pip install matplotlib; it is in scripts/requirements.txt)", file=sys.stderr)
        return 3
    with open(args.bench_json) as f:
        bench = json.load(f)
    rows = bench["rows"]
    if not rows:
        print("no rows to plot", file=sys.stderr)
        return 2
    batches = [r["batch"] for r in rows]
    simulated = bench.get("simulated", False)
    units = list(rows[0].get("single", {}).keys())

    fig, ax = plt.subplots(figsize=(8, 5), dpi=120)
    def num(v):  # an error string, or 0 for a unit that cannot run the model alone: no point
        return v if isinstance(v, (int, float)) and v > 0 else float("nan")
    for u in units:
        if all(num(r["single"].get(u)) != num(r["single"].get(u)) for r in rows):
            continue  # never ran alone (a DLA without the classifier)
        ax.plot(batches, [num(r["single"].get(u)) for r in rows], marker="o", linewidth=1.5,
                label=f"{u} alone" + (" (predicted)" if simulated else ""))
    if not simulated and any("together" in r for r in rows) and len(units) > 1:
        ax.plot(batches, [num(r.get("together")) for r in rows], marker="s", linewidth=2,
                label="all units (engine's choice)")
    if any("tuned" in r for r in rows):
        ax.plot(batches, [num(r.get("tuned")) for r in rows], marker="D", linewidth=2,
                label="tuned plan" + (" (predicted)" if simulated else ""))
    if not simulated and any("tuned_predicted" in r for r in rows):
        ax.plot(batches, [num(r.get("tuned_predicted")) for r in rows], linestyle="--", color="gray",
                label="tuned plan, predicted")
    ax.set_xscale("log", base=2)
    ax.set_xlabel("batch size")
    ax.set_ylabel("images/s")
    ax.grid(True, which="both", alpha=0.3)

    ax2 = ax.twinx()
    key = "tuned_speedup" if any("tuned_speedup" in r for r in rows) else "speedup_over_best_single"
    ax2.plot(batches, [num(r.get(key)) for r in rows], color="black", linestyle=":", marker="x",
             label="speedup over best unit" + (" (predicted)" if simulated else ""))
    for ref in bench.get("published", []):
        if ref.get("batch"):
            ax2.scatter([ref["batch"]], [ref["speedup"]], marker="*", s=120, zorder=5,
                        label=f'{ref["speedup"]:.2f}x @{ref["batch"]}: {ref["source"]}')
        else:  # a figure without a batch size: a level
            ax2.axhline(ref["speedup"], color="tab:purple", linestyle="-.", linewidth=1,
                        label=f'{ref["speedup"]:.2f}x: {ref["source"]}')
    ax2.set_ylabel("speedup over the best single unit")
    vals = [v for v in (num(r.get(key)) for r in rows) if v == v]
    lo = min(vals + [1.0])
    hi = max(vals + [p["speedup"] for p in bench.get("published", [])] + [1.0])
    ax2.set_ylim(min(0.8, lo * 0.95), hi * 1.25)  # room above for the legend
    ax2.axhline(1.0, color="black", linewidth=0.5)

    h1, l1 = ax.get_legend_handles_labels()
    h2, l2 = ax2.get_legend_handles_labels()
    ax.set_ylim(0, None)
    ax.legend(h1 + h2, l1 + l2, loc="lower right", fontsize=7, framealpha=0.9)
    title = args.title or bench.get("title") or f'{os.path.basename(bench.get("model", ""))} on {bench.get("units", "")}'
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(args.out_png)
    return 0


if __name__ == "__main__":
    sys.exit(main())
