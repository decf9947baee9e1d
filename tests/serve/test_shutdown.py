"""Graceful shutdown of `tandem serve`: with requests waiting in a batch, SIGTERM (and SIGINT) makes
the server stop accepting, answer every request it accepted (with its own outputs) and exit 0.

Usage: test_shutdown.py --tandem build/bin/tandem --models build/models
"""
import http.client
import json
import os
import re
import signal
import socket
import sys
import threading
import time
import unittest
import urllib.request

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import serve_harness  # noqa: E402
from serve_harness import Server  # noqa: E402

import onnxruntime as ort  # noqa: E402

ARGS = None


class ShutdownTest(unittest.TestCase):
    def shutdown_with_requests_in_flight(self, sig):
        sess = ort.InferenceSession(os.path.join(ARGS.models, "two_heads.onnx"), providers=["CPUExecutionProvider"])
        n = 16
        with Server(ARGS.tandem, os.path.join(ARGS.models, "two_heads.onnx"), "--max-batch", "64",
                    "--max-delay-us", "3000000") as server:
            xs = [np.random.default_rng(i).standard_normal((1 + i % 3, 3, 8, 8)).astype(np.float32) for i in range(n)]
            results = [None] * n

            def send(i):
                body = json.dumps({"inputs": [{"name": "x", "datatype": "FP32", "shape": list(xs[i].shape),
                                               "data": xs[i].flatten().tolist()}]})
                try:
                    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
                    conn.request("POST", "/v2/models/two_heads/infer", body=body)
                    r = conn.getresponse()
                    results[i] = (r.status, json.loads(r.read()))
                    conn.close()
                except Exception as e:  # noqa: BLE001 - reported by the assertion below
                    results[i] = (None, repr(e))

            threads = [threading.Thread(target=send, args=(i,)) for i in range(n)]
            for t in threads:
                t.start()
            # Wait until all n wait in the batcher's queue (the 3 s delay holds them there).
            deadline = time.time() + 30
            while time.time() < deadline:
                m = urllib.request.urlopen(f"http://{server.url}/metrics", timeout=10).read().decode()
                q = re.search(r'tandem_queue_requests\{model="two_heads"\} (\d+)', m)
                if q and int(q.group(1)) == n:
                    break
                time.sleep(0.02)
            else:
                self.fail("the requests never all reached the queue")
            server.signal(sig)
            for t in threads:
                t.join()
            rc = server.wait(timeout=60)
            self.assertEqual(rc, 0, "".join(server.stderr))
            for i, (code, body) in enumerate(results):
                self.assertEqual(code, 200, body)
                logits = np.array(body["outputs"][1]["data"], np.float32).reshape(-1, 5)
                np.testing.assert_allclose(logits, sess.run(["logits"], {"x": xs[i]})[0], rtol=1e-4, atol=1e-5)
            with self.assertRaises(OSError):
                socket.create_connection(("127.0.0.1", server.port), timeout=5).close()
            self.assertIn("finishing the requests in flight", "".join(server.stderr))

    def test_sigterm(self):
        self.shutdown_with_requests_in_flight(signal.SIGTERM)

    def test_sigint(self):
        self.shutdown_with_requests_in_flight(signal.SIGINT)

    def test_idle_stop(self):
        with Server(ARGS.tandem, os.path.join(ARGS.models, "two_heads.onnx")) as server:
            self.assertEqual(server.stop(), 0)


if __name__ == "__main__":
    serve_harness.run_unittests(globals())
