#!/usr/bin/env python3
"""Writes Tandem's test models and their onnxruntime reference outputs.

Models (fp32, deterministic random weights, 1000 classes unless noted):
  mobilenet_v1.onnx   opset 9,  BN unfolded, Clip-attribute Relu6, AveragePool 7x7, conv classifier + Squeeze
  mobilenet_v2.onnx   opset 13, BN unfolded, Clip(min,max initializers) Relu6, GAP + Flatten + Gemm
                      (also the built-in default model of `tandem run`)
  resnet18.onnx       opset 11, BasicBlocks with Add, MaxPool, GAP + Flatten + Gemm
  mobilenet_v3.onnx   opset 17, MobileNetV3-Large widths: SE blocks, HardSwish as op and decomposed,
                      Gemm + HardSwish + MatMul/Add classifier
  paddle_style.onnx   opset 9,  open N/H/W, paddle2onnx-like names, Upsample + Concat, a
                      Shape->Gather->Unsqueeze->Concat->Reshape subgraph, MatMul+Add fc, Softmax (100 classes)
  pytorch_style.onnx  opset 17, torch.onnx-like names, BN folded into Conv bias, Constant nodes,
                      Clip(min,max) Relu6, Identity, Flatten, Dropout, Gemm(transB=1)
  two_heads.onnx      opset 13, open N: a conv feature map and a Gemm classifier, two outputs ("features",
                      "logits"): for the CLI's --output tests
  vit_style.onnx      opset 17, a patch-embedding Conv, [N, 225, 64] tokens through timm-like MLPs
                      (MatMul + Add + GELU as torch.onnx.export writes it, exact and tanh forms),
                      decomposed Mish, Pow/Sqrt/Abs/Exp/Max/Min/Mean, an int64 Shape ->
                      Gather -> Max -> Equal -> Where -> Reshape subgraph, a Gemm + GELU head
  seg_style.onnx      opset 13, open N, 32 x 32: Conv + Relu x 2, a 1x1 classifier, bilinear Resize: [N, 5, 32, 32]
                      logits (for --output-dtype fp16 / argmax); seg_argmax.onnx: the same ending in two ArgMax
  unsupported_op.onnx opset 13, Relu then Det (an op Tandem does not implement): for CLI error tests

For each of the first seven: <model>.input_b1.npy / .output_b1.npy and _b3 (onnxruntime CPU,
graph optimisations disabled, fixed random inputs), and <model>.fp16ideal_b1.npy / _b3: the same
inputs through fp16_storage_model() (the error floor of any fp16 engine; see there).

Weights: He-style init scaled so that every conv's pre-BatchNorm output has a second moment close
to that BatchNorm's running variance (a scalar second-moment estimate is carried through the net),
so activations stay O(1) through the depth and BN statistics are plausible. The logits are
checked for a sane magnitude. Runs in a few seconds; nothing here is committed except this script.
"""
import argparse
import os
import sys
import time

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

# ONNX IR version per opset: the C++ importer is ONNX 1.12 (IR <= 8), so never write newer.
IR_FOR_OPSET = {9: 4, 11: 6, 13: 7, 17: 8}
BN_EPS = 1e-5


class Net:
    """A graph under construction. Weight arrays stay numpy until finish(), which calibrates them."""

    def __init__(self, name, opset, seed, naming="plain"):
        self.name, self.opset, self.naming = name, opset, naming
        self.rng = np.random.default_rng(seed)
        self.nodes, self.arrays, self.counts = [], {}, {}
        # (output tensor, weight name, weight output-channel axis, bias name or None, target E[y^2]
        # per output channel): layers whose weights finish() rescales, in topological order.
        self.calib = []

    # ---- naming -------------------------------------------------------------------------
    def uniq(self, prefix):
        n = self.counts.get(prefix, 0)
        self.counts[prefix] = n + 1
        return f"{prefix}_{n}"

    def init(self, name, arr):
        if name in self.arrays:
            raise ValueError(f"duplicate initializer {name}")
        self.arrays[name] = np.array(arr, order="C")
        return name

    def shared(self, name, arr):
        """An initializer used by several nodes (constants such as Clip bounds)."""
        if name not in self.arrays:
            self.init(name, arr)
        return name

    def node(self, op, inputs, name=None, outputs=1, **attrs):
        name = name or self.uniq(op.lower())
        if self.naming == "paddle":
            outs = [f"{name}.tmp_{i}" for i in range(outputs)]
        elif self.naming == "torch":
            name = "/" + name
            outs = [f"{name}_output_{i}" for i in range(outputs)]
        else:
            outs = [f"{name}_out{i}" if outputs > 1 else f"{name}_out" for i in range(outputs)]
        self.nodes.append(helper.make_node(op, inputs, outs, name=name, **attrs))
        return outs[0] if outputs == 1 else outs

    # ---- layers -------------------------------------------------------------------------
    def conv(self, x, cin, cout, k, stride=1, group=1, target=None, bias=False, wname=None, name=None):
        """Conv with He-init weights; finish() rescales channel c so that E[y_c^2] ~= target[c]."""
        fan_in = cin // group * k * k
        w = self.rng.standard_normal((cout, cin // group, k, k)) * np.sqrt(2.0 / fan_in)
        name = name or self.uniq("conv")
        wn = self.init(wname or f"{name}.w", w.astype(np.float32))
        ins, bn = [x, wn], None
        if bias:
            bn = self.init(f"{name}.b", (self.rng.standard_normal(cout) * 0.05).astype(np.float32))
            ins.append(bn)
        p = k // 2
        y = self.node("Conv", ins, name=name, kernel_shape=[k, k], strides=[stride, stride],
                      pads=[p, p, p, p], group=group, dilations=[1, 1])
        self.calib.append((y, wn, 0, bn, np.ones(cout) if target is None else target))
        return y

    def conv_bn(self, x, cin, cout, k, stride=1, group=1, act=None):
        """Conv + BatchNormalization with plausible running statistics (+ activation)."""
        gamma = self.rng.uniform(0.5, 1.5, cout)
        beta = self.rng.normal(0, 0.1, cout)
        mean = self.rng.normal(0, 0.1, cout)
        var = self.rng.uniform(0.5, 1.5, cout)
        # The conv feeding BN gets E[y^2] = running var, so BN's output stays O(1).
        y = self.conv(x, cin, cout, k, stride, group, target=var)
        name = self.uniq("batch_norm" if self.naming == "paddle" else "bn")
        ins = [y] + [self.init(f"{name}.{s}", a.astype(np.float32))
                     for s, a in zip(("scale", "bias", "mean", "var"), (gamma, beta, mean, var))]
        y = self.node("BatchNormalization", ins, name=name, epsilon=BN_EPS)
        return self.activation(y, act) if act else y

    def activation(self, x, kind):
        if kind == "relu":
            return self.node("Relu", [x])
        if kind == "relu6":
            return self.relu6(x)
        if kind == "hswish":
            return self.node("HardSwish", [x])
        if kind == "hswish_decomposed":
            return self.hswish_decomposed(x)
        raise ValueError(kind)

    def relu6(self, x):
        if self.opset < 11:
            return self.node("Clip", [x], min=0.0, max=6.0)
        lo, hi = self.clip_bounds(0.0, 6.0)
        return self.node("Clip", [x, lo, hi])

    def clip_bounds(self, lo, hi):
        """Scalar min/max inputs: Constant nodes in torch-style nets, shared initializers otherwise."""
        if self.naming == "torch":
            return [self.node("Constant", [], name=self.uniq("Constant"),
                              value=numpy_helper.from_array(np.array(v, np.float32), "value"))
                    for v in (lo, hi)]
        return [self.shared(f"clip_min_{lo:g}", np.array(lo, np.float32)),
                self.shared(f"clip_max_{hi:g}", np.array(hi, np.float32))]

    def hswish_decomposed(self, x):
        """x * Clip(x + 3, 0, 6) / 6, as exporters write HardSwish before opset 14."""
        three = self.shared("const_three", np.array(3.0, np.float32))
        six = self.shared("const_six", np.array(6.0, np.float32))
        lo, hi = self.clip_bounds(0.0, 6.0)
        a = self.node("Add", [x, three])
        c = self.node("Clip", [a, lo, hi])
        m = self.node("Mul", [x, c])
        return self.node("Div", [m, six])

    def se(self, x, c, squeeze):
        """Squeeze-excitation: GAP -> Conv -> Relu -> Conv -> HardSigmoid -> Mul."""
        g = self.node("GlobalAveragePool", [x])
        g = self.conv(g, c, squeeze, 1, bias=True)
        g = self.node("Relu", [g])
        g = self.conv(g, squeeze, c, 1, bias=True)
        g = self.node("HardSigmoid", [g], alpha=1.0 / 6.0, beta=0.5)
        return self.node("Mul", [x, g])

    def add(self, a, b):
        return self.node("Add", [a, b])

    def gemm(self, x, cin, cout, target=4.0, trans_b=False, wname=None, name=None):
        """Fully connected y = x W + b (W stored [cout, cin] when trans_b, as PyTorch does)."""
        w = (self.rng.standard_normal((cin, cout)) * np.sqrt(1.0 / cin)).astype(np.float32)
        name = name or self.uniq("gemm")
        wn = self.init(wname or f"{name}.w", w.T.copy() if trans_b else w)
        bn = self.init(f"{name}.b", (self.rng.standard_normal(cout) * 0.1).astype(np.float32))
        y = self.node("Gemm", [x, wn, bn], name=name, transB=int(trans_b))
        self.calib.append((y, wn, 0 if trans_b else 1, bn, np.full(cout, target)))
        return y

    def matmul_add(self, x, cin, cout, target=4.0, prefix="fc"):
        """Fully connected as MatMul + Add (paddle2onnx's and some exporters' form)."""
        w = self.init(f"{prefix}.w_0", (self.rng.standard_normal((cin, cout)) / np.sqrt(cin)).astype(np.float32))
        b = self.init(f"{prefix}.b_0", (self.rng.standard_normal(cout) * 0.1).astype(np.float32))
        y = self.node("MatMul", [x, w], name=self.uniq(f"{prefix}_matmul"))
        y = self.node("Add", [y, b], name=self.uniq(f"{prefix}_add"))
        self.calib.append((y, w, 1, b, np.full(cout, target)))
        return y

    def gap(self, x):
        return self.node("GlobalAveragePool", [x])

    # ---- model --------------------------------------------------------------------------
    def finish(self, in_shape, out_shape, in_name="input", out_name="output"):
        """Calibrates the weights, names the last node's output as the graph output, checks."""
        last = self.nodes[-1].output[0]
        self.nodes[-1].output[0] = out_name
        self.calib = [(out_name if y == last else y, *rest) for y, *rest in self.calib]
        calibrate(self, in_name, in_shape)
        m = self.to_model(in_shape, out_shape, in_name, out_name)
        onnx.checker.check_model(m, full_check=True)
        return m

    def to_model(self, in_shape, out_shape, in_name, out_name, nodes=None, extra_inputs=(),
                 extra_outputs=()):
        inits = [numpy_helper.from_array(a, n) for n, a in self.arrays.items()]
        x = [helper.make_tensor_value_info(in_name, TensorProto.FLOAT, in_shape), *extra_inputs]
        y = [helper.make_tensor_value_info(out_name, TensorProto.FLOAT, out_shape), *extra_outputs]
        g = helper.make_graph(nodes or self.nodes, self.name, x, y, inits)
        return helper.make_model(g, opset_imports=[helper.make_opsetid("", self.opset)],
                                 producer_name="tandem-make_models", ir_version=IR_FOR_OPSET[self.opset])


def calibrate(net, in_name, in_shape):
    """Rescales each calibrated layer, in topological order, so that on a random input its output
    channel c has E[y_c^2] ~= target[c] (one per-tensor factor when the output has no spatial
    extent). A Mul by a fed-in scale after each such layer lets one onnxruntime session do it;
    the scales are then folded into the weights and biases."""
    import onnxruntime as ort
    nodes, feeds_info, fetches = [], [], []
    scale_of = {}
    for nd in net.nodes:
        nd2 = onnx.NodeProto()
        nd2.CopyFrom(nd)
        nodes.append(nd2)
        for y, _, _, _, target in net.calib:
            if y in nd.output:
                raw, s = y + "__raw", y + "__scale"
                nd2.output[list(nd.output).index(y)] = raw
                nodes.append(helper.make_node("Mul", [raw, s], [y]))
                feeds_info.append(helper.make_tensor_value_info(s, TensorProto.FLOAT, None))
                fetches.append(helper.make_tensor_value_info(raw, TensorProto.FLOAT, None))
                scale_of[y] = (s, raw)
    out_name = net.nodes[-1].output[0]
    m = net.to_model(["N", 3, "H", "W"], None, in_name, out_name, nodes, feeds_info, fetches)
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    so.log_severity_level = 3
    sess = ort.InferenceSession(m.SerializeToString(), so, providers=["CPUExecutionProvider"])
    x = np.random.default_rng(12345).standard_normal((1, 3, 224, 224)).astype(np.float32)
    feeds = {in_name: x}
    ranks = {}
    for y, _, _, _, target in net.calib:
        feeds[scale_of[y][0]] = np.ones((1,), np.float32)
    for y, wn, axis, bn, target in net.calib:
        s, raw = scale_of[y]
        (r,) = sess.run([raw], feeds)
        r = r.astype(np.float64)
        if r.ndim == 4 and r.shape[2] * r.shape[3] > 1:
            m2 = np.mean(r ** 2, axis=(0, 2, 3))
        else:
            m2 = np.full(r.shape[1], np.mean(r ** 2))
        scale = np.sqrt(target / np.maximum(m2, 1e-12))
        # A channel that is nearly dead on this input must not get a huge gain: it would blow up
        # on other inputs.
        med = np.median(scale)
        scale = np.clip(scale, med / 3, med * 3)
        feeds[s] = scale.reshape((-1,) + (1,) * (r.ndim - 2)).astype(np.float32)
        ranks[y] = scale
    for y, wn, axis, bn, target in net.calib:
        scale = ranks[y]
        shape = [1] * net.arrays[wn].ndim
        shape[axis] = -1
        net.arrays[wn] = (net.arrays[wn] * scale.reshape(shape)).astype(np.float32)
        if bn is not None:
            net.arrays[bn] = (net.arrays[bn] * scale).astype(np.float32)


def flatten(net, x):
    return net.node("Flatten", [x], axis=1)


# ---- the models ---------------------------------------------------------------------------
def mobilenet_v1():
    n = Net("mobilenet_v1", 9, seed=101)
    x = n.conv_bn("input", 3, 32, 3, 2, act="relu6")
    cfg = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2)] + [(512, 1)] * 5 + [(1024, 2), (1024, 1)]
    c = 32
    for cout, s in cfg:
        x = n.conv_bn(x, c, c, 3, s, group=c, act="relu6")
        x = n.conv_bn(x, c, cout, 1, act="relu6")
        c = cout
    x = n.node("AveragePool", [x], kernel_shape=[7, 7], strides=[1, 1])
    x = n.conv(x, 1024, 1000, 1, target=np.full(1000, 4.0), bias=True)
    n.node("Squeeze", [x], axes=[2, 3])
    return n.finish(["N", 3, 224, 224], ["N", 1000])


def mobilenet_v2(name="mobilenet_v2"):
    n = Net(name, 13, seed=202)
    x = n.conv_bn("input", 3, 32, 3, 2, act="relu6")
    c = 32
    for t, cout, reps, s in [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2),
                             (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]:
        for i in range(reps):
            stride = s if i == 0 else 1
            h = x
            hidden = c * t
            if t != 1:
                h = n.conv_bn(h, c, hidden, 1, act="relu6")
            h = n.conv_bn(h, hidden, hidden, 3, stride, group=hidden, act="relu6")
            h = n.conv_bn(h, hidden, cout, 1)
            x = n.add(x, h) if stride == 1 and c == cout else h
            c = cout
    x = n.conv_bn(x, c, 1280, 1, act="relu6")
    x = flatten(n, n.gap(x))
    n.gemm(x, 1280, 1000, trans_b=True)
    return n.finish(["N", 3, 224, 224], ["N", 1000])


def resnet18():
    n = Net("resnet18", 11, seed=303)
    x = n.conv_bn("input", 3, 64, 7, 2, act="relu")
    x = n.node("MaxPool", [x], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])
    c = 64
    for cout, s in [(64, 1), (128, 2), (256, 2), (512, 2)]:
        for i in range(2):
            stride = s if i == 0 else 1
            h = n.conv_bn(x, c, cout, 3, stride, act="relu")
            h = n.conv_bn(h, cout, cout, 3)
            sc = n.conv_bn(x, c, cout, 1, stride) if (stride != 1 or c != cout) else x
            x = n.activation(n.add(h, sc), "relu")
            c = cout
    x = flatten(n, n.gap(x))
    n.gemm(x, 512, 1000)
    return n.finish(["N", 3, 224, 224], ["N", 1000])


def dense_style():
    """Like torchvision's DenseNet: each layer reads the concat of all features before it (BN +
    ReLU first), growth 12 then 16 (channel counts not all multiples of 8), a transition between
    the blocks, and one concat also read by a plain Relu (so it cannot be a view of the next)."""
    n = Net("dense_style", 13, seed=808)

    def bn_relu(x, c):
        ins = [x] + [n.init(f"{n.uniq('bn')}.{s}", a.astype(np.float32))
                     for s, a in (("scale", n.rng.uniform(0.5, 1.5, c)), ("bias", n.rng.normal(0, 0.1, c)),
                                  ("mean", n.rng.normal(0, 0.1, c)), ("var", n.rng.uniform(0.5, 1.5, c)))]
        return n.node("Relu", [n.node("BatchNormalization", ins, epsilon=BN_EPS)])

    x = n.conv_bn("input", 3, 16, 3, 2, act="relu")
    x = n.node("MaxPool", [x], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])
    feats, c, side, side_c = [x], 16, None, 0
    for block, growth, layers in ((0, 12, 4), (1, 16, 3)):
        for i in range(layers):
            cat = n.node("Concat", feats, axis=1) if len(feats) > 1 else feats[0]
            if block == 1 and i == 1:
                side, side_c = n.gap(n.node("Relu", [cat])), c
            y = n.conv(bn_relu(cat, c), c, 4 * growth, 1)
            feats.append(n.conv(bn_relu(y, 4 * growth), 4 * growth, growth, 3))
            c += growth
        x = n.node("Concat", feats, axis=1)
        if block == 0:
            x = n.conv(bn_relu(x, c), c, c // 2, 1)
            feats, c = [n.node("AveragePool", [x], kernel_shape=[2, 2], strides=[2, 2])], c // 2
    x = n.node("Concat", [n.gap(bn_relu(x, c)), side], axis=1)
    n.gemm(flatten(n, x), c + side_c, 100)
    return n.finish(["N", 3, 224, 224], ["N", 100])


def make_divisible(v, d=8):
    nv = max(d, int(v + d / 2) // d * d)
    return nv + d if nv < 0.9 * v else nv


def mobilenet_v3():
    """MobileNetV3-Large (Howard et al. 2019, table 1)."""
    n = Net("mobilenet_v3", 17, seed=404)
    x = n.conv_bn("input", 3, 16, 3, 2, act="hswish")
    cfg = [  # k, expanded, out, se, activation, stride
        (3, 16, 16, False, "relu", 1), (3, 64, 24, False, "relu", 2), (3, 72, 24, False, "relu", 1),
        (5, 72, 40, True, "relu", 2), (5, 120, 40, True, "relu", 1), (5, 120, 40, True, "relu", 1),
        (3, 240, 80, False, "hs", 2), (3, 200, 80, False, "hs", 1), (3, 184, 80, False, "hs", 1),
        (3, 184, 80, False, "hs", 1), (3, 480, 112, True, "hs", 1), (3, 672, 112, True, "hs", 1),
        (5, 672, 160, True, "hs", 2), (5, 960, 160, True, "hs", 1), (5, 960, 160, True, "hs", 1)]
    c = 16
    for i, (k, exp, cout, use_se, act, s) in enumerate(cfg):
        # Half the HardSwish blocks use the op, half the decomposed form older exporters write.
        a = "relu" if act == "relu" else ("hswish" if i % 2 == 0 else "hswish_decomposed")
        h = x
        if exp != c:
            h = n.conv_bn(h, c, exp, 1, act=a)
        h = n.conv_bn(h, exp, exp, k, s, group=exp, act=a)
        if use_se:
            h = n.se(h, exp, make_divisible(exp // 4))
        h = n.conv_bn(h, exp, cout, 1)
        x = n.add(x, h) if s == 1 and c == cout else h
        c = cout
    x = n.conv_bn(x, c, 960, 1, act="hswish_decomposed")
    x = flatten(n, n.gap(x))
    x = n.gemm(x, 960, 1280, target=1.0, trans_b=True)
    x = n.activation(x, "hswish")
    n.matmul_add(x, 1280, 1000, prefix="classifier")
    return n.finish(["N", 3, 224, 224], ["N", 1000])


def paddle_style():
    """Like a paddle2onnx export: opset 9, open N/H/W, dotted names, shape subgraph before fc."""
    n = Net("paddle_style", 9, seed=505, naming="paddle")
    x = n.conv_bn("image", 3, 16, 3, 2, act="relu")           # /2
    x = n.conv_bn(x, 16, 16, 3, 1, group=16, act="relu")
    x = n.conv_bn(x, 16, 32, 1, act="relu")
    x4 = n.conv_bn(x, 32, 32, 3, 2, act="relu")                        # /4
    x8 = n.conv_bn(x4, 32, 64, 3, 2, act="relu")                       # /8
    scales = n.init("upsample_scales", np.array([1, 1, 2, 2], np.float32))
    up = n.node("Upsample", [x8, scales], name=n.uniq("nearest_interp"), mode="nearest")
    x = n.node("Concat", [x4, up], name=n.uniq("concat"), axis=1)
    x = n.conv_bn(x, 96, 64, 1, act="relu")
    x = n.node("MaxPool", [x], name=n.uniq("pool2d"), kernel_shape=[2, 2], strides=[2, 2])
    x = n.conv_bn(x, 64, 128, 3, 2, act="relu")
    g = n.gap(x)
    # paddle.reshape(x, [x.shape[0], -1]) exports as this subgraph.
    shape = n.node("Shape", [g], name=n.uniq("shape"))
    zero = n.init("gather_index_0", np.array(0, np.int64))
    batch = n.node("Gather", [shape, zero], name=n.uniq("gather"), axis=0)
    batch1 = n.node("Unsqueeze", [batch], name=n.uniq("unsqueeze2"), axes=[0])
    minus1 = n.node("Constant", [], name=n.uniq("fill_constant"),
                    value=numpy_helper.from_array(np.array([-1], np.int64), "v"))
    new_shape = n.node("Concat", [batch1, minus1], name=n.uniq("concat"), axis=0)
    x = n.node("Reshape", [g, new_shape], name=n.uniq("reshape2"))
    x = n.matmul_add(x, 128, 100, target=4.0, prefix="fc_0")
    n.node("Softmax", [x], name=n.uniq("softmax"), axis=1)
    return n.finish(["N", 3, "H", "W"], ["N", 100], in_name="image",
                   out_name="save_infer_model/scale_0.tmp_0")


def pytorch_style():
    """Like torch.onnx.export of an eval-mode net: BN folded into Conv bias, Constant nodes."""
    n = Net("pytorch_style", 17, seed=606, naming="torch")
    x = "input"

    def conv_relu6(x, cin, cout, k, s=1, group=1, idx=0, act=True):
        y = n.conv(x, cin, cout, k, s, group, target=np.ones(cout), bias=True,
                   wname=f"features.{idx}.0.weight", name=f"features/features.{idx}/features.{idx}.0/Conv")
        return n.relu6(y) if act else y

    x = conv_relu6(x, 3, 32, 3, 2, idx=0)
    x = conv_relu6(x, 32, 32, 3, 1, group=32, idx=1)
    x = conv_relu6(x, 32, 64, 1, idx=2)
    x = conv_relu6(x, 64, 64, 3, 2, group=64, idx=3)
    x = conv_relu6(x, 64, 128, 1, idx=4)
    h = conv_relu6(x, 128, 128, 3, 1, group=128, idx=5)
    h = conv_relu6(h, 128, 128, 1, idx=6, act=False)
    x = n.add(x, h)
    x = n.node("Identity", [x], name=n.uniq("Identity"))
    x = conv_relu6(x, 128, 256, 3, 2, idx=7)
    x = flatten(n, n.gap(x))
    ratio = n.node("Constant", [], name=n.uniq("Constant"),
                   value=numpy_helper.from_array(np.array(0.2, np.float32), "r"))
    x = n.node("Dropout", [x, ratio], name="classifier/classifier.0/Dropout")
    n.gemm(x, 256, 1000, trans_b=True, wname="classifier.1.weight", name="classifier/classifier.1/Gemm")
    return n.finish(["batch_size", 3, 224, 224], ["batch_size", 1000])


def vit_style():
    """Like torch.onnx.export (opset 17) of a tiny ViT: GELU and Mish written out, 3-D tokens."""
    n = Net("vit_style", 17, seed=707, naming="torch")
    c, hidden = 64, 128

    def const(v, dtype=np.float32):
        return n.node("Constant", [], name=n.uniq("Constant"), value=numpy_helper.from_array(np.array(v, dtype), "value"))

    def linear(x, cin, cout, name):  # MatMul + Add on [N, T, C], not calibrated (3-D)
        w = n.init(f"{name}.weight", (n.rng.standard_normal((cin, cout)) / np.sqrt(cin)).astype(np.float32))
        b = n.init(f"{name}.bias", (n.rng.standard_normal(cout) * 0.1).astype(np.float32))
        return n.node("Add", [n.node("MatMul", [x, w], name=f"{name}/MatMul"), b], name=f"{name}/Add")

    def gelu_erf(x):  # torch: Mul(Mul(x, Add(Erf(Div(x, sqrt 2)), 1)), 0.5)
        e = n.node("Erf", [n.node("Div", [x, const(1.4142135381698608)])])
        return n.node("Mul", [n.node("Mul", [x, n.node("Add", [e, const(1.0)])]), const(0.5)])

    def gelu_tanh(x):  # torch approximate="tanh"
        cube = n.node("Mul", [x, n.node("Mul", [x, x])])
        inner = n.node("Mul", [const(0.7978845608028654), n.node("Add", [x, n.node("Mul", [const(0.044715), cube])])])
        p = n.node("Add", [const(1.0), n.node("Tanh", [inner])])
        return n.node("Mul", [const(0.5), n.node("Mul", [x, p])])

    x = n.conv("input", 3, c, 16, 16, bias=True, name="patch_embed/proj/Conv")  # [N, 64, 15, 15] (pads 8)
    # x.reshape(x.shape[0], C, -1) with the batch dim clamped and checked, as exporters write it.
    batch = n.node("Gather", [n.node("Shape", [x]), const(0, np.int64)], axis=0)
    batch = n.node("Max", [batch, const(1, np.int64)])
    shape = n.node("Concat", [n.node("Unsqueeze", [batch, const([0], np.int64)]), const([c, -1], np.int64)], axis=0)
    shape = n.node("Where", [n.node("Equal", [shape, const([0, 0, 0], np.int64)]), const([1, 1, 1], np.int64), shape])
    t = n.node("Transpose", [n.node("Reshape", [x, shape])], perm=[0, 2, 1])  # [N, 225, 64]
    t = n.add(t, linear(gelu_erf(linear(t, c, hidden, "blocks.0.mlp.fc1")), hidden, c, "blocks.0.mlp.fc2"))
    t = n.add(t, linear(gelu_tanh(linear(t, c, hidden, "blocks.1.mlp.fc1")), hidden, c, "blocks.1.mlp.fc2"))
    t = n.node("Mul", [t, n.node("Tanh", [n.node("Softplus", [t])])])  # Mish
    sq = n.node("Sqrt", [n.node("Add", [n.node("Abs", [t]), const(1.0)])])
    t = n.node("Max", [t, n.node("Mul", [n.node("Pow", [t, const(2.0)]), const(-0.25)]), const(-1.5)])
    t = n.node("Mean", [t, n.node("Min", [sq, n.node("Exp", [t])])])
    t = n.node("Reshape", [n.node("Transpose", [t], perm=[0, 2, 1]), const([0, c, 15, 15], np.int64)])
    x = flatten(n, n.gap(t))
    x = n.gemm(x, c, 256, target=1.0, trans_b=True, name="head/fc/Gemm")
    x = gelu_erf(x)
    n.gemm(x, 256, 1000, trans_b=True, name="head/out/Gemm")
    return n.finish(["batch_size", 3, 224, 224], ["batch_size", 1000])


def unsupported_op():
    nodes = [helper.make_node("Relu", ["x"], ["r"], name="relu_0"),
             helper.make_node("Det", ["r"], ["y"], name="det_0")]
    g = helper.make_graph(nodes, "unsupported_op",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3, 4, 4])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 3])])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)], ir_version=IR_FOR_OPSET[13],
                          producer_name="tandem-make_models")
    onnx.checker.check_model(m, full_check=True)
    return m


def two_heads():
    rng = np.random.default_rng(7)
    w = numpy_helper.from_array((rng.standard_normal((4, 3, 3, 3)) * 0.3).astype(np.float32), "w")
    fc = numpy_helper.from_array((rng.standard_normal((5, 4)) * 0.5).astype(np.float32), "fc")
    nodes = [helper.make_node("Conv", ["x", "w"], ["features"], name="conv_0", pads=[1, 1, 1, 1]),
             helper.make_node("GlobalAveragePool", ["features"], ["pooled"], name="gap_0"),
             helper.make_node("Flatten", ["pooled"], ["flat"], name="flatten_0"),
             helper.make_node("Gemm", ["flat", "fc"], ["logits"], name="fc_0", transB=1)]
    g = helper.make_graph(nodes, "two_heads",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3, 8, 8])],
                          [helper.make_tensor_value_info("features", TensorProto.FLOAT, ["N", 4, 8, 8]),
                           helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 5])], [w, fc])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)], ir_version=IR_FOR_OPSET[13],
                          producer_name="tandem-make_models")
    onnx.checker.check_model(m, full_check=True)
    return m


def detection_head():
    """An SSD-like head: conv features -> per-cell boxes (centre form, from an anchor grid) and
    class scores -> NonMaxSuppression -> the selected boxes (GatherND). The selected rows depend on
    the data; boxes and scores both cross into the NMS (a split, not a one-tensor cut)."""
    rng = np.random.default_rng(13)
    side, classes = 8, 3
    cells = side * side
    inits = []

    def init(name, arr):
        inits.append(numpy_helper.from_array(np.asarray(arr), name))
        return name

    init("w1", (rng.standard_normal((8, 3, 3, 3)) * 0.4).astype(np.float32))
    init("wb", (rng.standard_normal((4, 8, 1, 1)) * 0.3).astype(np.float32))
    init("ws", (rng.standard_normal((classes, 8, 1, 1)) * 0.6).astype(np.float32))
    yy, xx = np.meshgrid(np.arange(side) + 0.5, np.arange(side) + 0.5, indexing="ij")
    init("anchors", np.stack([xx.ravel(), yy.ravel()], 1)[None].astype(np.float32))  # [1, cells, 2]
    init("box_shape", np.array([0, 4, cells], np.int64))
    init("score_shape", np.array([0, classes, cells], np.int64))
    for name, v in (("s0", 0), ("s2", 2), ("s4", 4), ("axis2", 2)):
        init(name, np.array([v], np.int64))
    init("size_scale", np.array(3.0, np.float32))
    init("max_out", np.array([20], np.int64))
    init("iou", np.array([0.4], np.float32))
    init("score_thr", np.array([0.55], np.float32))
    init("pick", np.array([0, 2], np.int64))
    N = helper.make_node
    nodes = [
        N("Conv", ["x", "w1"], ["f0"], name="conv_0", pads=[1, 1, 1, 1], strides=[2, 2]),
        N("Relu", ["f0"], ["f"], name="relu_0"),
        N("Conv", ["f", "wb"], ["bd"], name="box_conv"),
        N("Reshape", ["bd", "box_shape"], ["bd3"], name="box_reshape"),
        N("Transpose", ["bd3"], ["deltas"], name="box_transpose", perm=[0, 2, 1]),
        N("Slice", ["deltas", "s0", "s2", "axis2"], ["dxy"], name="slice_xy"),
        N("Slice", ["deltas", "s2", "s4", "axis2"], ["dwh"], name="slice_wh"),
        N("Add", ["dxy", "anchors"], ["centres"], name="add_anchor"),
        N("Exp", ["dwh"], ["ewh"], name="exp_wh"),
        N("Mul", ["ewh", "size_scale"], ["wh"], name="scale_wh"),
        N("Concat", ["centres", "wh"], ["boxes"], name="boxes_concat", axis=2),
        N("Conv", ["f", "ws"], ["sl"], name="score_conv"),
        N("Reshape", ["sl", "score_shape"], ["sl3"], name="score_reshape"),
        N("Sigmoid", ["sl3"], ["scores"], name="score_sigmoid"),
        N("NonMaxSuppression", ["boxes", "scores", "max_out", "iou", "score_thr"], ["selected"], name="nms",
          center_point_box=1),
        N("Gather", ["selected", "pick"], ["batch_box"], name="pick_cols", axis=1),
        N("GatherND", ["boxes", "batch_box"], ["selected_boxes"], name="gather_boxes"),
    ]
    g = helper.make_graph(nodes, "detection_head",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3, 2 * side, 2 * side])],
                          [helper.make_tensor_value_info("scores", TensorProto.FLOAT, ["N", classes, cells]),
                           helper.make_tensor_value_info("selected", TensorProto.INT64, ["K", 3]),
                           helper.make_tensor_value_info("selected_boxes", TensorProto.FLOAT, ["K", 4])], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)], ir_version=IR_FOR_OPSET[13],
                          producer_name="tandem-make_models")
    onnx.checker.check_model(m, full_check=True)
    return m


def seg_style(with_argmax=False):
    """A tiny segmentation net like torchvision's (open N, 32 x 32): two strided Conv + Relu, a 1x1
    classifier to 5 classes, bilinear Resize back to the input size (pytorch_half_pixel, as
    F.interpolate exports) -> [N, 5, 32, 32] logits. With ArgMax (seg_argmax): the model itself
    ends in ArgMax over the classes, twice: keepdims 0 ("classes", [N, 32, 32]) and keepdims 1 with
    select_last_index ("classes_last", [N, 1, 32, 32]), both int64."""
    rng = np.random.default_rng(31)
    inits = []

    def init(name, arr):
        inits.append(numpy_helper.from_array(np.asarray(arr), name))
        return name

    init("w1", (rng.standard_normal((8, 3, 3, 3)) * 0.4).astype(np.float32))
    init("b1", (rng.standard_normal(8) * 0.1).astype(np.float32))
    init("w2", (rng.standard_normal((16, 8, 3, 3)) * 0.25).astype(np.float32))
    init("w3", (rng.standard_normal((5, 16, 1, 1)) * 0.5).astype(np.float32))
    init("b3", (rng.standard_normal(5) * 0.2).astype(np.float32))
    init("roi", np.array([], np.float32))
    init("scales", np.array([1, 1, 4, 4], np.float32))
    N = helper.make_node
    nodes = [
        N("Conv", ["x", "w1", "b1"], ["c1"], name="conv_0", pads=[1, 1, 1, 1], strides=[2, 2]),
        N("Relu", ["c1"], ["r1"], name="relu_0"),
        N("Conv", ["r1", "w2"], ["c2"], name="conv_1", pads=[1, 1, 1, 1], strides=[2, 2]),
        N("Relu", ["c2"], ["r2"], name="relu_1"),
        N("Conv", ["r2", "w3", "b3"], ["small"], name="classifier"),
        N("Resize", ["small", "roi", "scales"], ["logits"], name="upsample", mode="linear",
          coordinate_transformation_mode="pytorch_half_pixel"),
    ]
    outputs = [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 5, 32, 32])]
    name = "seg_style"
    if with_argmax:
        name = "seg_argmax"
        nodes += [N("ArgMax", ["logits"], ["classes"], name="argmax_0", axis=1, keepdims=0),
                  N("ArgMax", ["logits"], ["classes_last"], name="argmax_1", axis=1, keepdims=1, select_last_index=1)]
        outputs = [helper.make_tensor_value_info("classes", TensorProto.INT64, ["N", 32, 32]),
                   helper.make_tensor_value_info("classes_last", TensorProto.INT64, ["N", 1, 32, 32])]
    g = helper.make_graph(nodes, name, [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3, 32, 32])],
                          outputs, inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)], ir_version=IR_FOR_OPSET[13],
                          producer_name="tandem-make_models")
    onnx.checker.check_model(m, full_check=True)
    return m


def seg_models(out_dir):
    """seg_style.onnx and seg_argmax.onnx with onnxruntime's outputs for the same inputs:
    <m>.input_b{1,3}.npy, seg_style.output_b{1,3}.npy (logits), seg_argmax.{classes,classes_last}_b{1,3}.npy."""
    import onnxruntime as ort
    for with_argmax in (False, True):
        m = seg_style(with_argmax)
        name = m.graph.name
        path = os.path.join(out_dir, f"{name}.onnx")
        onnx.save(m, path)
        sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
        for b in (1, 3):
            x = np.random.default_rng(40 + b).standard_normal((b, 3, 32, 32)).astype(np.float32)
            np.save(os.path.join(out_dir, f"{name}.input_b{b}.npy"), x)
            outs = sess.run(None, {"x": x})
            if not with_argmax:
                np.save(os.path.join(out_dir, f"{name}.output_b{b}.npy"), outs[0])
                classes = np.unique(np.argmax(outs[0], axis=1))
                if len(classes) < 3:
                    sys.exit("make_models: seg_style's class map has fewer than 3 classes: the test would be weak")
                continue
            for out_name, y in zip(("classes", "classes_last"), outs):
                np.save(os.path.join(out_dir, f"{name}.{out_name}_b{b}.npy"), y)


# ---- reference outputs ---------------------------------------------------------------------
# Tensors an fp16 engine must store (and so round): the inputs of these ops. What it fuses into
# a producer (BatchNorm, activations) is not stored.
STORED_INPUTS_OF = {"Conv", "Gemm", "MatMul", "Add", "Mul", "Concat", "AveragePool", "GlobalAveragePool", "MaxPool",
                    "Resize", "Upsample", "Softmax", "Flatten", "Reshape", "Squeeze"}


def fp16_storage_model(model):
    """The best any fp16-storage engine can do, as an ONNX model onnxruntime runs: fp32 arithmetic,
    but every float weight, and every tensor stored between fused ops (and the output), rounded to
    fp16 once (Cast to fp16 and back). The fp16 tests bound Tandem's error by this model's error:
    on randomly weighted MobileNets fp16 rounding alone moves the logits by about 1% relative L2."""
    m = onnx.shape_inference.infer_shapes(model)
    g = m.graph
    floats = {v.name for v in list(g.value_info) + list(g.input) + list(g.output)
              if v.type.tensor_type.elem_type == TensorProto.FLOAT}
    for init in g.initializer:
        a = numpy_helper.to_array(init)
        if a.dtype == np.float32:
            init.CopyFrom(numpy_helper.from_array(a.astype(np.float16).astype(np.float32), init.name))
    consts = {i.name for i in g.initializer}
    consts |= {o for n in g.node if n.op_type == "Constant" for o in n.output}
    stored = {i for n in g.node if n.op_type in STORED_INPUTS_OF for i in n.input if i and i not in consts and i in floats}
    out_names = {o.name for o in g.output}  # rounded at the end, under their own names
    rename, nodes = {}, []

    def rounded(name):
        h, r = name + "__fp16", name + "__fp16r"
        nodes.append(helper.make_node("Cast", [name], [h], to=TensorProto.FLOAT16))
        nodes.append(helper.make_node("Cast", [h], [r], to=TensorProto.FLOAT))
        rename[name] = r

    for i in g.input:
        rounded(i.name)
    for n in g.node:
        c = onnx.NodeProto()
        c.CopyFrom(n)
        for k, name in enumerate(c.input):
            if name in rename:
                c.input[k] = rename[name]
        nodes.append(c)
        for o in n.output:
            if o in stored and o not in out_names:
                rounded(o)
    for o in g.output:
        tmp = o.name + "__fp32"
        for node in nodes:
            for k, name in enumerate(node.output):
                if name == o.name:
                    node.output[k] = tmp
            for k, name in enumerate(node.input):
                if name == o.name:
                    node.input[k] = tmp
        nodes.append(helper.make_node("Cast", [tmp], [o.name + "__fp16"], to=TensorProto.FLOAT16))
        nodes.append(helper.make_node("Cast", [o.name + "__fp16"], [o.name], to=TensorProto.FLOAT))
    del g.node[:]
    g.node.extend(nodes)
    del g.value_info[:]
    return m


def reference_outputs(path, model, out_dir, seed, hw_b1=(224, 224), hw_b3=(224, 224)):
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    so.intra_op_num_threads = 2
    sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
    ideal = ort.InferenceSession(fp16_storage_model(onnx.load(path)).SerializeToString(), so,
                                 providers=["CPUExecutionProvider"])
    in_name = sess.get_inputs()[0].name
    rng = np.random.default_rng(seed)
    stem = os.path.join(out_dir, model)
    for b, (h, w) in ((1, hw_b1), (3, hw_b3)):
        x = rng.standard_normal((b, 3, h, w)).astype(np.float32)
        (y,) = sess.run(None, {in_name: x})
        (y16,) = ideal.run(None, {in_name: x})
        np.save(f"{stem}.input_b{b}.npy", x)
        np.save(f"{stem}.output_b{b}.npy", y)
        np.save(f"{stem}.fp16ideal_b{b}.npy", y16)
        check_sane(model, b, y)
        print(f"  {model} b{b}: fp16-storage emulation off by {np.linalg.norm(y16 - y) / np.linalg.norm(y):.5f} relative L2")


def check_sane(model, batch, y):
    """Logits must be finite, O(1)-O(10) and differ between images (else the test is weak)."""
    if not np.all(np.isfinite(y)):
        sys.exit(f"make_models: {model}: non-finite output")
    std, amax = float(y.std()), float(np.abs(y).max())
    spread = float(np.abs(y - y[:1]).max()) if batch > 1 else 0.0
    print(f"  {model} b{batch}: shape {list(y.shape)} std {std:.3g} max|y| {amax:.3g}"
          f" max diff between images {spread:.3g}")
    if model != "paddle_style" and not (0.1 < std < 50):
        sys.exit(f"make_models: {model}: logits std {std} is not a sane magnitude")
    if batch > 1 and spread < 1e-3:
        sys.exit(f"make_models: {model}: outputs do not depend on the input")


MODELS = [  # name, builder, input seed, (H, W) for batch 1 and batch 3
    ("mobilenet_v1", mobilenet_v1, 1, (224, 224), (224, 224)),
    ("mobilenet_v2", mobilenet_v2, 2, (224, 224), (224, 224)),
    ("resnet18", resnet18, 3, (224, 224), (224, 224)),
    ("mobilenet_v3", mobilenet_v3, 4, (224, 224), (224, 224)),
    ("paddle_style", paddle_style, 5, (224, 224), (160, 192)),  # open H/W: two sizes
    ("pytorch_style", pytorch_style, 6, (224, 224), (224, 224)),
    ("vit_style", vit_style, 7, (224, 224), (224, 224)),
    ("dense_style", dense_style, 8, (224, 224), (224, 224)),
]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True, help="directory for the .onnx and .npy files")
    ap.add_argument("--only", default="", help="comma-separated model names (default: all)")
    ap.add_argument("--no-reference", action="store_true", help="skip onnxruntime outputs")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    only = set(filter(None, a.only.split(",")))
    t0 = time.time()
    for name, build, seed, hw1, hw3 in MODELS:
        if only and name not in only:
            continue
        path = os.path.join(a.out, f"{name}.onnx")
        onnx.save(build(), path)
        print(f"make_models: {path} ({os.path.getsize(path) / 1e6:.1f} MB)")
        if not a.no_reference:
            reference_outputs(path, name, a.out, seed, hw1, hw3)
    if not only or "unsupported_op" in only:
        onnx.save(unsupported_op(), os.path.join(a.out, "unsupported_op.onnx"))
    if not only or "two_heads" in only:
        path = os.path.join(a.out, "two_heads.onnx")
        onnx.save(two_heads(), path)
        x = np.random.default_rng(11).standard_normal((3, 3, 8, 8)).astype(np.float32)
        import onnxruntime as ort
        sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
        np.save(os.path.join(a.out, "two_heads.input_b3.npy"), x)
        for name, y in zip(("features", "logits"), sess.run(None, {"x": x})):
            np.save(os.path.join(a.out, f"two_heads.{name}_b3.npy"), y)
    if not only or "detection_head" in only:
        path = os.path.join(a.out, "detection_head.onnx")
        onnx.save(detection_head(), path)
        import onnxruntime as ort
        sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
        for b in (1, 3):
            x = np.random.default_rng(20 + b).standard_normal((b, 3, 16, 16)).astype(np.float32)
            np.save(os.path.join(a.out, f"detection_head.input_b{b}.npy"), x)
            outs = sess.run(None, {"x": x})
            for name, y in zip(("scores", "selected", "selected_boxes"), outs):
                np.save(os.path.join(a.out, f"detection_head.{name}_b{b}.npy"), y)
            above = int((outs[0] > 0.55).sum())
            print(f"  detection_head b{b}: {len(outs[1])} of {above} boxes above the score threshold selected")
            if not 2 <= len(outs[1]) < above * 0.8:
                sys.exit("make_models: detection_head selects too few or all boxes: the test would be weak")
    if not only or "seg_style" in only:
        seg_models(a.out)
    print(f"make_models: done in {time.time() - t0:.1f} s")


if __name__ == "__main__":
    main()
