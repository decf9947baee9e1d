"""Load on `tandem serve` over two CPU units: 64 concurrent tritonclient requests at a time, a few
thousand in all, binary and JSON, 1 to 20 rows (some split over batches): every request answered
200 with its own input's onnxruntime outputs — none lost, none mixed up — and no 503 while the queue
has room; the same through a two-stage plan (front on both units, tail on one), batches
overlapping across the stages. Then a server with a tiny queue: 503 (a JSON error) only when the queue is full, and the
requests it did take are answered right.

Usage: test_load.py --tandem build/bin/tandem --models build/models [--requests N]
"""
import http.client
import json
import os
import re
import sys
import threading
import unittest
import urllib.request

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import serve_harness  # noqa: E402
from serve_harness import Server, require_tritonclient  # noqa: E402

require_tritonclient()
import onnxruntime as ort  # noqa: E402
import tritonclient.http as httpclient  # noqa: E402

ARGS = None


class LoadTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sess = ort.InferenceSession(os.path.join(ARGS.models, "two_heads.onnx"), providers=["CPUExecutionProvider"])

    def reference(self, x):
        return self.sess.run(["features", "logits"], {"x": x})

    def test_many_clients_none_lost_none_mixed(self):
        self.load(ARGS.requests, 64, "--units", "cpu:0,cpu:1", "--max-batch", "16", "--max-delay-us", "1000",
                  "--max-queue", "4096")

    def test_two_stage_plan_pipelined(self):
        # A front on both units, the tail on one: batches overlap across the two stages.
        self.load(ARGS.requests // 3, 32, "--units", "cpu:0,cpu:1", "--plan",
                  "front@features:cpu:0=0.5,cpu:1=0.5|tail:cpu:1", "--max-batch", "8", "--max-in-flight", "3")

    def load(self, n, clients, *server_args):
        rng = np.random.default_rng(11)
        row_choices = [1, 1, 1, 2, 3, 5, 20]
        with Server(ARGS.tandem, os.path.join(ARGS.models, "two_heads.onnx"), *server_args) as server:
            # `clients` threads, each with its own tritonclient (a client is not thread-safe), each
            # sending its share of the requests back to back.
            xs = [rng.standard_normal((row_choices[i % len(row_choices)], 3, 8, 8)).astype(np.float32)
                  for i in range(n)]
            answered, errors = [0] * clients, []

            def client_thread(c):
                client = httpclient.InferenceServerClient(url=server.url, connection_timeout=120, network_timeout=120)
                try:
                    for i in range(c, n, clients):
                        binary = i % 2 == 0
                        inp = httpclient.InferInput("x", list(xs[i].shape), "FP32")
                        inp.set_data_from_numpy(xs[i], binary_data=binary)
                        outs = [httpclient.InferRequestedOutput("features", binary_data=binary),
                                httpclient.InferRequestedOutput("logits", binary_data=not binary)]
                        res = client.infer("two_heads", [inp], outputs=outs, request_id=str(i))
                        assert res.get_response()["id"] == str(i), res.get_response()["id"]
                        features, logits = self.reference(xs[i])
                        np.testing.assert_allclose(res.as_numpy("logits"), logits, rtol=1e-4, atol=1e-5,
                                                   err_msg=f"request {i}")
                        np.testing.assert_allclose(res.as_numpy("features"), features, rtol=1e-4, atol=1e-5,
                                                   err_msg=f"request {i}")
                        answered[c] += 1
                except Exception as e:  # noqa: BLE001 - reported below
                    errors.append(f"client {c}: {e!r}")
                finally:
                    client.close()

            threads = [threading.Thread(target=client_thread, args=(c,)) for c in range(clients)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            self.assertEqual(errors, [])
            self.assertEqual(sum(answered), n)
            metrics = urllib.request.urlopen(f"http://{server.url}/metrics", timeout=30).read().decode()
            ok = re.search(r'tandem_requests_total\{model="two_heads",code="200"\} (\d+)', metrics)
            self.assertIsNotNone(ok, metrics)
            self.assertEqual(int(ok.group(1)), n)
            self.assertNotRegex(metrics, r'code="503"')
            batches = re.search(r'tandem_batch_size_count\{model="two_heads"\} (\d+)', metrics)
            print(f"{n} requests in {batches.group(1)} batches", file=sys.stderr)
            self.assertEqual(server.stop(), 0)

    def test_503_only_when_the_queue_is_full(self):
        with Server(ARGS.tandem, os.path.join(ARGS.models, "two_heads.onnx"), "--max-batch", "64",
                    "--max-delay-us", "400000", "--max-queue", "4") as server:
            results = [None] * 32
            xs = [np.full((1, 3, 8, 8), i / 10, np.float32) for i in range(32)]

            def send(i):
                body = json.dumps({"inputs": [{"name": "x", "datatype": "FP32", "shape": [1, 3, 8, 8],
                                               "data": xs[i].flatten().tolist()}]})
                conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
                conn.request("POST", "/v2/models/two_heads/infer", body=body)
                r = conn.getresponse()
                results[i] = (r.status, json.loads(r.read()))
                conn.close()

            threads = [threading.Thread(target=send, args=(i,)) for i in range(32)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            codes = [r[0] for r in results]
            self.assertEqual(codes.count(200) + codes.count(503), 32, codes)
            self.assertGreaterEqual(codes.count(200), 4, codes)
            self.assertGreaterEqual(codes.count(503), 1, codes)
            for i, (code, body) in enumerate(results):
                if code == 503:
                    self.assertIn("queue is full", body["error"])
                else:
                    logits = np.array(body["outputs"][1]["data"], np.float32).reshape(1, 5)
                    np.testing.assert_allclose(logits, self.reference(xs[i])[1], rtol=1e-4, atol=1e-5)
            self.assertEqual(server.stop(), 0)


if __name__ == "__main__":
    serve_harness.run_unittests(globals(), lambda p: p.add_argument("--requests", type=int, default=3000))
