"""Triton's system shared memory extension on `tandem serve`, through tritonclient[http] and its
tritonclient.utils.shared_memory unchanged: inputs and outputs in shared memory (and an input in
shared memory with the outputs as binary) get onnxruntime's outputs, also for a request split over
batches; the status, register and unregister endpoints; every bad shared memory request gets a 4xx
one-line error and the server keeps serving; unregistering while requests use a region is safe; a
server with --shared-memory off refuses it; and `tandem load --shm` over two CPU units checks every
answer and leaves nothing registered or in /dev/shm.

Usage: test_shm.py --tandem build/bin/tandem --models build/models
"""
import glob
import json
import os
import subprocess
import sys
import tempfile
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
import tritonclient.utils.shared_memory as shm  # noqa: E402
from tritonclient.utils import InferenceServerException  # noqa: E402

ARGS = None
MODEL = "two_heads"
OUT_BYTES = {"features": 4 * 4 * 8 * 8, "logits": 4 * 5}  # per row: features [4, 8, 8], logits [5]


def reference(x):
    sess = ort.InferenceSession(os.path.join(ARGS.models, "two_heads.onnx"), providers=["CPUExecutionProvider"])
    features, logits = sess.run(["features", "logits"], {"x": x})
    return {"features": features, "logits": logits}


class ShmTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server(ARGS.tandem, os.path.join(ARGS.models, "two_heads.onnx"), "--max-batch", "4",
                            "--max-delay-us", "1000")
        cls.client = httpclient.InferenceServerClient(url=cls.server.url)
        cls.prefix = f"tandem_test_shm_{os.getpid()}_"
        cls.regions = []

    @classmethod
    def tearDownClass(cls):
        cls.client.close()
        for r in cls.regions:
            shm.destroy_shared_memory_region(r)
        rc = cls.server.stop()
        assert rc == 0, f"tandem serve exited {rc}: {''.join(cls.server.stderr)}"

    @classmethod
    def region(cls, name, byte_size, register=True):
        """A new POSIX shared memory object /<prefix><name>, registered as region <prefix><name>."""
        full = cls.prefix + name
        r = shm.create_shared_memory_region(full, "/" + full, byte_size)
        cls.regions.append(r)
        if register:
            cls.client.register_system_shared_memory(full, "/" + full, byte_size)
        return full, r

    def setUp(self):
        self.client.unregister_system_shared_memory()  # every test starts with none registered

    def infer_shm(self, rows, seed, outputs_in_shm=True, tag=""):
        """x in region in<tag>, outputs in out<tag> (or binary): answers checked against onnxruntime."""
        x = np.random.default_rng(seed).standard_normal((rows, 3, 8, 8)).astype(np.float32)
        in_name, in_region = self.region("in" + tag, x.nbytes)
        shm.set_shared_memory_region(in_region, [x])
        inp = httpclient.InferInput("x", list(x.shape), "FP32")
        inp.set_shared_memory(in_name, x.nbytes)
        outs, offsets = [], {}
        if outputs_in_shm:
            total = sum(rows * b for b in OUT_BYTES.values()) + 64
            out_name, out_region = self.region("out" + tag, total)
            offset = 64  # logits first, after 64 bytes; features after them
            for o in ("logits", "features"):
                req = httpclient.InferRequestedOutput(o)
                req.set_shared_memory(out_name, rows * OUT_BYTES[o], offset=offset)
                offsets[o] = offset
                offset += rows * OUT_BYTES[o]
                outs.append(req)
        else:
            outs = [httpclient.InferRequestedOutput(o, binary_data=True) for o in ("features", "logits")]
        res = self.client.infer(MODEL, [inp], outputs=outs)
        ref = reference(x)
        for o in ("features", "logits"):
            if outputs_in_shm:
                meta = res.get_output(o)
                self.assertEqual(meta["shape"], list(ref[o].shape))
                self.assertEqual(meta["parameters"]["shared_memory_region"], out_name)
                self.assertEqual(meta["parameters"]["shared_memory_byte_size"], ref[o].nbytes)
                self.assertNotIn("data", meta)
                got = shm.get_contents_as_numpy(out_region, np.float32, list(ref[o].shape), offset=offsets[o])
            else:
                got = res.as_numpy(o)
            np.testing.assert_allclose(got, ref[o], rtol=1e-4, atol=1e-5)
        return in_name

    def expect_error(self, fn, needle):
        with self.assertRaises(InferenceServerException) as cm:
            fn()
        msg = cm.exception.message()
        self.assertIn(needle, msg)
        self.assertNotIn("\n", msg)
        self.assertEqual(cm.exception.status(), "400")
        self.infer_binary_ok()  # the server keeps serving

    def infer_binary_ok(self):
        x = np.random.default_rng(99).standard_normal((2, 3, 8, 8)).astype(np.float32)
        inp = httpclient.InferInput("x", list(x.shape), "FP32")
        inp.set_data_from_numpy(x)
        np.testing.assert_allclose(self.client.infer(MODEL, [inp]).as_numpy("logits"), reference(x)["logits"],
                                   rtol=1e-4, atol=1e-5)

    # --- inference ------------------------------------------------------------------------------
    def test_metadata_lists_the_extension(self):
        self.assertIn("system_shared_memory", self.client.get_server_metadata()["extensions"])

    def test_input_and_outputs_in_shared_memory(self):
        self.infer_shm(3, seed=1, tag="a")

    def test_input_in_shared_memory_outputs_binary(self):
        self.infer_shm(2, seed=2, outputs_in_shm=False, tag="b")

    def test_split_over_batches(self):
        self.infer_shm(11, seed=3, tag="c")  # max batch 4: three batches write into the region

    def test_status_and_unregister(self):
        a, _ = self.region("sa", 4096)
        b, _ = self.region("sb", 8192)
        status = {r["name"]: r for r in self.client.get_system_shared_memory_status()}
        self.assertEqual(set(status), {a, b})
        self.assertEqual(status[b], {"name": b, "key": "/" + b, "offset": 0, "byte_size": 8192})
        self.assertEqual(self.client.get_system_shared_memory_status(a), [status[a]])
        self.client.unregister_system_shared_memory(a)
        self.client.unregister_system_shared_memory(a)  # again: no error, as in Triton
        self.assertEqual([r["name"] for r in self.client.get_system_shared_memory_status()], [b])
        self.expect_error(lambda: self.client.get_system_shared_memory_status(a), f"no shared memory region named '{a}'")

    # --- bad requests ---------------------------------------------------------------------------
    def shm_input(self, region, byte_size, offset=0, rows=1):
        inp = httpclient.InferInput("x", [rows, 3, 8, 8], "FP32")
        inp.set_shared_memory(region, byte_size, offset=offset)
        return inp

    def test_bad_unknown_region(self):
        self.expect_error(lambda: self.client.infer(MODEL, [self.shm_input(self.prefix + "nope", 768)]),
                          f"no shared memory region named '{self.prefix}nope'")

    def test_bad_offset_and_size_beyond_the_region(self):
        name, _ = self.region("small", 1000)
        self.expect_error(lambda: self.client.infer(MODEL, [self.shm_input(name, 768, offset=400)]), "past its end")
        out = httpclient.InferRequestedOutput("logits")
        out.set_shared_memory(name, 20, offset=990)
        name2, r2 = self.region("small_in", 768)
        shm.set_shared_memory_region(r2, [np.zeros((1, 3, 8, 8), np.float32)])
        self.expect_error(lambda: self.client.infer(MODEL, [self.shm_input(name2, 768)], outputs=[out]), "past its end")

    def test_bad_byte_size_not_matching_the_shape(self):
        name, _ = self.region("mismatch", 4096)
        self.expect_error(lambda: self.client.infer(MODEL, [self.shm_input(name, 700)]),
                          "shared_memory_byte_size is 700 but shape [1, 3, 8, 8] of FP32 needs 768 bytes")
        out = httpclient.InferRequestedOutput("logits")
        out.set_shared_memory(name, 39, offset=1024)  # 2 rows of logits need 40
        self.expect_error(lambda: self.client.infer(MODEL, [self.shm_input(name, 1536, rows=2)], outputs=[out]),
                          "output 'logits': shared_memory_byte_size is 39, too small")

    def test_bad_register_of_a_missing_key(self):
        self.expect_error(lambda: self.client.register_system_shared_memory("ghost", f"/{self.prefix}ghost", 64),
                          f"no shared memory object has the key '/{self.prefix}ghost'")

    def test_bad_register_past_the_object(self):
        name, _ = self.region("short", 4096, register=False)
        self.expect_error(lambda: self.client.register_system_shared_memory(name, "/" + name, 4096, offset=1),
                          "past the end of")

    def test_bad_double_register(self):
        name, _ = self.region("twice", 4096)
        self.expect_error(lambda: self.client.register_system_shared_memory(name, "/" + name, 4096),
                          "registered already")

    def test_unregister_all_then_infer(self):
        in_name = self.infer_shm(1, seed=4, tag="d")
        self.client.unregister_system_shared_memory()
        self.assertEqual(self.client.get_system_shared_memory_status(), [])
        self.expect_error(lambda: self.client.infer(MODEL, [self.shm_input(in_name, 768)]),
                          f"no shared memory region named '{in_name}'")

    def test_unregister_while_requests_use_the_region(self):
        # Clients infer from a region while another unregisters and registers it again and again:
        # each answer is right or a 400 naming the region; none is lost, the server lives on.
        rows = 4
        x = np.random.default_rng(5).standard_normal((rows, 3, 8, 8)).astype(np.float32)
        ref = reference(x)["logits"]
        name, region = self.region("churn", x.nbytes)
        shm.set_shared_memory_region(region, [x])
        stop, results, errors = threading.Event(), [], []

        def client_thread():
            c = httpclient.InferenceServerClient(url=self.server.url)
            try:
                while not stop.is_set():
                    try:
                        res = c.infer(MODEL, [self.shm_input(name, x.nbytes, rows=rows)],
                                      outputs=[httpclient.InferRequestedOutput("logits")])
                        np.testing.assert_allclose(res.as_numpy("logits"), ref, rtol=1e-4, atol=1e-5)
                        results.append("ok")
                    except InferenceServerException as e:
                        if "no shared memory region named" not in e.message() or e.status() != "400":
                            errors.append(e.message())
                        results.append("gone")
            except Exception as e:  # noqa: BLE001 - reported below
                errors.append(repr(e))
            finally:
                c.close()

        threads = [threading.Thread(target=client_thread) for _ in range(4)]
        for t in threads:
            t.start()
        control = httpclient.InferenceServerClient(url=self.server.url)
        for _ in range(150):
            control.unregister_system_shared_memory(name)
            control.register_system_shared_memory(name, "/" + name, x.nbytes)
        control.close()
        stop.set()
        for t in threads:
            t.join()
        self.assertEqual(errors, [])
        self.assertIn("ok", results)
        self.infer_binary_ok()


class ShmOffTest(unittest.TestCase):
    def test_off_refuses_the_extension(self):
        with Server(ARGS.tandem, os.path.join(ARGS.models, "two_heads.onnx"), "--shared-memory", "off") as server:
            self.assertIn("system shared memory off", "".join(server.stdout))
            client = httpclient.InferenceServerClient(url=server.url)
            self.assertNotIn("system_shared_memory", client.get_server_metadata()["extensions"])
            with self.assertRaises(InferenceServerException) as cm:
                client.register_system_shared_memory("r", "/whatever", 64)
            self.assertIn("system shared memory is off", cm.exception.message())
            inp = httpclient.InferInput("x", [1, 3, 8, 8], "FP32")
            inp.set_shared_memory("r", 768)
            with self.assertRaises(InferenceServerException) as cm:
                client.infer(MODEL, [inp])
            self.assertIn("which this server has off", cm.exception.message())
            client.close()
            server.stop()


class ShmLoadTest(unittest.TestCase):
    def test_load_over_two_cpu_units_every_answer_right(self):
        model = os.path.join(ARGS.models, "two_heads.onnx")
        k, rows = 6, 3
        xs = np.random.default_rng().standard_normal((k, rows, 3, 8, 8)).astype(np.float32)
        sess = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
        outs = [sess.run(["features", "logits"], {"x": x}) for x in xs]
        before = set(glob.glob("/dev/shm/tandem_load_*"))
        with tempfile.TemporaryDirectory() as tmp, \
                Server(ARGS.tandem, model, "--units", "cpu:0,cpu:1", "--max-batch", "16", "--max-delay-us", "500") as server:
            pool = os.path.join(tmp, "pool.npz")
            np.savez(pool, **{"input:x": xs, "output:features": np.stack([o[0] for o in outs]),
                              "output:logits": np.stack([o[1] for o in outs])})
            cmd = [ARGS.tandem, "load", server.url, "--model-name", MODEL, "--pool", pool, "--shm",
                   "--connections", "16", "--requests", "1500", "--seconds", "60"]
            r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
            self.assertEqual(r.returncode, 0, r.stderr)
            rep = json.loads(r.stdout)
            self.assertEqual((rep["requests"], rep["wrong"], rep["errors"]), (1500, 0, 0), rep)
            self.assertTrue(rep["checked"])
            self.assertLess(rep["worst_error"], 1e-4)
            status = json.loads(urllib.request.urlopen(f"http://{server.url}/v2/systemsharedmemory/status").read())
            self.assertEqual(status, [])  # tandem load unregistered its regions
            self.assertEqual(set(glob.glob("/dev/shm/tandem_load_*")) - before, set())  # and left no object

            # A pool whose expected outputs are off for one entry: those answers are wrong (exit 1).
            bad = np.stack([o[1] for o in outs])
            bad[2] += 0.5
            np.savez(pool, **{"input:x": xs, "output:logits": bad})
            r = subprocess.run(cmd[:-4] + ["--requests", "120", "--seconds", "60"], capture_output=True, text=True,
                               timeout=120)
            self.assertEqual(r.returncode, 1, r.stderr)
            rep = json.loads(r.stdout)
            self.assertGreater(rep["wrong"], 0)
            self.assertLess(rep["wrong"], 120)

    def test_load_shm_against_a_server_with_it_off(self):
        model = os.path.join(ARGS.models, "two_heads.onnx")
        before = set(glob.glob("/dev/shm/tandem_load_*"))
        with tempfile.TemporaryDirectory() as tmp, Server(ARGS.tandem, model, "--shared-memory", "off") as server:
            pool = os.path.join(tmp, "pool.npz")
            np.savez(pool, **{"input:x": np.zeros((2, 1, 3, 8, 8), np.float32)})
            r = subprocess.run([ARGS.tandem, "load", server.url, "--model-name", MODEL, "--pool", pool, "--shm",
                                "--requests", "4"], capture_output=True, text=True, timeout=60)
            self.assertNotEqual(r.returncode, 0)
            lines = r.stderr.strip().splitlines()
            self.assertEqual(len(lines), 1, r.stderr)
            self.assertIn("system shared memory is off", lines[0])
            self.assertEqual(set(glob.glob("/dev/shm/tandem_load_*")) - before, set())


if __name__ == "__main__":
    serve_harness.run_unittests(globals())
