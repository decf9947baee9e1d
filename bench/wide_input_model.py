#!/usr/bin/env python3
"""Writes a model whose input is a MobileNet-sized image and whose compute is almost nothing:
x [N, 3, 224, 224] fp32 (602 KB a row) -> GlobalAveragePool -> Flatten -> Gemm (3 -> 10) -> y [N, 10].
On a small CPU box it shows what moving a 224 px image into the server costs (the binary tensor
extension through cpp-httplib's 4 KB reads, or system shared memory), as the H200 shows it for
MobileNetV2, whose compute there is short. For bench/bench_serve.py --model.

  python3 bench/wide_input_model.py /tmp/wide_input.onnx
"""
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: wide_input_model.py OUT.onnx")
    w = numpy_helper.from_array(np.random.default_rng(3).standard_normal((10, 3)).astype(np.float32), "w")
    nodes = [helper.make_node("GlobalAveragePool", ["x"], ["pooled"], name="gap"),
             helper.make_node("Flatten", ["pooled"], ["flat"], name="flatten"),
             helper.make_node("Gemm", ["flat", "w"], ["y"], name="fc", transB=1)]
    g = helper.make_graph(nodes, "wide_input", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3, 224, 224])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 10])], [w])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)], ir_version=8)
    onnx.checker.check_model(m)
    onnx.save(m, sys.argv[1])


if __name__ == "__main__":
    main()
