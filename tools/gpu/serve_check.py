#!/usr/bin/env python3
"""One request to `tandem serve` against onnxruntime and `tandem run` on the same input, printed
side by side: for finding why a server's answers differ from offline ones on a unit.

    tools/gpu/serve_check.py TANDEM MODEL.onnx --units cuda:0/fp16 [--rows 1] [--port 8123]
"""
import argparse, json, os, subprocess, sys, tempfile, time, urllib.request
import numpy as np

ap = argparse.ArgumentParser()
ap.add_argument("tandem"); ap.add_argument("model")
ap.add_argument("--units", default="cpu"); ap.add_argument("--rows", type=int, default=1)
ap.add_argument("--port", type=int, default=8123)
a = ap.parse_args()
import onnxruntime as ort
sess = ort.InferenceSession(a.model, providers=["CPUExecutionProvider"])
inp = sess.get_inputs()[0]
shape = [a.rows] + [d if isinstance(d, int) else 224 for d in inp.shape[1:]]
x = np.random.default_rng(7).uniform(-1, 1, shape).astype(np.float32)
want = sess.run(None, {inp.name: x})[0]
rel = lambda g: float(np.linalg.norm(g.astype(np.float64) - want) / max(np.linalg.norm(want), 1e-12))
with tempfile.TemporaryDirectory() as d:
    np.save(os.path.join(d, "x.npy"), x)
    subprocess.run([a.tandem, "run", a.model, "--units", a.units, "--input", os.path.join(d, "x.npy"), "--output",
                    os.path.join(d, "y.npy"), "-q"], check=False, capture_output=True)
    if os.path.exists(os.path.join(d, "y.npy")):
        y = np.load(os.path.join(d, "y.npy"))
        print(f"tandem run  rel L2 {rel(y):.4g}  first {y.ravel()[:4]}")
srv = subprocess.Popen([a.tandem, "serve", a.model, "--units", a.units, "--port", str(a.port), "--model-name", "m"],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
try:
    for _ in range(600):
        try:
            if urllib.request.urlopen(f"http://127.0.0.1:{a.port}/v2/health/ready", timeout=1).status == 200: break
        except Exception:
            time.sleep(0.1)
    body = {"inputs": [{"name": inp.name, "shape": shape, "datatype": "FP32", "data": x.ravel().tolist()}]}
    for k in range(3):
        req = urllib.request.Request(f"http://127.0.0.1:{a.port}/v2/models/m/infer", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
        r = json.loads(urllib.request.urlopen(req, timeout=30).read())
        o = r["outputs"][0]
        g = np.array(o["data"], dtype=np.float32).reshape(o["shape"])
        print(f"serve #{k} {o['name']} {o['datatype']} {o['shape']}  rel L2 {rel(g):.4g}  first {g.ravel()[:4]}")
    print(f"onnxruntime first {want.ravel()[:4]}")
finally:
    srv.terminate()
    try:
        out = srv.communicate(timeout=10)[0]
    except subprocess.TimeoutExpired:
        srv.kill(); out = srv.communicate()[0]
    print("server log tail:", "\n".join(out.strip().splitlines()[-5:]))
