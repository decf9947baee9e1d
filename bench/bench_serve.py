#!/usr/bin/env python3
"""Load generator for `tandem serve` (issue 15): tritonclient[http] clients against a server on this
machine, either N concurrent clients each sending when answered (closed loop, --clients) or a steady
offered rate (open loop, --rates: latency counted from when each request was due). Every answer is
checked against onnxruntime's outputs for its own input. Prints requests/s, images/s, p50/p90/p99
latency, mean batch size, 503s and wrong answers, and the offline throughput of `tandem run` on the
same units at the server's largest batch beside it.

Each server configuration (--configs, ';'-separated; each a list of `tandem serve` flags without
the dashes, e.g. "max-batch=16,max-delay-us=2000" or "latency-ms=20") starts its own server on a
free loopback port; every load then runs for --seconds or --max-requests, whichever comes first.
Clients are threads spread over --processes processes (the Python client costs about 0.5 ms of CPU
per request: give it cores, or it becomes the bottleneck). `--client load` uses `tandem load`
instead (C++, one keep-alive connection per client, the binary extension, answers checked against
onnxruntime's for the same inputs, written once to a pool .npz): it is the client to measure the
server's own limits with, and the table then shows the CPU time per request of the server and of
the client. --rows takes a list (1,8): each server is loaded with each. With --url the server is
one you started (loopback addresses only); then --configs is ignored. `--transports binary,shm`
(with --client load; `--shm` is `--transports shm`) loads each server over the binary tensor
extension and over Triton's system shared memory (`tandem load --shm`: inputs and outputs in
regions registered once, requests carry only their JSON header), side by side.

  python3 bench/bench_serve.py --model build/models/mobilenet_v2.onnx --units cpu:0,cpu:1 \\
      --configs "max-batch=8,max-delay-us=1000;latency-ms=30" --clients 1,16,64 --seconds 10
  python3 bench/bench_serve.py --model resnet50.onnx --units cuda:0/fp16,cpu --processes 8 \\
      --configs "latency-ms=5;latency-ms=20;max-batch=64,max-delay-us=2000" --clients 1,8,64,256 \\
      --out bench/results/serve_h200_resnet50
  python3 bench/bench_serve.py --configs "latency-ms=10" --clients 64 --rates 200,1000,3000   # p99 vs target
  python3 bench/bench_serve.py --client load --model build/models/two_heads.onnx --units cpu \\
      --configs "max-batch=64,max-delay-us=2000" --clients 1,16,64 --rows 1,8,64   # the server's own cost
  python3 bench/bench_serve.py --client load --transports binary,shm --clients 16,64 --rows 1,8   # shm vs binary

Writes <out>.json and <out>.md (machine, date, commit, command) when --out is given.
"""
import argparse
import datetime
import json
import multiprocessing as mp
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "serve"))
from serve_harness import Server  # noqa: E402
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from commit import current_commit  # noqa: E402

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def model_inputs(url, name, model, rows, shape_override, pool, seed, check):
    """`pool` distinct inputs of `rows` rows (shapes from the server's model metadata) and, with
    `check`, onnxruntime's outputs for each."""
    md = json.loads(urllib.request.urlopen(f"http://{url}/v2/models/{name}", timeout=30).read())
    if len(md["inputs"]) != 1 or md["inputs"][0]["datatype"] != "FP32":
        sys.exit("bench_serve.py: models with one FP32 input only")
    shape = list(shape_override) if shape_override else list(md["inputs"][0]["shape"])
    shape[0] = rows
    if any(d < 0 for d in shape):
        sys.exit(f"bench_serve.py: the model leaves dims open ({md['inputs'][0]['shape']}): give --shape")
    rng = np.random.default_rng(seed)
    xs = [rng.standard_normal(shape).astype(np.float32) for _ in range(pool)]
    input_name, output_names = md["inputs"][0]["name"], [o["name"] for o in md["outputs"]]
    if not check:
        return input_name, output_names, xs, None
    import onnxruntime as ort
    sess = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
    return input_name, output_names, xs, [sess.run(output_names, {input_name: x}) for x in xs]


class RawClient:
    """The few calls the load needs, over http.client with the binary tensor extension: for a
    machine without tritonclient (the GPU host reaches no package index), and lighter on CPU."""

    class Error(Exception):
        def __init__(self, status, message):
            super().__init__(message)
            self.code = status

        def status(self):
            return str(self.code)

    def __init__(self, url, timeout):
        import http.client
        host, _, port = url.rpartition(":")
        self.conn = http.client.HTTPConnection(host, int(port), timeout=timeout)

    def infer(self, model, name, x, output_names):
        head = json.dumps({"inputs": [{"name": name, "datatype": "FP32", "shape": list(x.shape),
                                       "parameters": {"binary_data_size": x.nbytes}}],
                           "outputs": [{"name": o, "parameters": {"binary_data": True}} for o in output_names]}).encode()
        self.conn.request("POST", f"/v2/models/{model}/infer", body=head + x.tobytes(),
                          headers={"Inference-Header-Content-Length": str(len(head)),
                                   "Content-Type": "application/octet-stream"})
        r = self.conn.getresponse()
        body = r.read()
        if r.status != 200:
            raise RawClient.Error(r.status, json.loads(body).get("error", ""))
        n = int(r.getheader("Inference-Header-Content-Length"))
        res, offset, outs = json.loads(body[:n]), n, {}
        for o in res["outputs"]:
            size = o["parameters"]["binary_data_size"]
            dtype = {"FP32": np.float32, "FP16": np.float16, "INT64": np.int64, "INT32": np.int32}[o["datatype"]]
            outs[o["name"]] = np.frombuffer(body[offset:offset + size], dtype).reshape(o["shape"])
            offset += size
        return outs

    def close(self):
        self.conn.close()


def client_process(url, model_name, input_name, output_names, xs, refs, threads, seconds, max_requests, rtol,
                   seed, rate, raw, results):
    if raw:
        infer_error = RawClient.Error
    else:
        import tritonclient.http as httpclient
        from tritonclient.utils import InferenceServerException as infer_error
    stop_at = time.time() + seconds
    lock = threading.Lock()
    state = {"sent": 0, "lat": [], "rejected": 0, "wrong": 0, "errors": [], "rows": 0}

    def worker(t):
        client = RawClient(url, 300) if raw else \
            httpclient.InferenceServerClient(url=url, connection_timeout=300, network_timeout=300)
        i = (seed * 7919 + t) % len(xs)
        # Open loop (rate > 0): this thread's requests are due every threads / rate seconds, and each
        # latency counts from when it was due, so a server that falls behind is not excused by the
        # clients waiting for it (no coordinated omission).
        interval = threads / rate if rate > 0 else 0.0
        due = time.perf_counter() + interval * (t / threads)
        while time.time() < stop_at:
            with lock:
                if state["sent"] >= max_requests:
                    break
                state["sent"] += 1
            x = xs[i]
            if not raw:
                inp = httpclient.InferInput(input_name, list(x.shape), "FP32")
                inp.set_data_from_numpy(x)
                outs = [httpclient.InferRequestedOutput(n) for n in output_names]
            if interval:
                time.sleep(max(0.0, due - time.perf_counter()))
                t0 = due
                due += interval
            else:
                t0 = time.perf_counter()
            try:
                if raw:
                    got = client.infer(model_name, input_name, x, output_names)
                else:
                    res = client.infer(model_name, [inp], outputs=outs)
                    got = {n: res.as_numpy(n) for n in output_names}
            except infer_error as e:
                with lock:
                    if e.status() == "503" or "queue is full" in str(e):
                        state["rejected"] += 1
                    else:
                        state["errors"].append(str(e)[:200])
                continue
            dt = time.perf_counter() - t0
            wrong = False
            if refs is not None:
                for n, ref in zip(output_names, refs[i]):
                    out = got[n].astype(np.float64)
                    err = np.linalg.norm(out - ref) / max(np.linalg.norm(ref), 1e-12) \
                        if out.shape == ref.shape else float("inf")
                    wrong |= not err <= rtol
            with lock:
                state["lat"].append(dt)
                state["rows"] += x.shape[0]
                state["wrong"] += int(wrong)
            i = (i + 1) % len(xs)
        client.close()

    ts = [threading.Thread(target=worker, args=(t,)) for t in range(threads)]
    t0 = time.time()
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    state["wall"] = time.time() - t0
    del state["sent"]
    results.put(state)


def scrape(url):
    text = urllib.request.urlopen(f"http://{url}/metrics", timeout=30).read().decode()
    val = {}
    for key in ("tandem_batch_size_sum", "tandem_batch_size_count"):
        m = re.search(key + r"\{[^}]*\} ([0-9.e+]+)", text)
        val[key] = float(m.group(1)) if m else 0.0
    return val


def run_load(url, model_name, data, clients, processes, seconds, max_requests, rtol, rate=0.0, raw=False):
    input_name, output_names, xs, refs = data
    procs = max(1, min(processes, clients))
    per = [clients // procs + (1 if p < clients % procs else 0) for p in range(procs)]
    q = mp.Queue()
    before = scrape(url)
    ps = [mp.Process(target=client_process, args=(url, model_name, input_name, output_names, xs, refs, n, seconds,
                                                   max(1, max_requests * n // clients), rtol, p, rate * n / clients, raw, q))
          for p, n in enumerate(per)]
    for p in ps:
        p.start()
    states = [q.get() for _ in ps]
    for p in ps:
        p.join()
    after = scrape(url)
    lat = sorted(x for s in states for x in s["lat"])
    wall = max(s["wall"] for s in states)
    batches = after["tandem_batch_size_count"] - before["tandem_batch_size_count"]
    rows = after["tandem_batch_size_sum"] - before["tandem_batch_size_sum"]
    pct = (lambda p: 1e3 * lat[min(len(lat) - 1, int(p * (len(lat) - 1) + 0.5))]) if lat else (lambda p: 0.0)
    return {"clients": clients, "rate": rate, "requests": len(lat), "seconds": wall,
            "requests_per_s": len(lat) / wall if wall else 0, "images_per_s": sum(s["rows"] for s in states) / wall,
            "p50_ms": pct(0.5), "p90_ms": pct(0.9), "p99_ms": pct(0.99),
            "mean_batch": rows / batches if batches else 0, "rejected_503": sum(s["rejected"] for s in states),
            "wrong": sum(s["wrong"] for s in states), "errors": [e for s in states for e in s["errors"]][:5]}


def cpu_seconds(pid):
    """utime + stime of process `pid` (all its threads), from /proc; None when unknown."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def write_pool(path, data):
    """The pool of `tandem load`: input:<name> [K, rows, ...], and output:<name> when checked."""
    input_name, output_names, xs, refs = data
    arrays = {"input:" + input_name: np.stack(xs)}
    if refs is not None:
        for j, n in enumerate(output_names):
            arrays["output:" + n] = np.stack([r[j] for r in refs])
    np.savez(path, **arrays)


def run_load_cpp(tandem, url, model_name, pool, clients, seconds, max_requests, rtol, rate, server_pid, shm=False):
    """One load through `tandem load` (C++: the client is not the bottleneck); the row of run_load()
    plus the CPU time per request of the server (when it is ours) and of the client."""
    before = scrape(url)
    cpu0 = cpu_seconds(server_pid) if server_pid else None
    cmd = [tandem, "load", url, "--pool", pool, "--model-name", model_name, "--connections", str(clients),
           "--seconds", str(seconds), "--requests", str(max_requests), "--rtol", str(rtol), "--rate", str(rate)]
    if shm:
        cmd.append("--shm")
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 600)
    cpu1 = cpu_seconds(server_pid) if server_pid else None
    after = scrape(url)
    try:
        r = json.loads(p.stdout)
    except json.JSONDecodeError:
        sys.exit(f"bench_serve.py: tandem load failed: {p.stderr.strip()}")
    batches = after["tandem_batch_size_count"] - before["tandem_batch_size_count"]
    rows = after["tandem_batch_size_sum"] - before["tandem_batch_size_sum"]
    n = max(1, r["requests"])
    return {"clients": clients, "rate": rate, "requests": r["requests"], "seconds": r["seconds"],
            "requests_per_s": r["requests_per_s"], "images_per_s": r["images_per_s"], "p50_ms": r["p50_ms"],
            "p90_ms": r["p90_ms"], "p99_ms": r["p99_ms"], "mean_batch": rows / batches if batches else 0,
            "rejected_503": r["rejected_503"], "wrong": r["wrong"],
            "errors": r["error_examples"] if r["errors"] else [],
            "server_cpu_us_per_request": 1e6 * (cpu1 - cpu0) / n if cpu0 is not None and cpu1 is not None else None,
            "client_cpu_us_per_request": 1e6 * r["client_cpu_s"] / n}


def offline(tandem, model, units, batch, shape, iterations=50):
    with tempfile.TemporaryDirectory() as d:
        rep = os.path.join(d, "r.json")
        cmd = [tandem, "run", model, "--units", units, "--batch", str(batch), "--iterations", str(iterations), "-q",
               "--report", rep]
        if shape:
            cmd += ["--shape", "x".join(map(str, shape))]
        subprocess.run(cmd, check=True, capture_output=True, timeout=600)
        with open(rep) as f:
            r = json.load(f)
    return r["images_per_second"], r.get("plan", "")


def config_flags(config):
    flags = []
    for item in filter(None, config.split(",")):
        k, _, v = item.partition("=")
        flags += [f"--{k.strip()}", v.strip()]
    return flags


def largest_batch(flags):
    for k, v in zip(flags[::2], flags[1::2]):
        if k == "--max-batch":
            return int(v)
    return 64 if "--latency-ms" in flags else 8


def markdown(meta, rows):
    out = [f"# tandem serve load: {os.path.basename(meta['model'])} on {meta['units']}", "",
           f"{meta['date']}, commit {meta['commit']}, {meta['cpu']}{meta.get('gpu', '')}; client: {meta['client']}"
           + (f", clients in {meta['processes']} process(es)" if meta['client'] != "load" else " (tandem load, C++)")
           + ". *vs offline*: the server's images/s over offline `tandem run`'s at the server's largest batch; "
           "CPU us/req: CPU time of the server / of the client per answered request.", "", f"`{meta['command']}`", "",
           "| server | transport | rows/req | load | req/s | images/s | vs offline | p50 ms | p90 ms | p99 ms | mean batch | 503 | wrong "
           "| server CPU us/req | client CPU us/req | offline images/s (batch) |",
           "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    us = lambda v: f"{v:.0f}" if v is not None else "-"  # noqa: E731
    for r in rows:
        load = f"{r['rate']:.0f}/s offered" if r.get("rate") else f"{r['clients']} clients"
        ratio = f"{r['images_per_s'] / r['offline_images_per_s']:.2f}x" if r['offline_images_per_s'] else "-"
        out.append(f"| {r['config']} | {r.get('transport', 'binary')} | {r['rows']} | {load} | {r['requests_per_s']:.0f} | {r['images_per_s']:.0f} | {ratio} | "
                   f"{r['p50_ms']:.2f} | {r['p90_ms']:.2f} | {r['p99_ms']:.2f} | {r['mean_batch']:.1f} | "
                   f"{r['rejected_503']} | {r['wrong']} | {us(r.get('server_cpu_us_per_request'))} | "
                   f"{us(r.get('client_cpu_us_per_request'))} | {r['offline_images_per_s']:.0f} ({r['offline_batch']}) |")
    return "\n".join(out) + "\n"


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tandem", default=os.path.join(ROOT, "build", "bin", "tandem"))
    p.add_argument("--model", default=os.path.join(ROOT, "build", "models", "mobilenet_v2.onnx"))
    p.add_argument("--units", default="cpu")
    p.add_argument("--plan", default="")
    p.add_argument("--configs", default="max-batch=8,max-delay-us=1000")
    p.add_argument("--clients", default="1,16,64")
    p.add_argument("--rates", default="", help="open loop: requests/s offered (each with the largest --clients "
                   "as senders), e.g. 100,500; default: closed loop, each client sends when answered")
    p.add_argument("--steady", default="", help="after the closed-loop loads, an open-loop load at these fractions "
                   "of the best requests/s they reached (e.g. 0.5: a steady load the server can carry, for --latency-ms's "
                   "p99), with the largest --clients as senders")
    p.add_argument("--processes", type=int, default=max(1, (os.cpu_count() or 2) // 2))
    p.add_argument("--seconds", type=float, default=10.0, help="per client count, at most")
    p.add_argument("--max-requests", type=int, default=20000, help="per client count, at most")
    p.add_argument("--rows", default="1", help="rows (images) per request; a list (1,8) loads each server with each")
    p.add_argument("--shape", default="", help="input shape when the model leaves dims open, e.g. 1x3x224x224")
    p.add_argument("--pool", type=int, default=16, help="distinct inputs, each checked against onnxruntime")
    p.add_argument("--rtol", type=float, default=None, help="relative L2 error that counts as a wrong answer "
                   "(default 1e-3; 3e-2 when a unit runs fp16, whose error against fp32 is ~1e-2)")
    p.add_argument("--no-check", action="store_true", help="do not compare answers (no onnxruntime needed)")
    p.add_argument("--client", choices=("tritonclient", "raw", "load"), default="tritonclient",
                   help="raw: http.client with the binary extension (no tritonclient needed); load: `tandem load` "
                   "(C++, keep-alive connections, fast enough to measure the server, not the client)")
    p.add_argument("--transports", default="binary", help="with --client load: binary (the binary tensor extension), "
                   "shm (Triton's system shared memory, tandem load --shm), or both (binary,shm), each load run over each")
    p.add_argument("--shm", action="store_const", const="shm", dest="transports", help="--transports shm")
    p.add_argument("--no-offline", action="store_true")
    p.add_argument("--offline-iterations", type=int, default=50, help="batches offline `tandem run` times (a tiny "
                   "model needs thousands: two_heads at batch 64 read 45k-101k images/s over 50, 67-69k over 2000)")
    p.add_argument("--url", default="", help="an already running server (loopback only)")
    p.add_argument("--model-name", default="")
    p.add_argument("--out", default="")
    a = p.parse_args()
    if a.rtol is None:
        a.rtol = 3e-2 if "fp16" in a.units else 1e-3

    transports = a.transports.split(",")
    if any(t not in ("binary", "shm") for t in transports):
        sys.exit(f"bench_serve.py: --transports takes binary and shm, not {a.transports}")
    if "shm" in transports and a.client != "load":
        sys.exit("bench_serve.py: shared memory (--shm, --transports shm) needs --client load")
    shape = [int(d) for d in a.shape.split("x")] if a.shape else None
    raw = a.client == "raw"
    if a.client == "tritonclient":
        try:
            import tritonclient.http  # noqa: F401
        except ImportError:
            sys.exit("bench_serve.py: tritonclient is missing (pip install 'tritonclient[http]'), or use --client raw")
    name = a.model_name or os.path.splitext(os.path.basename(a.model))[0]
    clients = [int(c) for c in a.clients.split(",")]
    row_counts = [int(r) for r in a.rows.split(",")]
    tmp = tempfile.mkdtemp(prefix="bench_serve_")
    cpu = subprocess.run(["sh", "-c", "lscpu | sed -n 's/^Model name: *//p'"], capture_output=True, text=True).stdout.strip()
    commit = current_commit()
    gpu = subprocess.run(["sh", "-c", "nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1"],
                         capture_output=True, text=True).stdout.strip()
    meta = {"model": a.model, "units": a.units, "date": datetime.date.today().isoformat(), "commit": commit,
            "cpu": f"{cpu} ({os.cpu_count()} threads)", "gpu": f", {gpu}" if gpu else "", "rows": a.rows,
            "processes": a.processes, "client": a.client, "transports": a.transports,
            "command": shlex.join(["python3", *sys.argv])}

    def write_results():
        """The table so far (and <out>.md/.json): written after each server, so a run cut short keeps them."""
        md = markdown(meta, [r for r in rows if "offline_images_per_s" in r])
        if a.out:
            with open(a.out + ".json", "w") as f:
                json.dump({"meta": meta, "results": rows}, f, indent=2)
            with open(a.out + ".md", "w") as f:
                f.write(md)
        return md
    rows = []
    servers = [("external", None)] if a.url else [(c, config_flags(c)) for c in a.configs.split(";")]
    if a.url and urllib.parse.urlsplit("//" + a.url).hostname not in LOOPBACK:
        sys.exit("bench_serve.py: --url must be a loopback address (127.0.0.1, localhost, ::1)")
    for config, flags in servers:
        srv = None
        url = a.url
        if flags is not None:
            extra = ["--plan", a.plan] if a.plan else []
            srv = Server(a.tandem, a.model, "--units", a.units, "--max-queue", "100000", *extra, *flags,
                         ready_timeout=600, cache_dir=os.environ.get("TANDEM_CACHE_DIR", "none"))
            url = srv.url
            print(f"[{config}] " + "".join(l for l in srv.stdout if "p99 target" in l or "ready" in l).strip(),
                  file=sys.stderr)
        try:
            for n_rows in row_counts:
                data = model_inputs(url, name, a.model, n_rows, shape, a.pool, 1, not a.no_check)
                pool = None
                if a.client == "load":
                    pool = os.path.join(tmp, f"pool_{n_rows}.npz")
                    write_pool(pool, data)
                loads = [(c, 0.0) for c in clients] if not a.rates else \
                    [(max(clients), float(r)) for r in a.rates.split(",")]
                steady = [float(f) for f in a.steady.split(",")] if a.steady else []
                for transport, (c, rate) in [(t, l) for l in loads + [(max(clients), -f) for f in steady]
                                             for t in transports]:
                    if rate < 0:  # a fraction of the best closed-loop rate this server reached at these rows
                        best = max((r["requests_per_s"] for r in rows if r["config"] == config and r["rows"] == n_rows
                                    and r["transport"] == transport and not r["rate"]), default=0.0)
                        if best <= 0:
                            continue
                        rate = -rate * best
                    if pool:
                        r = run_load_cpp(a.tandem, url, name, pool, c, a.seconds, a.max_requests, a.rtol, rate,
                                         srv.proc.pid if srv else None, shm=transport == "shm")
                    else:
                        r = run_load(url, name, data, c, a.processes, a.seconds, a.max_requests, a.rtol, rate, raw)
                    r["config"], r["rows"], r["transport"] = config, n_rows, transport
                    rows.append(r)
                    load = f"{rate:.0f} req/s offered" if rate else f"{c} clients"
                    print(f"[{config}] {transport}, {n_rows} rows, {load}: {r['requests_per_s']:.0f} req/s, {r['images_per_s']:.0f} "
                          f"images/s, p50 {r['p50_ms']:.2f} p90 {r['p90_ms']:.2f} p99 {r['p99_ms']:.2f} ms, mean batch "
                          f"{r['mean_batch']:.1f}, 503: {r['rejected_503']}, wrong: {r['wrong']}"
                          + (f", errors: {r['errors']}" if r["errors"] else ""), file=sys.stderr)
        finally:
            if srv:
                srv.stop()
        # max-batch counts rows, whatever the rows per request: offline runs at the server's largest batch.
        batch = largest_batch(flags or [])
        ips, plan = (0.0, "") if a.no_offline else offline(a.tandem, a.model, a.units, batch, shape, a.offline_iterations)
        for r in rows:
            if r["config"] == config:
                r["offline_images_per_s"], r["offline_batch"], r["offline_plan"] = ips, batch, plan
        write_results()
    shutil.rmtree(tmp, ignore_errors=True)
    print(write_results())
    return 1 if any(r["wrong"] or r["errors"] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
