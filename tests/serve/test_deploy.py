"""deploy/: the KServe ServingRuntime speaks v2, and the flags it gives `tandem serve` work: the
server starts with them (model path and port swapped for a test model and a free port) and answers
the manifest's readiness and liveness probes.

Usage: test_deploy.py --tandem build/bin/tandem --models build/models
"""
import os
import sys
import unittest
import urllib.request

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import serve_harness  # noqa: E402
from serve_harness import Server  # noqa: E402

ARGS = None
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class DeployTest(unittest.TestCase):
    def test_serving_runtime_args_start_a_server(self):
        with open(os.path.join(ROOT, "deploy", "kserve", "servingruntime.yaml")) as f:
            rt = yaml.safe_load(f)
        self.assertEqual(rt["kind"], "ServingRuntime")
        self.assertIn("v2", rt["spec"]["protocolVersions"])
        self.assertIn("onnx", [m["name"] for m in rt["spec"]["supportedModelFormats"]])
        c = rt["spec"]["containers"][0]
        args = []
        for a in c["args"]:
            if a.endswith(".onnx"):
                a = os.path.join(ARGS.models, "two_heads.onnx")
            a = a.replace("{{.Name}}", "two_heads")
            if a.startswith("--port=") or a.startswith("--host="):
                continue  # the harness binds a free loopback port
            args.append(a)
        model, flags = args[0], args[1:]
        with Server(ARGS.tandem, model, *flags) as server:
            for probe in ("readinessProbe", "livenessProbe"):
                path = c[probe]["httpGet"]["path"]
                self.assertEqual(urllib.request.urlopen(f"http://{server.url}{path}", timeout=30).status, 200)
            self.assertEqual(server.stop(), 0)

    def test_inference_service_uses_the_runtime(self):
        with open(os.path.join(ROOT, "deploy", "kserve", "inferenceservice.yaml")) as f:
            isvc = yaml.safe_load(f)
        self.assertEqual(isvc["spec"]["predictor"]["model"]["runtime"], "tandem")
        self.assertEqual(isvc["spec"]["predictor"]["model"]["protocolVersion"], "v2")


if __name__ == "__main__":
    serve_harness.run_unittests(globals())
