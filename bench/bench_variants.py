#!/usr/bin/env python3
"""One Tandem configuration against its variants, on zoo models, in the same run: is a fusion or
a kernel worth keeping? (issue "zoo speed": keep a change only if the zoo benchmark says so).

Each variant is `label:KIND=VALUE`, KIND `env` (an environment setting, e.g. a TANDEM_CUDA_OFF
switch) or `args` (extra `tandem run` flags, e.g. --disable-pass NAME). Per model and batch the
base and every variant run as separate `tandem run` processes in turn, ROUNDS times (A B C C B A
...), sharing one choice-cache folder so every conv runs the same plan; the median images/s of
each, and its ratio to the base, go to OUT/variants.md and OUT/variants.json (machine, date,
commit, command).

    bench/bench_variants.py --tandem PATH/tandem --out DIR --models vit_tiny_patch16_224,cspdarknet53
        --batches 128 --units cuda:0/fp16 --variant 'no-split-views:env=TANDEM_CUDA_OFF=split-views'
        --variant 'no-add-ln:args=--disable-pass fuse_add_layer_norm' [--rounds 3]

Models are zoo names (tests/zoo/zoo.py), exported as bench/zoo_export.py does (224 px; --size).
"""
import argparse, datetime, json, os, platform, shlex, statistics, subprocess, sys, tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from commit import current_commit  # noqa: E402
from tandem_timing import tandem_ips  # noqa: E402

ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
ap.add_argument("--tandem", required=True)
ap.add_argument("--out", required=True)
ap.add_argument("--models", required=True, help="comma-separated zoo names")
ap.add_argument("--batches", default="128")
ap.add_argument("--units", default="cuda:0/fp16")
ap.add_argument("--variant", action="append", default=[], help="label:env=K=V[,K=V] or label:args=FLAGS")
ap.add_argument("--rounds", type=int, default=3)
ap.add_argument("--seconds", type=float, default=1.0, help="timed seconds per run, at least (bench/tandem_timing.py)")
ap.add_argument("--size", type=int, default=None, help="image size (default: the zoo's benchmark size)")
ap.add_argument("--models-dir", default=None, help="where exported models are cached (default: OUT/models)")
args = ap.parse_args()


def parse_variant(text):
    label, sep, rest = text.partition(":")
    kind, sep2, value = rest.partition("=")
    if not sep or not sep2 or kind not in ("env", "args") or not label:
        sys.exit(f"--variant '{text}': expected label:env=K=V[,K=V] or label:args=FLAGS")
    if kind == "env":
        env = {}
        for kv in value.split(","):
            k, eq, v = kv.partition("=")
            if not eq:
                sys.exit(f"--variant '{text}': '{kv}' is not K=V")
            env[k] = v
        return {"label": label, "env": env, "args": []}
    return {"label": label, "env": {}, "args": shlex.split(value)}


variants = [{"label": "base", "env": {}, "args": []}] + [parse_variant(v) for v in args.variant]
os.makedirs(args.out, exist_ok=True)
models_dir = args.models_dir or os.path.join(args.out, "models")
os.makedirs(models_dir, exist_ok=True)
cache = tempfile.mkdtemp(prefix="tandem_cache_")
results = {"machine": platform.node(), "cpu": platform.processor(), "date": datetime.datetime.utcnow().isoformat() + "Z",
           "commit": current_commit(), "command": " ".join(sys.argv), "units": args.units, "rows": []}


def card():
    try:
        return subprocess.run(["nvidia-smi", "--query-gpu=name", "--format=csv,noheader"], capture_output=True,
                              text=True, timeout=20).stdout.strip().splitlines()[0]
    except Exception:
        return ""


results["card"] = card()


def export(name):
    from zoo_export import bench_spec, build_and_export
    spec = bench_spec(name, args.size)
    path = os.path.join(models_dir, f"{name}_{spec['size']}.onnx")
    if not os.path.exists(path):
        build_and_export(spec, path)
    return path


def run_once(path, batch, v):
    r = tandem_ips(args.tandem, path, args.units, batch, seconds=args.seconds, env=dict(v["env"], TANDEM_CACHE_DIR=cache),
                   extra=v["args"])
    return r.get("images_per_second"), r.get("error")


def write():
    with open(os.path.join(args.out, "variants.json"), "w") as f:
        json.dump(results, f, indent=1)
    lines = [f"# Tandem variants, {args.units}",
             f"machine {results['machine']}, card {results['card']}, {results['date']}, commit {results['commit']}",
             f"command: `{results['command']}`", "",
             "images/s, median of the rounds (separate `tandem run` processes in turn, one choice cache); "
             "ratio = variant / base", "",
             "| model | batch | " + " | ".join(v["label"] for v in variants) + " | " +
             " | ".join(f"{v['label']}/base" for v in variants[1:]) + " |",
             "|---|---:|" + "---:|" * (2 * len(variants) - 1)]
    for r in results["rows"]:
        base = r["ips"].get("base")
        cells = [f"{r['ips'][v['label']]:.0f}" if r["ips"].get(v["label"]) else r["errors"].get(v["label"], "-")
                 for v in variants]
        ratios = [f"{r['ips'][v['label']] / base:.3f}" if base and r["ips"].get(v["label"]) else "-" for v in variants[1:]]
        lines.append(f"| {r['model']} | {r['batch']} | " + " | ".join(cells) + " | " + " | ".join(ratios) + " |")
    with open(os.path.join(args.out, "variants.md"), "w") as f:
        f.write("\n".join(lines) + "\n")


for name in args.models.split(","):
    try:
        path = export(name)
    except Exception as e:  # a model that does not export is a row with the reason, not a stop
        results["rows"].append({"model": name, "batch": 0, "ips": {}, "errors": {"base": f"export: {e}"[:200]}})
        write()
        continue
    for batch in (int(b) for b in args.batches.split(",")):
        samples = {v["label"]: [] for v in variants}
        errors = {}
        for k in range(args.rounds):
            for v in (variants if k % 2 == 0 else variants[::-1]):  # alternating order: a drift favours none
                ips, err = run_once(path, batch, v)
                if ips:
                    samples[v["label"]].append(ips)
                elif err:
                    errors[v["label"]] = err
        row = {"model": name, "batch": batch, "samples": samples, "errors": errors,
               "ips": {k: statistics.median(s) for k, s in samples.items() if s}}
        results["rows"].append(row)
        print(name, batch, {k: round(x) for k, x in row["ips"].items()}, errors or "", flush=True)
        write()
write()
print(open(os.path.join(args.out, "variants.md")).read())
