"""tritonclient[http] against `tandem serve`: metadata, config, statistics, inference with binary and
JSON tensors (outputs checked against onnxruntime), and every bad request answered with a 4xx JSON
error while the server keeps serving.

Usage: test_protocol.py --tandem build/bin/tandem --models build/models
"""
import http.client
import json
import os
import socket
import sys
import time
import unittest

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import serve_harness  # noqa: E402
from serve_harness import Server, require_tritonclient  # noqa: E402

require_tritonclient()
import onnxruntime as ort  # noqa: E402
import tritonclient.http as httpclient  # noqa: E402
from tritonclient.utils import InferenceServerException  # noqa: E402

ARGS = None
MODEL = "two_heads"


def reference(x):
    sess = ort.InferenceSession(os.path.join(ARGS.models, "two_heads.onnx"), providers=["CPUExecutionProvider"])
    features, logits = sess.run(["features", "logits"], {"x": x})
    return {"features": features, "logits": logits}


def post(port, path, body, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("POST", path, body=body, headers=headers or {})
    r = conn.getresponse()
    data = r.read()
    conn.close()
    return r.status, data


def get(port, path):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", path)
    r = conn.getresponse()
    data = r.read()
    conn.close()
    return r.status, data


def json_input(x, name="x", datatype="FP32"):
    return {"name": name, "datatype": datatype, "shape": list(x.shape), "data": x.flatten().tolist()}


class ProtocolTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server(ARGS.tandem, os.path.join(ARGS.models, "two_heads.onnx"), "--max-batch", "4",
                            "--max-delay-us", "2000", "--max-body-mb", "0.05", "--timeout-s", "2")
        cls.port = cls.server.port
        cls.client = httpclient.InferenceServerClient(url=cls.server.url)

    @classmethod
    def tearDownClass(cls):
        cls.client.close()
        rc = cls.server.stop()
        assert rc == 0, f"tandem serve exited {rc}: {''.join(cls.server.stderr)}"

    def infer_ok(self, rows=2, seed=0):
        """One good request through tritonclient; the server must still answer right."""
        x = np.random.default_rng(seed).standard_normal((rows, 3, 8, 8)).astype(np.float32)
        inp = httpclient.InferInput("x", list(x.shape), "FP32")
        inp.set_data_from_numpy(x)
        res = self.client.infer(MODEL, [inp])
        ref = reference(x)
        np.testing.assert_allclose(res.as_numpy("logits"), ref["logits"], rtol=1e-4, atol=1e-5)

    def expect_error(self, status, data, code, needle):
        self.assertEqual(status, code, data)
        body = json.loads(data)
        self.assertIn("error", body)
        self.assertIn(needle, body["error"])
        self.assertNotIn("\n", body["error"])
        self.infer_ok()

    # --- metadata ---------------------------------------------------------------------------
    def test_health(self):
        self.assertTrue(self.client.is_server_live())
        self.assertTrue(self.client.is_server_ready())
        self.assertTrue(self.client.is_model_ready(MODEL))
        self.assertTrue(self.client.is_model_ready(MODEL, "1"))
        self.assertFalse(self.client.is_model_ready("nope"))

    def test_server_metadata(self):
        md = self.client.get_server_metadata()
        self.assertEqual(md["name"], "tandem")
        for ext in ("binary_tensor_data", "model_configuration", "statistics"):
            self.assertIn(ext, md["extensions"])

    def test_model_metadata(self):
        md = self.client.get_model_metadata(MODEL)
        self.assertEqual(md["name"], MODEL)
        self.assertEqual(md["versions"], ["1"])
        self.assertEqual(md["inputs"], [{"name": "x", "datatype": "FP32", "shape": [-1, 3, 8, 8]}])
        self.assertEqual([o["name"] for o in md["outputs"]], ["features", "logits"])
        self.assertEqual(md["outputs"][1]["shape"], [-1, 5])
        with self.assertRaises(InferenceServerException):
            self.client.get_model_metadata("nope")

    def test_repository_index(self):
        self.assertEqual(self.client.get_model_repository_index(),
                         [{"name": MODEL, "version": "1", "state": "READY"}])
        status, data = get(self.port, "/v2/models")
        self.assertEqual(json.loads(data), {"models": [MODEL]})

    def test_model_config(self):
        cfg = self.client.get_model_config(MODEL)
        self.assertEqual(cfg["max_batch_size"], 4)
        self.assertEqual(cfg["input"], [{"name": "x", "data_type": "TYPE_FP32", "dims": [3, 8, 8]}])
        self.assertEqual(cfg["output"][1], {"name": "logits", "data_type": "TYPE_FP32", "dims": [5]})
        self.assertEqual(cfg["dynamic_batching"]["max_queue_delay_microseconds"], 2000)

    # --- inference --------------------------------------------------------------------------
    def run_infer(self, rows, binary_in, binary_out, outputs=("features", "logits"), seed=1):
        x = np.random.default_rng(seed).standard_normal((rows, 3, 8, 8)).astype(np.float32)
        inp = httpclient.InferInput("x", list(x.shape), "FP32")
        inp.set_data_from_numpy(x, binary_data=binary_in)
        outs = [httpclient.InferRequestedOutput(o, binary_data=binary_out) for o in outputs]
        res = self.client.infer(MODEL, [inp], outputs=outs, request_id=f"r{rows}")
        self.assertEqual(res.get_response()["id"], f"r{rows}")
        ref = reference(x)
        for o in outputs:
            got = res.as_numpy(o)
            self.assertEqual(got.shape, ref[o].shape)
            np.testing.assert_allclose(got, ref[o], rtol=1e-4, atol=1e-5)
        return res

    def test_infer_binary(self):
        self.run_infer(2, True, True)

    def test_infer_json(self):
        res = self.run_infer(3, False, False)
        self.assertIn("data", res.get_response()["outputs"][0])

    def test_infer_mixed_one_output(self):
        res = self.run_infer(1, True, False, outputs=("logits",))
        self.assertEqual([o["name"] for o in res.get_response()["outputs"]], ["logits"])

    def test_infer_split_larger_than_max_batch(self):
        self.run_infer(11, True, True, seed=5)

    def test_infer_compressed(self):
        x = np.random.default_rng(8).standard_normal((2, 3, 8, 8)).astype(np.float32)
        for algo in ("gzip", "deflate"):
            inp = httpclient.InferInput("x", list(x.shape), "FP32")
            inp.set_data_from_numpy(x)
            res = self.client.infer(MODEL, [inp], request_compression_algorithm=algo,
                                    response_compression_algorithm=algo)
            np.testing.assert_allclose(res.as_numpy("logits"), reference(x)["logits"], rtol=1e-4, atol=1e-5)

    def test_infer_with_version(self):
        x = np.ones((1, 3, 8, 8), np.float32)
        inp = httpclient.InferInput("x", [1, 3, 8, 8], "FP32")
        inp.set_data_from_numpy(x)
        res = self.client.infer(MODEL, [inp], model_version="1")
        np.testing.assert_allclose(res.as_numpy("logits"), reference(x)["logits"], rtol=1e-4, atol=1e-5)

    def test_statistics_and_metrics(self):
        self.infer_ok(rows=3)
        st = self.client.get_inference_statistics(MODEL)["model_stats"][0]
        self.assertEqual(st["name"], MODEL)
        self.assertGreaterEqual(int(st["inference_count"]), 3)
        self.assertGreaterEqual(int(st["inference_stats"]["success"]["count"]), 1)
        self.assertTrue(st["batch_stats"])
        status, text = get(self.port, "/metrics")
        self.assertEqual(status, 200)
        text = text.decode()
        self.assertRegex(text, r'tandem_requests_total\{model="two_heads",code="200"\} [1-9]')
        self.assertRegex(text, r'tandem_unit_images_total\{unit="cpu"\} [1-9]')
        self.assertIn("tandem_batch_size_bucket", text)
        self.assertIn("tandem_queue_duration_seconds_count", text)

    # --- bad requests -----------------------------------------------------------------------
    def infer_path(self, model=MODEL):
        return f"/v2/models/{model}/infer"

    def test_bad_malformed_json(self):
        self.expect_error(*post(self.port, self.infer_path(), b'{"inputs": [ {"name": '), 400, "not valid JSON")

    def test_bad_unknown_model(self):
        body = json.dumps({"inputs": [json_input(np.zeros((1, 3, 8, 8), np.float32))]})
        self.expect_error(*post(self.port, self.infer_path("resnet"), body), 404, "unknown model 'resnet'")
        self.expect_error(*post(self.port, f"/v2/models/{MODEL}/versions/7/infer", body), 404, "no version '7'")

    def test_bad_wrong_shape(self):
        body = json.dumps({"inputs": [json_input(np.zeros((1, 3, 8, 9), np.float32))]})
        self.expect_error(*post(self.port, self.infer_path(), body), 400, "the model takes [?, 3, 8, 8]")

    def test_bad_wrong_datatype(self):
        body = json.dumps({"inputs": [json_input(np.zeros((1, 3, 8, 8), np.int64), datatype="INT64")]})
        self.expect_error(*post(self.port, self.infer_path(), body), 400, "datatype INT64, the model takes FP32")

    def test_bad_missing_input(self):
        body = json.dumps({"inputs": []})
        self.expect_error(*post(self.port, self.infer_path(), body), 400, "missing input 'x'")
        body = json.dumps({"inputs": [json_input(np.zeros((1, 3, 8, 8), np.float32), name="image")]})
        self.expect_error(*post(self.port, self.infer_path(), body), 400, "unknown input 'image'")

    def test_bad_body_over_limit(self):
        body = json.dumps({"inputs": [json_input(np.zeros((100, 3, 8, 8), np.float32))]})
        self.assertGreater(len(body), 0.05 * 1024 * 1024)
        self.expect_error(*post(self.port, self.infer_path(), body), 413, "larger than the server's limit")

    def binary_body(self, x):
        head = json.dumps({"inputs": [{"name": "x", "datatype": "FP32", "shape": list(x.shape),
                                       "parameters": {"binary_data_size": x.nbytes}}]}).encode()
        return head, x.tobytes()

    def test_bad_binary_header_length_lies(self):
        head, data = self.binary_body(np.zeros((1, 3, 8, 8), np.float32))
        hdr = {"Inference-Header-Content-Length": str(len(head) + len(data) + 100)}
        self.expect_error(*post(self.port, self.infer_path(), head + data, hdr), 400, "Inference-Header-Content-Length is")
        hdr = {"Inference-Header-Content-Length": str(len(head) - 3)}
        self.expect_error(*post(self.port, self.infer_path(), head + data, hdr), 400, "not valid JSON")
        hdr = {"Inference-Header-Content-Length": "lots"}
        self.expect_error(*post(self.port, self.infer_path(), head + data, hdr), 400, "not a byte count")

    def test_bad_truncated_binary(self):
        head, data = self.binary_body(np.zeros((2, 3, 8, 8), np.float32))
        hdr = {"Inference-Header-Content-Length": str(len(head))}
        self.expect_error(*post(self.port, self.infer_path(), head + data[:1000], hdr), 400, "binary data ends after 1000 bytes")

    def test_good_raw_binary(self):
        x = np.random.default_rng(3).standard_normal((2, 3, 8, 8)).astype(np.float32)
        head, data = self.binary_body(x)
        status, body = post(self.port, self.infer_path(), head + data,
                            {"Inference-Header-Content-Length": str(len(head))})
        self.assertEqual(status, 200, body)
        res = json.loads(body)  # no binary outputs asked: all JSON
        logits = np.array(res["outputs"][1]["data"], np.float32).reshape(2, 5)
        np.testing.assert_allclose(logits, reference(x)["logits"], rtol=1e-4, atol=1e-5)

    def test_good_json_with_a_form_content_type(self):
        # urllib and curl -d label a POST application/x-www-form-urlencoded; bodies over 8 KB must pass.
        x = np.random.default_rng(9).standard_normal((6, 3, 8, 8)).astype(np.float32)
        body = json.dumps({"inputs": [json_input(x)]})
        self.assertGreater(len(body), 8192)
        status, data = post(self.port, self.infer_path(), body, {"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual(status, 200, data[:200])
        logits = np.array(json.loads(data)["outputs"][1]["data"], np.float32).reshape(6, 5)
        np.testing.assert_allclose(logits, reference(x)["logits"], rtol=1e-4, atol=1e-5)

    def test_bad_unknown_route(self):
        status, data = get(self.port, "/v3/whatever")
        self.expect_error(status, data, 404, "no such endpoint")

    def test_client_disconnects_mid_body(self):
        for _ in range(3):
            s = socket.create_connection(("127.0.0.1", self.port))
            s.sendall(b"POST /v2/models/two_heads/infer HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n{\"inputs\"")
            s.close()
        self.infer_ok()

    def test_client_disconnects_before_its_answer(self):
        # The answer is written to a closed socket (EPIPE, no SIGPIPE death); the server serves on.
        x = np.zeros((4, 3, 8, 8), np.float32)
        body = json.dumps({"inputs": [json_input(x)],
                           "outputs": [{"name": "features"}, {"name": "logits"}]}).encode()
        for _ in range(5):
            s = socket.create_connection(("127.0.0.1", self.port))
            s.sendall(b"POST /v2/models/two_heads/infer HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                      str(len(body)).encode() + b"\r\n\r\n" + body)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            s.close()  # linger 0: a reset, so the server's writes fail at once
        time.sleep(0.2)
        self.infer_ok()

    def test_stalled_client_times_out(self):
        s = socket.create_connection(("127.0.0.1", self.port))
        s.sendall(b"POST /v2/models/two_heads/infer HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n{")
        self.infer_ok()  # served while the other client stalls
        s.settimeout(20)
        t0 = time.time()
        try:
            closed = s.recv(1000) is not None  # b"" (closed) or an error response
        except (ConnectionResetError, socket.timeout):
            closed = False
        s.close()
        self.assertTrue(closed)
        self.assertLess(time.time() - t0, 20)


if __name__ == "__main__":
    serve_harness.run_unittests(globals())
