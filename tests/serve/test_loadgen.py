"""`tandem load`, the C++ load generator, against a running `tandem serve` (two_heads on cpu): every
answer of a bounded load checked against onnxruntime's outputs for its own input (fresh random
inputs), the report's counts add up; a pool whose expected outputs are off for one entry is caught
(wrong answers, exit 1); an open-loop rate is kept; a non-loopback url, a bad pool and a server that
is not there give one clear error line.

Usage: test_loadgen.py --tandem build/bin/tandem --models build/models
"""
import json
import os
import socket
import subprocess
import sys
import tempfile
import unittest

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import serve_harness  # noqa: E402
from serve_harness import Server  # noqa: E402

import onnxruntime as ort  # noqa: E402

ARGS = None
K, ROWS = 8, 3


class LoadGenTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        model = os.path.join(ARGS.models, "two_heads.onnx")
        cls.tmp = tempfile.TemporaryDirectory()
        rng = np.random.default_rng()
        xs = rng.standard_normal((K, ROWS, 3, 8, 8)).astype(np.float32)
        sess = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
        outs = [sess.run(["features", "logits"], {"x": x}) for x in xs]
        cls.arrays = {"input:x": xs, "output:features": np.stack([o[0] for o in outs]),
                      "output:logits": np.stack([o[1] for o in outs])}
        cls.pool = cls.write_pool("pool.npz", cls.arrays)
        cls.server = Server(ARGS.tandem, model, "--units", "cpu", "--max-batch", "16", "--max-delay-us", "500")

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.server.__exit__(None, None, None)
        cls.tmp.cleanup()

    @classmethod
    def write_pool(cls, name, arrays):
        path = os.path.join(cls.tmp.name, name)
        np.savez(path, **arrays)
        return path

    def load(self, *args, url=None):
        cmd = [ARGS.tandem, "load", url or self.server.url, "--model-name", "two_heads", *args]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=120)

    def expect_one_line_error(self, r, needle):
        self.assertNotEqual(r.returncode, 0, r.stdout)
        lines = r.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, r.stderr)
        self.assertIn(needle, lines[0])

    def test_bounded_load_every_answer_right(self):
        r = self.load("--pool", self.pool, "--connections", "8", "--requests", "400", "--seconds", "60")
        self.assertEqual(r.returncode, 0, r.stderr)
        rep = json.loads(r.stdout)
        self.assertEqual(rep["requests"], 400)
        self.assertEqual((rep["wrong"], rep["errors"], rep["rejected_503"]), (0, 0, 0), rep)
        self.assertTrue(rep["checked"])
        self.assertEqual(rep["rows"], ROWS)
        self.assertLess(rep["worst_error"], 1e-4)
        self.assertAlmostEqual(rep["images_per_s"], rep["requests_per_s"] * ROWS, delta=1e-6 * rep["images_per_s"])
        self.assertGreater(rep["requests_per_s"], 0)
        self.assertLessEqual(rep["p50_ms"], rep["p99_ms"])
        self.assertLessEqual(rep["p99_ms"], rep["max_ms"])
        self.assertGreater(rep["client_cpu_s"], 0)

    def test_wrong_expected_outputs_are_caught(self):
        arrays = dict(self.arrays)
        arrays["output:logits"] = arrays["output:logits"].copy()
        arrays["output:logits"][5] += 0.5  # entry 5's expected logits are off: its answers count as wrong
        pool = self.write_pool("off.npz", arrays)
        r = self.load("--pool", pool, "--connections", "4", "--requests", "160", "--json",
                      os.path.join(self.tmp.name, "off.json"))
        self.assertEqual(r.returncode, 1, r.stderr)
        rep = json.loads(r.stdout)
        self.assertEqual(rep["requests"], 160)
        self.assertGreater(rep["wrong"], 0)
        self.assertLess(rep["wrong"], 160)  # the other entries are right
        self.assertIn("answers were wrong", r.stderr)
        with open(os.path.join(self.tmp.name, "off.json")) as f:
            self.assertEqual(json.load(f)["wrong"], rep["wrong"])

    def test_open_loop_rate(self):
        r = self.load("--pool", self.pool, "--connections", "4", "--rate", "200", "--seconds", "1.5",
                      "--requests", "100000")
        self.assertEqual(r.returncode, 0, r.stderr)
        rep = json.loads(r.stdout)
        self.assertGreater(rep["requests"], 150)  # 300 due in 1.5 s
        self.assertLessEqual(rep["requests"], 304)
        self.assertEqual(rep["wrong"], 0)

    def test_unchecked_pool(self):
        pool = self.write_pool("inputs_only.npz", {"input:x": self.arrays["input:x"]})
        r = self.load("--pool", pool, "--connections", "2", "--requests", "20")
        self.assertEqual(r.returncode, 0, r.stderr)
        rep = json.loads(r.stdout)
        self.assertEqual((rep["requests"], rep["checked"]), (20, False))

    def test_non_loopback_url_refused(self):
        for url in ("10.1.2.3:8000", "example.com:80", "http://192.168.0.1:8000/"):
            self.expect_one_line_error(self.load("--pool", self.pool, url=url), "not a loopback address")
        self.expect_one_line_error(self.load("--pool", self.pool, url="https://127.0.0.1:8000"), "only http://")
        self.expect_one_line_error(self.load("--pool", self.pool, url="127.0.0.1"), "needs a port")

    def test_bad_pools(self):
        bad_k = self.write_pool("bad_k.npz", {"input:x": self.arrays["input:x"],
                                              "output:logits": self.arrays["output:logits"][:4]})
        self.expect_one_line_error(self.load("--pool", bad_k), "the same K and rows")
        stray = self.write_pool("stray.npz", {"x": self.arrays["input:x"]})
        self.expect_one_line_error(self.load("--pool", stray), "neither input:<name> nor output:<name>")
        self.expect_one_line_error(self.load("--pool", os.path.join(self.tmp.name, "nope.npz")), "nope.npz")

    def test_no_server(self):
        with socket.socket() as s:  # a port nobody listens on
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        r = self.load("--pool", self.pool, "--connections", "2", "--requests", "4", url=f"127.0.0.1:{port}")
        self.assertEqual(r.returncode, 1)
        self.assertEqual(json.loads(r.stdout)["errors"], 4)
        self.assertIn("requests failed", r.stderr.strip().splitlines()[-1])


if __name__ == "__main__":
    serve_harness.run_unittests(globals())
