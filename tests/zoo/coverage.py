#!/usr/bin/env python3
"""The zoo's coverage table: per model, whether each unit matches onnxruntime, from the files
test_zoo leaves in <zoo>/results/ (one JSON per model and unit).

    tests/zoo/coverage.py build/zoo                      # print the Markdown table
    tests/zoo/coverage.py build/zoo GPU_RESULTS_DIR      # merge results from the GPU machine too
    tests/zoo/coverage.py build/zoo --readme README.md   # rewrite the table between the markers
                                                         # <!-- zoo-table --> and <!-- /zoo-table -->
"""
import argparse
import glob
import json
import os
import re
import sys

COLUMNS = [("reference", "reference"), ("cpu", "cpu"), ("cuda:0", "cuda fp32"), ("cuda:0/tf32", "cuda tf32"),
           ("cuda:0/fp16", "cuda fp16 (rel. L2 / bound)")]


def cell(r, units):
    if r is None:
        return "not run"
    if r.get("known_failure") is not None and not r["passed"]:
        return "fails (known)"
    if r.get("known_failure") is not None:
        return "fails"
    if not r["passed"]:
        return "**FAIL**"
    if units.endswith("fp16") and r.get("rel_l2"):
        worst = max(range(len(r["rel_l2"])), key=lambda k: r["rel_l2"][k] / max(r["bound"][k], 1e-30))
        return f"ok {r['rel_l2'][worst]:.4f} / {r['bound'][worst]:.4f}"
    return "ok"


def short_error(text):
    text = re.sub(r"^.*?\.onnx: ", "", text or "")
    return text[:140] + ("..." if len(text) > 140 else "")


def table(manifest, results):
    lines = ["| model | family | " + " | ".join(c[1] for c in COLUMNS) + " | what fails |",
             "|---|---|" + "---|" * len(COLUMNS) + "---|"]
    counts = {u: [0, 0] for u, _ in COLUMNS}
    for m in manifest["models"]:
        name = m["name"]
        cells, why = [], ""
        for units, _ in COLUMNS:
            r = results.get((name, units))
            cells.append(cell(r, units))
            if r is not None:
                counts[units][1] += 1
                if r["passed"] and r.get("known_failure") is None:
                    counts[units][0] += 1
                elif not why:
                    why = f"{units}: " + short_error(r.get("error", "output differs"))
        if "error" in m:
            why = "export: " + m["error"]
        lines.append(f"| {name} | {m.get('family', '')} | " + " | ".join(cells) + f" | {why} |")
    total = " | ".join(f"{p}/{n}" if n else "-" for p, n in counts.values())
    lines.append(f"| **passing** | | {total} | |")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("zoo", help="the zoo folder (manifest.json, results/)")
    ap.add_argument("more", nargs="*", help="further results folders (e.g. from the GPU machine)")
    ap.add_argument("--readme", help="rewrite the table in this file between the markers")
    a = ap.parse_args()
    with open(os.path.join(a.zoo, "manifest.json")) as f:
        manifest = json.load(f)
    results = {}
    for d in [os.path.join(a.zoo, "results")] + a.more:
        for p in sorted(glob.glob(os.path.join(d, "*.json"))):
            with open(p) as f:
                r = json.load(f)
            results[(r["model"], r["units"])] = r
    t = table(manifest, results)
    if not a.readme:
        print(t)
        return 0
    with open(a.readme) as f:
        text = f.read()
    new, n = re.subn(r"(<!-- zoo-table -->\n).*?(<!-- /zoo-table -->)", lambda mo: mo.group(1) + t + "\n" + mo.group(2),
                     text, flags=re.S)
    if n != 1:
        print(f"{a.readme}: no <!-- zoo-table --> ... <!-- /zoo-table --> section", file=sys.stderr)
        return 1
    with open(a.readme, "w") as f:
        f.write(new)
    return 0


if __name__ == "__main__":
    sys.exit(main())
