"""`tandem serve` as a user starts it: bad flags and files give one clear stderr line and exit 1 (2 for
a flag CLI11 rejects), a port in use is named, and --latency-ms starts, reports what it measured and
chose, and serves right answers.

Usage: test_cli.py --tandem build/bin/tandem --models build/models
"""
import json
import os
import re
import socket
import subprocess
import sys
import unittest
import urllib.request

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import serve_harness  # noqa: E402
from serve_harness import Server  # noqa: E402

import onnxruntime as ort  # noqa: E402

ARGS = None


class ServeCliTest(unittest.TestCase):
    def model(self, name="two_heads"):
        return os.path.join(ARGS.models, f"{name}.onnx")

    def expect_one_line_error(self, args, needle, rc=1):
        r = subprocess.run([ARGS.tandem, "serve", *args], capture_output=True, text=True, timeout=60,
                           env=dict(os.environ, TANDEM_CACHE_DIR="none"))
        self.assertEqual(r.returncode, rc, r.stderr)
        lines = r.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, r.stderr)
        self.assertIn(needle, lines[0])

    def test_missing_model(self):
        self.expect_one_line_error([os.path.join(ARGS.models, "nope.onnx"), "--port", "0"], "nope.onnx")

    def test_bad_batch_sizes(self):
        self.expect_one_line_error([self.model(), "--port", "0", "--max-batch", "8", "--batch-sizes", "1,x"],
                                   "--batch-sizes: 'x'")
        self.expect_one_line_error([self.model(), "--port", "0", "--max-batch", "8", "--batch-sizes", "16"],
                                   "--batch-sizes: '16'")

    def test_bad_flag_values(self):
        self.expect_one_line_error([self.model(), "--port", "70000"], "--port", rc=2)
        self.expect_one_line_error([self.model(), "--max-batch", "0"], "--max-batch", rc=2)
        self.expect_one_line_error([self.model(), "--shared-memory", "maybe"], "--shared-memory", rc=2)

    def test_shared_memory_follows_the_host(self):
        # auto: on for a loopback host, off for one every interface reaches.
        for host, want in (("127.0.0.1", "on"), ("0.0.0.0", "off")):
            with Server(ARGS.tandem, self.model(), "--host", host) as server:
                ready = [line for line in server.stdout if "ready" in line][0]
                self.assertIn(f"system shared memory {want}", ready)
                server.stop()

    def test_port_in_use(self):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        port = s.getsockname()[1]
        try:
            self.expect_one_line_error([self.model(), "--port", str(port)], f"cannot bind 127.0.0.1:{port}")
        finally:
            s.close()

    def test_binds_loopback_by_default(self):
        # An address of this machine that is not loopback, if it has one (no packet is sent).
        probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            probe.connect(("10.255.255.255", 1))
            addr = probe.getsockname()[0]
        except OSError:
            addr = None
        finally:
            probe.close()
        with Server(ARGS.tandem, self.model()) as server:
            self.assertIn(f"listening on http://127.0.0.1:{server.port}", "".join(server.stdout))
            socket.create_connection(("127.0.0.1", server.port), timeout=5).close()
            if addr and not addr.startswith("127."):
                with self.assertRaises(OSError):
                    socket.create_connection((addr, server.port), timeout=5).close()
            self.assertEqual(server.stop(), 0)

    def test_connection_limit_queues_extra_connections(self):
        # 6 clients, 2 connections handled at once: the others wait their turn, none is dropped.
        import http.client
        import threading
        sess = ort.InferenceSession(self.model(), providers=["CPUExecutionProvider"])
        with Server(ARGS.tandem, self.model(), "--max-connections", "2") as server:
            codes = []

            def client(i):
                conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
                for j in range(5):
                    x = np.full((1, 3, 8, 8), i + j / 10, np.float32)
                    body = json.dumps({"inputs": [{"name": "x", "datatype": "FP32", "shape": [1, 3, 8, 8],
                                                   "data": x.flatten().tolist()}]})
                    conn.request("POST", "/v2/models/two_heads/infer", body=body)
                    r = conn.getresponse()
                    res = json.loads(r.read())
                    logits = np.array(res["outputs"][1]["data"], np.float32).reshape(1, 5)
                    ok = np.allclose(logits, sess.run(["logits"], {"x": x})[0], rtol=1e-4, atol=1e-5)
                    codes.append(r.status if ok else -1)
                conn.close()

            threads = [threading.Thread(target=client, args=(i,)) for i in range(6)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            self.assertEqual(codes, [200] * 30)
            self.assertEqual(server.stop(), 0)

    def test_latency_target(self):
        sess = ort.InferenceSession(self.model(), providers=["CPUExecutionProvider"])
        with Server(ARGS.tandem, self.model(), "--latency-ms", "50", "--max-batch", "16") as server:
            x = np.random.default_rng(4).standard_normal((3, 3, 8, 8)).astype(np.float32)
            body = json.dumps({"inputs": [{"name": "x", "datatype": "FP32", "shape": [3, 3, 8, 8],
                                           "data": x.flatten().tolist()}]}).encode()
            req = urllib.request.Request(f"http://{server.url}/v2/models/two_heads/infer", data=body, method="POST")
            res = json.loads(urllib.request.urlopen(req, timeout=30).read())
            logits = np.array(res["outputs"][1]["data"], np.float32).reshape(3, 5)
            np.testing.assert_allclose(logits, sess.run(["logits"], {"x": x})[0], rtol=1e-4, atol=1e-5)
            metrics = urllib.request.urlopen(f"http://{server.url}/metrics", timeout=30).read().decode()
            limit = re.search(r'tandem_batch_limit_rows\{model="two_heads"\} (\d+)', metrics)
            self.assertIsNotNone(limit, metrics)
            self.assertTrue(1 <= int(limit.group(1)) <= 16)
            self.assertEqual(server.stop(), 0)
        out = server.stdout
        self.assertTrue(any(re.search(r"p99 target 50 ms: batch 1: [\d.]+ ms, 2: ", line) for line in out), out)


if __name__ == "__main__":
    serve_harness.run_unittests(globals())
