// Compute ops (conv, products, pools, activations, elementwise math, reductions, normalisation)
// of the op-test matrix: every case in every column (cpu; cuda fp32, tf32, fp16) against the
// reference backend (ops/op_matrix.h). A column whose backend this build or machine lacks is
// skipped with a one-line reason.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>

#include "ops/op_matrix.h"

namespace tandem {
namespace {

using optest::GraphBuilder;
using optest::reduce_attrs;
using optest::window_out;

class BackendOps : public optest::MatrixTest {};

struct ConvCase {
  int64_t n = 2, c = 8, h = 11, w = 10, oc = 16, k = 3, stride = 1, dilation = 1, group = 1;
  std::vector<int64_t> pads{1, 1, 1, 1};
  bool bias = true;
  ir::Epilogue epi;
};

Shape conv_out_shape(const ConvCase& c) {
  return {c.n, c.oc, window_out(c.h, c.k, c.stride, c.pads[0], c.pads[2], c.dilation),
          window_out(c.w, c.k, c.stride, c.pads[1], c.pads[3], c.dilation)};
}

ir::ConvAttrs conv_attrs(const ConvCase& c) {
  ir::ConvAttrs a;
  a.kernel_shape = {c.k, c.k};
  a.strides = {c.stride, c.stride};
  a.pads = c.pads;
  a.dilations = {c.dilation, c.dilation};
  a.group = c.group;
  a.epilogue = c.epi;
  return a;
}

ir::Graph conv_graph(const ConvCase& c) {
  GraphBuilder b;
  b.input("x", {c.n, c.c, c.h, c.w}).weight("w", {c.oc, c.c / c.group, c.k, c.k});
  std::vector<std::string> ins{"x", "w"};
  if (c.bias) {
    b.weight("b", {c.oc});
    ins.push_back("b");
  }
  return b.node("Conv", ins, {"y"}, conv_attrs(c), {conv_out_shape(c)}).output("y").build();
}

std::vector<ir::Epilogue> all_epilogues() {
  using K = ir::ActKind;
  return {{K::kNone},        {K::kRelu},         {K::kClip, 0.0f, 6.0f}, {K::kClip, -0.5f, 0.5f},
          {K::kHardSigmoid, 0.2f, 0.5f}, {K::kHardSwish}, {K::kSigmoid}, {K::kSiLU},
          {K::kLeakyRelu, 0.1f},         {K::kTanh},     {K::kGelu},    {K::kGeluTanh},
          {K::kSoftplus},                {K::kElu, 0.8f}, {K::kSelu, 1.6732632f, 1.0507010f}, {K::kMish}};
}

TANDEM_MATRIX_CASE(BackendOps, ConvPlain) { r.check(conv_graph({})); }
TANDEM_MATRIX_CASE(BackendOps, ConvNoBias) { r.check(conv_graph({.bias = false})); }
TANDEM_MATRIX_CASE(BackendOps, Conv1x1) { r.check(conv_graph({.c = 24, .oc = 32, .k = 1, .pads = {0, 0, 0, 0}})); }
TANDEM_MATRIX_CASE(BackendOps, ConvStrided) { r.check(conv_graph({.h = 13, .w = 12, .stride = 2})); }
TANDEM_MATRIX_CASE(BackendOps, ConvAsymmetricPads) { r.check(conv_graph({.stride = 2, .pads = {0, 1, 1, 0}})); }
TANDEM_MATRIX_CASE(BackendOps, ConvDilated) { r.check(conv_graph({.h = 14, .w = 14, .dilation = 2, .pads = {2, 2, 2, 2}})); }
TANDEM_MATRIX_CASE(BackendOps, ConvGrouped) { r.check(conv_graph({.c = 16, .oc = 32, .group = 4})); }
TANDEM_MATRIX_CASE(BackendOps, ConvDepthwise) { r.check(conv_graph({.c = 16, .oc = 16, .group = 16})); }
TANDEM_MATRIX_CASE(BackendOps, ConvDepthwiseStrided) { r.check(conv_graph({.c = 32, .h = 14, .w = 14, .oc = 32, .stride = 2, .group = 32})); }
TANDEM_MATRIX_CASE(BackendOps, ConvDepthwiseMultiplier) { r.check(conv_graph({.c = 8, .oc = 16, .group = 8})); }
TANDEM_MATRIX_CASE(BackendOps, Conv5x5) { r.check(conv_graph({.c = 3, .h = 17, .w = 17, .oc = 8, .k = 5, .stride = 2, .pads = {2, 2, 2, 2}})); }

TANDEM_MATRIX_CASE(BackendOps, ConvEachEpilogue) {
  for (const auto& e : all_epilogues()) {
    SCOPED_TRACE(ir::epilogue_to_string(e));
    r.check(conv_graph({.epi = e}));
    r.check(conv_graph({.c = 16, .oc = 16, .stride = 2, .group = 16, .epi = e}));
  }
}

// ConvTranspose, stride 2, pads 1 and output_padding 1: out = 2 * in.
ir::Graph deconv_graph(int64_t c, int64_t oc, int64_t group, int64_t stride, int64_t out_pad, ir::Epilogue epi = {}) {
  const int64_t h = 6, w = 5, k = 3;
  ir::ConvTransposeAttrs a;
  a.kernel_shape = {k, k};
  a.strides = {stride, stride};
  a.pads = {1, 1, 1, 1};
  a.dilations = {1, 1};
  a.output_padding = {out_pad, out_pad};
  a.group = group;
  a.epilogue = epi;
  auto out = [&](int64_t in) { return stride * (in - 1) + out_pad + k - 2; };
  return GraphBuilder()
      .input("x", {2, c, h, w})
      .weight("w", {c, oc / group, k, k})
      .weight("b", {oc})
      .node("ConvTranspose", {"x", "w", "b"}, {"y"}, a, {{2, oc, out(h), out(w)}})
      .output("y")
      .build();
}

TANDEM_MATRIX_CASE(BackendOps, ConvTransposeStride2) { r.check(deconv_graph(8, 4, 1, 2, 1)); }
TANDEM_MATRIX_CASE(BackendOps, ConvTransposeStride1) { r.check(deconv_graph(4, 6, 1, 1, 0)); }
TANDEM_MATRIX_CASE(BackendOps, ConvTransposeGrouped) { r.check(deconv_graph(8, 4, 2, 2, 1, {ir::ActKind::kRelu})); }

ir::Graph gemm_graph(int64_t m, int64_t k, int64_t n, ir::GemmAttrs a, Shape c_shape, bool const_b = true) {
  GraphBuilder b;
  b.input("a", a.trans_a ? Shape{k, m} : Shape{m, k});
  const Shape bs = a.trans_b ? Shape{n, k} : Shape{k, n};
  if (const_b) b.weight("b", bs); else b.input("b", bs);
  std::vector<std::string> ins{"a", "b"};
  if (!c_shape.empty() || a.beta == 0.5f) {
    b.weight("c", c_shape);
    ins.push_back("c");
  }
  return b.node("Gemm", ins, {"y"}, a, {{m, n}}).output("y").build();
}

TANDEM_MATRIX_CASE(BackendOps, GemmTransBBias) { r.check(gemm_graph(4, 32, 10, {.trans_b = true}, {10})); }
TANDEM_MATRIX_CASE(BackendOps, GemmNoBias) { r.check(gemm_graph(3, 16, 7, {}, {})); }
TANDEM_MATRIX_CASE(BackendOps, GemmTransAAlphaBeta) { r.check(gemm_graph(5, 12, 6, {.alpha = 0.5f, .beta = 2.0f, .trans_a = true}, {5, 6})); }
TANDEM_MATRIX_CASE(BackendOps, GemmColumnBiasRelu) {
  r.check(gemm_graph(5, 12, 6, {.trans_b = true, .epilogue = {ir::ActKind::kRelu}}, {5, 1}));
}
TANDEM_MATRIX_CASE(BackendOps, GemmEachEpilogue) {
  for (const auto& e : all_epilogues()) {
    SCOPED_TRACE(ir::epilogue_to_string(e));
    r.check(gemm_graph(4, 32, 10, {.trans_b = true, .epilogue = e}, {10}));
  }
}
TANDEM_MATRIX_CASE(BackendOps, GemmScalarBias) { r.check(gemm_graph(2, 8, 3, {}, {1})); }
TANDEM_MATRIX_CASE(BackendOps, GemmRuntimeB) { r.check(gemm_graph(4, 9, 5, {.trans_b = true}, {5}, false)); }

ir::Graph matmul_graph(const Shape& a, const Shape& bsh, const Shape& out, bool const_b) {
  GraphBuilder b;
  b.input("a", a);
  if (const_b) b.weight("b", bsh); else b.input("b", bsh);
  return b.node("MatMul", {"a", "b"}, {"y"}, ir::MatMulAttrs{}, {out}).output("y").build();
}

TANDEM_MATRIX_CASE(BackendOps, MatMul2D) { r.check(matmul_graph({6, 8}, {8, 5}, {6, 5}, true)); }
TANDEM_MATRIX_CASE(BackendOps, MatMulBatched) { r.check(matmul_graph({2, 3, 4, 5}, {2, 3, 5, 6}, {2, 3, 4, 6}, false)); }
TANDEM_MATRIX_CASE(BackendOps, MatMulBroadcastWeights) { r.check(matmul_graph({2, 3, 4, 5}, {5, 6}, {2, 3, 4, 6}, true)); }
TANDEM_MATRIX_CASE(BackendOps, MatMulBroadcastBatch) { r.check(matmul_graph({1, 4, 5}, {3, 5, 6}, {3, 4, 6}, false)); }

ir::Graph binary_graph(ir::BinaryOp op, const Shape& a, const Shape& b, const Shape& out, bool b_const = false) {
  static const char* kNames[] = {"Add", "Sub", "Mul", "Div"};
  GraphBuilder g;
  g.input("a", a);
  if (b_const) g.weight("b", b, 0.5f, 1.5f); else g.input("b", b);
  return g.node(kNames[static_cast<int>(op)], {"a", "b"}, {"y"}, ir::BinaryAttrs{op}, {out}).output("y").build();
}

TANDEM_MATRIX_CASE(BackendOps, BinaryEachOpEachBroadcast) {
  using ir::BinaryOp;
  const Shape full{2, 8, 5, 6};
  struct Pattern { Shape b; bool b_const; };
  const std::vector<Pattern> patterns = {
      {{2, 8, 5, 6}, false},  // same shape
      {{2, 8, 1, 1}, false},  // SE scaling: per (n, c)
      {{8, 1, 1}, true},      // per channel, lower rank
      {{6}, true},            // last dim
      {{1}, true},            // scalar-like
      {{}, true},             // rank-0 scalar
      {{1, 1, 5, 1}, false},  // per row
  };
  for (BinaryOp op : {BinaryOp::kAdd, BinaryOp::kSub, BinaryOp::kMul, BinaryOp::kDiv}) {
    for (const auto& p : patterns) {
      SCOPED_TRACE(std::to_string(static_cast<int>(op)) + " " + shape_to_string(p.b));
      // Divisors in [0.5, 1.5] when constant; runtime divisors are in [-1, 1] but never exactly 0.
      r.check(binary_graph(op, full, p.b, full, p.b_const || op == BinaryOp::kDiv));
    }
  }
}

TANDEM_MATRIX_CASE(BackendOps, BinaryFirstInputBroadcasts) {
  using ir::BinaryOp;
  for (BinaryOp op : {BinaryOp::kAdd, BinaryOp::kSub, BinaryOp::kMul}) {
    SCOPED_TRACE(static_cast<int>(op));
    r.check(binary_graph(op, {2, 8, 1, 1}, {2, 8, 5, 6}, {2, 8, 5, 6}));
    r.check(binary_graph(op, {8, 1, 1}, {2, 8, 5, 6}, {2, 8, 5, 6}));
  }
}

// The squeeze-excitation block: x * hardsigmoid(conv(relu(conv(gap(x))))), x in a conv's layout.
TANDEM_MATRIX_CASE(BackendOps, SqueezeExcitation) {
  const int64_t c = 16, mid = 4;
  ir::ConvAttrs pw;
  pw.kernel_shape = {1, 1}, pw.strides = {1, 1}, pw.pads = {0, 0, 0, 0}, pw.dilations = {1, 1};
  ir::ConvAttrs pw_relu = pw, pw_hsig = pw, dw = pw;
  pw_relu.epilogue = {ir::ActKind::kRelu};
  pw_hsig.epilogue = {ir::ActKind::kHardSigmoid, 1.0f / 6.0f, 0.5f};
  dw.kernel_shape = {3, 3}, dw.pads = {1, 1, 1, 1}, dw.group = c;
  r.check(GraphBuilder()
            .input("x", {2, c, 7, 7})
            .weight("wd", {c, 1, 3, 3}).weight("bd", {c})
            .weight("w1", {mid, c, 1, 1}).weight("b1", {mid})
            .weight("w2", {c, mid, 1, 1}).weight("b2", {c})
            .node("Conv", {"x", "wd", "bd"}, {"t"}, dw, {{2, c, 7, 7}})
            .node("GlobalAveragePool", {"t"}, {"s0"}, ir::GlobalPoolAttrs{}, {{2, c, 1, 1}})
            .node("Conv", {"s0", "w1", "b1"}, {"s1"}, pw_relu, {{2, mid, 1, 1}})
            .node("Conv", {"s1", "w2", "b2"}, {"s2"}, pw_hsig, {{2, c, 1, 1}})
            .node("Mul", {"t", "s2"}, {"y"}, ir::BinaryAttrs{ir::BinaryOp::kMul}, {{2, c, 7, 7}})
            .output("y")
            .build());
}

ir::Graph pool_graph(ir::PoolKind kind, int64_t h, int64_t w, int64_t k, int64_t s, std::vector<int64_t> pads, int64_t d,
                     bool ceil, bool include_pad) {
  ir::PoolAttrs a;
  a.kind = kind;
  a.kernel_shape = {k, k};
  a.strides = {s, s};
  a.pads = pads;
  a.dilations = {d, d};
  a.ceil_mode = ceil;
  a.count_include_pad = include_pad;
  const Shape out{2, 6, window_out(h, k, s, pads[0], pads[2], d, ceil), window_out(w, k, s, pads[1], pads[3], d, ceil)};
  return GraphBuilder()
      .input("x", {2, 6, h, w})
      .node(kind == ir::PoolKind::kMax ? "MaxPool" : "AveragePool", {"x"}, {"y"}, a, {out})
      .output("y")
      .build();
}

TANDEM_MATRIX_CASE(BackendOps, MaxPool) {
  using ir::PoolKind;
  r.check(pool_graph(PoolKind::kMax, 12, 11, 3, 2, {1, 1, 1, 1}, 1, false, false));
  r.check(pool_graph(PoolKind::kMax, 12, 11, 2, 2, {0, 0, 0, 0}, 1, false, false));
  r.check(pool_graph(PoolKind::kMax, 12, 11, 3, 2, {0, 0, 0, 0}, 1, true, false));   // ceil_mode
  r.check(pool_graph(PoolKind::kMax, 13, 13, 3, 1, {2, 2, 2, 2}, 2, false, false));  // dilation
  r.check(pool_graph(PoolKind::kMax, 10, 10, 3, 2, {1, 0, 1, 0}, 1, true, false));
}

TANDEM_MATRIX_CASE(BackendOps, AveragePool) {
  using ir::PoolKind;
  r.check(pool_graph(PoolKind::kAverage, 12, 11, 3, 2, {1, 1, 1, 1}, 1, false, false));  // exclude pad
  r.check(pool_graph(PoolKind::kAverage, 12, 11, 3, 2, {1, 1, 1, 1}, 1, false, true));   // include pad
  r.check(pool_graph(PoolKind::kAverage, 12, 11, 3, 2, {0, 0, 0, 0}, 1, true, false));   // ceil_mode
  r.check(pool_graph(PoolKind::kAverage, 12, 12, 2, 2, {0, 0, 0, 0}, 1, false, false));
}

TANDEM_MATRIX_CASE(BackendOps, GlobalPools) {
  for (auto kind : {ir::PoolKind::kAverage, ir::PoolKind::kMax}) {
    r.check(GraphBuilder()
              .input("x", {3, 5, 7, 6})
              .node(kind == ir::PoolKind::kMax ? "GlobalMaxPool" : "GlobalAveragePool", {"x"}, {"y"},
                    ir::GlobalPoolAttrs{kind}, {{3, 5, 1, 1}})
              .output("y")
              .build());
  }
}

TANDEM_MATRIX_CASE(BackendOps, Activations) {
  const std::pair<const char*, ir::Epilogue> cases[] = {
      {"Relu", {ir::ActKind::kRelu}},           {"Clip", {ir::ActKind::kClip, -0.3f, 0.4f}},
      {"Sigmoid", {ir::ActKind::kSigmoid}},     {"HardSigmoid", {ir::ActKind::kHardSigmoid, 0.2f, 0.5f}},
      {"HardSwish", {ir::ActKind::kHardSwish}}, {"LeakyRelu", {ir::ActKind::kLeakyRelu, 0.01f}},
      {"Tanh", {ir::ActKind::kTanh}},           {"Gelu", {ir::ActKind::kGelu}},
      {"Gelu", {ir::ActKind::kGeluTanh}},       {"Softplus", {ir::ActKind::kSoftplus}},
      {"Elu", {ir::ActKind::kElu, 1.0f}},       {"Selu", {ir::ActKind::kSelu, 1.6732632f, 1.0507010f}},
      {"Mish", {ir::ActKind::kMish}}};
  for (const auto& [op, e] : cases) {
    SCOPED_TRACE(op);
    // Inputs in [-1, 1]; scale up through a Mul so HardSwish/HardSigmoid/Clip see their kinks.
    r.check(GraphBuilder()
              .input("x", {2, 3, 4, 5})
              .constant("k", Tensor::from_vector<float>({1}, DType::kFloat32, {4.0f}))
              .node("Mul", {"x", "k"}, {"x4"}, ir::BinaryAttrs{ir::BinaryOp::kMul}, {{2, 3, 4, 5}})
              .node(op, {"x4"}, {"y"}, ir::ActivationAttrs{e}, {{2, 3, 4, 5}})
              .output("y")
              .build());
  }
}

TANDEM_MATRIX_CASE(BackendOps, Softmax) {
  auto g = [](Shape s, int64_t axis, bool coerce) {
    return GraphBuilder().input("x", s).node("Softmax", {"x"}, {"y"}, ir::SoftmaxAttrs{axis, coerce}, {s}).output("y").build();
  };
  r.check(g({4, 10}, -1, false));
  r.check(g({2, 5, 3, 4}, 1, false));
  r.check(g({2, 5, 3, 4}, 3, false));
  r.check(g({2, 3, 4}, 1, true));  // opset < 13: softmax over the flattened [3 * 4]
}

TANDEM_MATRIX_CASE(BackendOps, ConcatAxis1) {
  r.check(GraphBuilder()
            .input("a", {2, 3, 4, 5}).input("b", {2, 5, 4, 5}).weight("c", {2, 1, 4, 5})
            .node("Concat", {"a", "b", "c"}, {"y"}, ir::ConcatAttrs{1}, {{2, 9, 4, 5}})
            .output("y")
            .build());
  r.check(GraphBuilder()
            .input("a", {3, 4}).input("b", {3, 2})
            .node("Concat", {"a", "b"}, {"y"}, ir::ConcatAttrs{-1}, {{3, 6}})
            .output("y")
            .build());
}

// Channel runs of 8, 4, 2 and 3 (fp16 NHWC on cuda: 16-, 8-, 4- and 2-byte words at offsets 0,
// 8, 12, 14) and a transposed copy: every word width of the strided copy.
TANDEM_MATRIX_CASE(BackendOps, ConcatOfEveryRunWidth) {
  r.check(GraphBuilder()
            .input("a", {2, 8, 5, 7}).input("b", {2, 4, 5, 7}).input("c", {2, 2, 5, 7}).input("d", {2, 3, 5, 7})
            .node("Concat", {"a", "b", "c", "d"}, {"y"}, ir::ConcatAttrs{1}, {{2, 17, 5, 7}})
            .node("Transpose", {"y"}, {"t"}, ir::TransposeAttrs{{0, 2, 3, 1}}, {{2, 5, 7, 17}})
            .output("y").output("t")
            .build());
}

// Concat of two convs' outputs (oneDNN-chosen layouts) then another conv.
TANDEM_MATRIX_CASE(BackendOps, ConcatOfConvs) {
  ConvCase c1{.c = 8, .h = 9, .w = 9, .oc = 16}, c2{.c = 8, .h = 9, .w = 9, .oc = 8, .k = 1, .pads = {0, 0, 0, 0}};
  ConvCase c3{.c = 24, .h = 9, .w = 9, .oc = 8};
  r.check(GraphBuilder()
            .input("x", {2, 8, 9, 9})
            .weight("w1", {16, 8, 3, 3}).weight("w2", {8, 8, 1, 1}).weight("w3", {8, 24, 3, 3})
            .node("Conv", {"x", "w1"}, {"a"}, conv_attrs(c1), {{2, 16, 9, 9}})
            .node("Conv", {"x", "w2"}, {"b"}, conv_attrs(c2), {{2, 8, 9, 9}})
            .node("Concat", {"a", "b"}, {"ab"}, ir::ConcatAttrs{1}, {{2, 24, 9, 9}})
            .node("Conv", {"ab", "w3"}, {"y"}, conv_attrs(c3), {{2, 8, 9, 9}})
            .output("y")
            .build());
}

TANDEM_MATRIX_CASE(BackendOps, TransposePerms) {
  const Shape in{2, 3, 4, 5};
  for (const std::vector<int64_t>& perm : {std::vector<int64_t>{0, 2, 3, 1}, {3, 1, 0, 2}, {0, 1, 3, 2}, {1, 0, 2, 3}}) {
    Shape out;
    for (int64_t p : perm) out.push_back(in[p]);
    r.check(GraphBuilder().input("x", in).node("Transpose", {"x"}, {"y"}, ir::TransposeAttrs{perm}, {out}).output("y").build());
  }
  r.check(GraphBuilder().input("x", {6, 7}).node("Transpose", {"x"}, {"y"}, ir::TransposeAttrs{{1, 0}}, {{7, 6}}).output("y").build());
}

// Transpose of a conv output (blocked layout) back to NHWC.
TANDEM_MATRIX_CASE(BackendOps, TransposeOfConv) {
  ConvCase c{.c = 8, .h = 6, .w = 6, .oc = 16};
  r.check(GraphBuilder()
            .input("x", {2, 8, 6, 6}).weight("w", {16, 8, 3, 3})
            .node("Conv", {"x", "w"}, {"t"}, conv_attrs(c), {{2, 16, 6, 6}})
            .node("Transpose", {"t"}, {"y"}, ir::TransposeAttrs{{0, 2, 3, 1}}, {{2, 6, 6, 16}})
            .output("y")
            .build());
}

ir::Graph resize_graph(const std::string& mode, const std::string& coord, const std::string& nearest, int64_t f) {
  ir::ResizeAttrs a;
  a.mode = mode;
  a.coordinate_transformation_mode = coord;
  a.nearest_mode = nearest;
  a.scales = {1.0f, 1.0f, static_cast<float>(f), static_cast<float>(f)};
  a.sizes = {2, 3, 5 * f, 4 * f};
  return GraphBuilder()
      .input("x", {2, 3, 5, 4})
      .node("Resize", {"x"}, {"y"}, a, {{2, 3, 5 * f, 4 * f}})
      .output("y")
      .build();
}

TANDEM_MATRIX_CASE(BackendOps, ResizeNearest) {
  r.check(resize_graph("nearest", "asymmetric", "floor", 2));
  r.check(resize_graph("nearest", "half_pixel", "round_prefer_floor", 2));
  r.check(resize_graph("nearest", "asymmetric", "floor", 3));
}

TANDEM_MATRIX_CASE(BackendOps, ResizeBilinear) {
  r.check(resize_graph("linear", "half_pixel", "round_prefer_floor", 2));
  r.check(resize_graph("linear", "pytorch_half_pixel", "round_prefer_floor", 2));
}

// Opset-9 Upsample: Resize's kernels with asymmetric coordinates (nearest: floor).
TANDEM_MATRIX_CASE(BackendOps, Upsample) {
  for (const std::string mode : {"nearest", "linear"}) {
    SCOPED_TRACE(mode);
    ir::ResizeAttrs a;
    a.mode = mode;
    a.coordinate_transformation_mode = "asymmetric";
    a.nearest_mode = "floor";
    a.scales = {1.0f, 1.0f, 2.0f, 3.0f};
    a.sizes = {2, 3, 10, 12};
    r.check(GraphBuilder()
                .input("x", {2, 3, 5, 4})
                .constant("scales", Tensor::from_vector<float>({4}, DType::kFloat32, {1.0f, 1.0f, 2.0f, 3.0f}))
                .node("Upsample", {"x", "scales"}, {"y"}, a, {{2, 3, 10, 12}})
                .output("y")
                .build());
  }
}

TANDEM_MATRIX_CASE(BackendOps, BatchNormalization) {
  r.check(GraphBuilder()
            .input("x", {2, 6, 5, 4})
            .weight("scale", {6}).weight("bias", {6}).weight("mean", {6}).weight("var", {6}, 0.5f, 2.0f)
            .node("BatchNormalization", {"x", "scale", "bias", "mean", "var"}, {"y"}, ir::BatchNormAttrs{1e-5f},
                  {{2, 6, 5, 4}})
            .output("y")
            .build());
  // With a fused activation (fuse_activation: DenseNet's BN -> Relu): Relu inside oneDNN's
  // primitive, others after it.
  for (const ir::Epilogue& e : {ir::Epilogue{ir::ActKind::kRelu}, ir::Epilogue{ir::ActKind::kSigmoid},
                                ir::Epilogue{ir::ActKind::kLeakyRelu, 0.1f}}) {
    r.check(GraphBuilder()
              .input("x", {2, 16, 5, 4})
              .weight("scale", {16}).weight("bias", {16}).weight("mean", {16}).weight("var", {16}, 0.5f, 2.0f)
              .node("BatchNormalization", {"x", "scale", "bias", "mean", "var"}, {"y"}, ir::BatchNormAttrs{1e-5f, e},
                    {{2, 16, 5, 4}})
              .output("y")
              .build());
  }
}

TANDEM_MATRIX_CASE(BackendOps, ShapeOps) {
  r.check(GraphBuilder().input("x", {2, 3, 4, 5}).node("Flatten", {"x"}, {"y"}, ir::FlattenAttrs{1}, {{2, 60}}).output("y").build());
  r.check(GraphBuilder().input("x", {2, 3, 4, 5}).node("Flatten", {"x"}, {"y"}, ir::FlattenAttrs{2}, {{6, 20}}).output("y").build());
  r.check(GraphBuilder()
            .input("x", {2, 3, 4, 5})
            .constant("s", Tensor::from_vector<int64_t>({3}, DType::kInt64, {2, 12, 5}))
            .node("Reshape", {"x", "s"}, {"y"}, ir::ReshapeAttrs{false, {2, 12, 5}}, {{2, 12, 5}})
            .output("y")
            .build());
  r.check(GraphBuilder().input("x", {2, 3}).node("Identity", {"x"}, {"y"}, ir::IdentityAttrs{}, {{2, 3}}).output("y").build());
}

// conv -> conv -> add(residual) -> relu -> gap -> flatten -> gemm: layouts flow between ops and
// come back to plain only where Flatten needs it.
TANDEM_MATRIX_CASE(BackendOps, ChainConvToGemm) {
  ConvCase c1{.c = 8, .h = 10, .w = 10, .oc = 16, .epi = {ir::ActKind::kRelu}};
  ConvCase c2{.c = 16, .h = 10, .w = 10, .oc = 16};
  r.check(GraphBuilder()
            .input("x", {2, 8, 10, 10})
            .weight("w1", {16, 8, 3, 3}).weight("b1", {16}).weight("w2", {16, 16, 3, 3}).weight("b2", {16})
            .weight("fw", {10, 16}).weight("fb", {10})
            .node("Conv", {"x", "w1", "b1"}, {"c1"}, conv_attrs(c1), {{2, 16, 10, 10}})
            .node("Conv", {"c1", "w2", "b2"}, {"c2"}, conv_attrs(c2), {{2, 16, 10, 10}})
            .node("Add", {"c2", "c1"}, {"s"}, ir::BinaryAttrs{ir::BinaryOp::kAdd}, {{2, 16, 10, 10}})
            .node("Relu", {"s"}, {"r"}, ir::ActivationAttrs{{ir::ActKind::kRelu}}, {{2, 16, 10, 10}})
            .node("GlobalAveragePool", {"r"}, {"g"}, ir::GlobalPoolAttrs{}, {{2, 16, 1, 1}})
            .node("Flatten", {"g"}, {"f"}, ir::FlattenAttrs{1}, {{2, 16}})
            .node("Gemm", {"f", "fw", "fb"}, {"y"}, ir::GemmAttrs{.trans_b = true}, {{2, 10}})
            .output("y")
            .build());
}

// Several outputs, one of them also consumed inside, one a view, one an input passed through.
TANDEM_MATRIX_CASE(BackendOps, OutputsInsideAndViews) {
  ConvCase c{.c = 4, .h = 6, .w = 6, .oc = 8};
  r.check(GraphBuilder()
            .input("x", {1, 4, 6, 6}).weight("w", {8, 4, 3, 3})
            .node("Conv", {"x", "w"}, {"c"}, conv_attrs(c), {{1, 8, 6, 6}})
            .node("Relu", {"c"}, {"r"}, ir::ActivationAttrs{{ir::ActKind::kRelu}}, {{1, 8, 6, 6}})
            .node("Flatten", {"r"}, {"f"}, ir::FlattenAttrs{1}, {{1, 288}})
            .node("Identity", {"x"}, {"i"}, ir::IdentityAttrs{}, {{1, 4, 6, 6}})
            .output("c").output("f").output("r").output("i").output("x")
            .build());
}

// ---- reductions and layer normalisation ----

Shape reduced_shape(const Shape& in, const std::vector<int64_t>& axes, bool keepdims) {
  Shape out;
  for (size_t d = 0; d < in.size(); ++d) {
    const bool r = std::find(axes.begin(), axes.end(), static_cast<int64_t>(d)) != axes.end();
    if (!r) out.push_back(in[d]);
    else if (keepdims) out.push_back(1);
  }
  return out;
}

// One Reduce* node; LogSum reads Sigmoid(x) so that its sums are positive.
ir::Graph reduce_graph(ir::ReduceKind k, const Shape& in, std::vector<int64_t> axes, bool keepdims) {
  GraphBuilder b;
  b.input("x", in);
  std::string x = "x";
  if (k == ir::ReduceKind::kLogSum) {
    b.node("Sigmoid", {"x"}, {"xs"}, ir::ActivationAttrs{{ir::ActKind::kSigmoid}}, {in});
    x = "xs";
  }
  const Shape out = reduced_shape(in, axes, keepdims);
  return b.node(ir::reduce_op_type(k), {x}, {"y"}, reduce_attrs(k, std::move(axes), keepdims), {out}).output("y").build();
}

// Checks reduce_graph(); ReduceProd reads values of either sign with |x| in [0.9, 1.1], so that a
// product of hundreds of them stays within fp16's range.
void check_reduce(optest::CaseRunner& r, ir::ReduceKind k, const Shape& in, std::vector<int64_t> axes, bool keepdims) {
  const ir::Graph g = reduce_graph(k, in, std::move(axes), keepdims);
  if (k != ir::ReduceKind::kProd) return r.check(g);
  Tensor x = optest::random_tensor(in, 17, -0.2f, 0.2f);
  for (int64_t i = 0; i < x.numel(); ++i) {
    float& v = x.data_as<float>()[i];
    v = v < 0 ? v - 0.9f : v + 0.9f;
  }
  r.check(g, {x});
}

TANDEM_MATRIX_CASE(BackendOps, ReduceEachKindEachAxisSet) {
  const Shape in{2, 6, 5, 7};
  const std::pair<std::vector<int64_t>, bool> sets[] = {
      {{0, 1, 2, 3}, true}, {{0, 1, 2, 3}, false},  // everything
      {{3}, true},          {{3}, false},           // the last axis
      {{2, 3}, true},       {{2, 3}, false},        // H and W: the squeeze-excitation mean
      {{1}, true},          {{0, 2}, false},        // the channels; N and H
  };
  for (int k = 0; k < static_cast<int>(ir::ReduceKind::kLogSumExp); ++k) {
    const auto kind = static_cast<ir::ReduceKind>(k);
    for (const auto& [axes, keep] : sets) {
      SCOPED_TRACE(std::string(ir::reduce_op_type(kind)) + " keepdims " + std::to_string(keep));
      check_reduce(r, kind, in, axes, keep);
    }
  }
}

TANDEM_MATRIX_CASE(BackendOps, ReduceLogSumExp) {
  ir::Graph g = reduce_graph(ir::ReduceKind::kLogSumExp, {2, 6, 5, 7}, {1, 3}, true);
  r.check(g);  // cpu: through the reference fallback (oneDNN has no stable form)
  r.check(reduce_graph(ir::ReduceKind::kLogSumExp, {3, 40}, {1}, false));
}

TANDEM_MATRIX_CASE(BackendOps, ReduceRanksAndNothingReduced) {
  using K = ir::ReduceKind;
  r.check(reduce_graph(K::kMean, {2, 7, 48}, {2}, true));         // a transformer's per-token mean
  r.check(reduce_graph(K::kMean, {2, 7, 48}, {1}, false));        // the mean over tokens
  r.check(reduce_graph(K::kSum, {3, 4100}, {1}, false));          // one long row per output
  r.check(reduce_graph(K::kMax, {5000}, {0}, true));              // a single large group
  r.check(reduce_graph(K::kSumSquare, {2, 3, 4}, {}, true));      // noop_with_empty_axes: x^2
  r.check(reduce_graph(K::kL1, {2, 3, 4}, {}, true));             // |x|
  r.check(reduce_graph(K::kSum, {2, 1, 4}, {1}, false));          // a dim of 1: a copy
  check_reduce(r, K::kProd, {2, 2, 3, 2, 2, 3}, {1, 3, 5}, false);  // rank 6
}

// ReduceSum from opset 13: the axes as a constant input, resolved into the attributes.
TANDEM_MATRIX_CASE(BackendOps, ReduceSumAxesInput) {
  ir::ReduceAttrs a = reduce_attrs(ir::ReduceKind::kSum, {1}, true);
  a.axes_from_input = true;
  r.check(GraphBuilder()
            .input("x", {2, 6, 5, 7})
            .constant("axes", Tensor::from_vector<int64_t>({1}, DType::kInt64, {-3}))
            .node("ReduceSum", {"x", "axes"}, {"y"}, a, {{2, 1, 5, 7}})
            .output("y")
            .build());
}

// Reductions of a conv's output (oneDNN's blocked layout, NHWC on cuda fp16): the SE block with
// ReduceMean keepdims 1, and ShuffleNetV2's x.mean([2, 3]) (keepdims 0) before the classifier.
// Mean, Max and Sum over the spatial dims, and the SE multiply, of convs whose outputs oneDNN
// lays out differently on the cpu: plain input, channels-last (a dense conv), channel blocks of 8
// (a grouped conv with 8 channels per group, RegNetY's; 4 per group), channels not a multiple of
// the block.
TANDEM_MATRIX_CASE(BackendOps, SpatialReductionsOfEachLayout) {
  for (int64_t oc : {24, 20}) {
    for (int64_t group : {int64_t(1), oc / 4, oc % 8 ? int64_t(1) : oc / 8}) {
      SCOPED_TRACE("oc " + std::to_string(oc) + " group " + std::to_string(group));
      ConvCase c{.c = oc, .h = 9, .w = 7, .oc = oc, .group = group};
      for (auto kind : {ir::ReduceKind::kMean, ir::ReduceKind::kMax, ir::ReduceKind::kSum}) {
        r.check(GraphBuilder()
                  .input("x", {2, oc, 9, 7}).weight("w", {oc, oc / group, 3, 3})
                  .node("Conv", {"x", "w"}, {"t"}, conv_attrs(c), {{2, oc, 9, 7}})
                  .node(ir::reduce_op_type(kind), {"t"}, {"m"}, reduce_attrs(kind, {2, 3}, true), {{2, oc, 1, 1}})
                  .node("Mul", {"t", "m"}, {"y"}, ir::BinaryAttrs{ir::BinaryOp::kMul}, {{2, oc, 9, 7}})
                  .node(ir::reduce_op_type(kind), {"t"}, {"z"}, reduce_attrs(kind, {2, 3}, false), {{2, oc}})
                  .output("y").output("z")
                  .build());
      }
      r.check(GraphBuilder()
                .input("x", {2, oc, 9, 7}).weight("w", {oc, oc / group, 3, 3})
                .node("Conv", {"x", "w"}, {"t"}, conv_attrs(c), {{2, oc, 9, 7}})
                .node("GlobalMaxPool", {"t"}, {"y"}, ir::GlobalPoolAttrs{ir::PoolKind::kMax}, {{2, oc, 1, 1}})
                .node("GlobalAveragePool", {"t"}, {"z"}, ir::GlobalPoolAttrs{}, {{2, oc, 1, 1}})
                .output("y").output("z")
                .build());
    }
  }
  r.check(GraphBuilder()  // a graph input: plain
            .input("x", {2, 5, 4, 3, 2})
            .node("ReduceSum", {"x"}, {"y"}, reduce_attrs(ir::ReduceKind::kSum, {2, 3, 4}, true), {{2, 5, 1, 1, 1}})
            .output("y")
            .build());
}

TANDEM_MATRIX_CASE(BackendOps, ReduceMeanOfConvOutput) {
  ConvCase c{.c = 8, .h = 9, .w = 9, .oc = 16};
  ir::ConvAttrs pw = conv_attrs({.c = 16, .h = 1, .w = 1, .oc = 16, .k = 1, .pads = {0, 0, 0, 0}});
  pw.epilogue = {ir::ActKind::kSigmoid};
  r.check(GraphBuilder()
            .input("x", {2, 8, 9, 9}).weight("w", {16, 8, 3, 3}).weight("w2", {16, 16, 1, 1})
            .node("Conv", {"x", "w"}, {"t"}, conv_attrs(c), {{2, 16, 9, 9}})
            .node("ReduceMean", {"t"}, {"m"}, reduce_attrs(ir::ReduceKind::kMean, {2, 3}, true), {{2, 16, 1, 1}})
            .node("Conv", {"m", "w2"}, {"g"}, pw, {{2, 16, 1, 1}})
            .node("Mul", {"t", "g"}, {"y"}, ir::BinaryAttrs{ir::BinaryOp::kMul}, {{2, 16, 9, 9}})
            .output("y")
            .build());
  r.check(GraphBuilder()
            .input("x", {2, 8, 9, 9}).weight("w", {16, 8, 3, 3}).weight("fw", {10, 16}).weight("fb", {10})
            .node("Conv", {"x", "w"}, {"t"}, conv_attrs(c), {{2, 16, 9, 9}})
            .node("ReduceMean", {"t"}, {"m"}, reduce_attrs(ir::ReduceKind::kMean, {2, 3}, false), {{2, 16}})
            .node("Gemm", {"m", "fw", "fb"}, {"y"}, ir::GemmAttrs{.trans_b = true}, {{2, 10}})
            .output("y")
            .build());
  r.check(GraphBuilder()
            .input("x", {2, 8, 9, 9}).weight("w", {16, 8, 3, 3})
            .node("Conv", {"x", "w"}, {"t"}, conv_attrs(c), {{2, 16, 9, 9}})
            .node("ReduceMax", {"t"}, {"y"}, reduce_attrs(ir::ReduceKind::kMax, {1}, true), {{2, 1, 9, 9}})
            .output("y")
            .build());
}

// LayerNormalization of x with Scale (and B) over X.shape[axis:]; `runtime` makes them inputs.
ir::Graph layer_norm_graph(const Shape& x, int64_t axis, bool bias, bool runtime = false) {
  const Shape inner(x.begin() + axis, x.end());
  GraphBuilder b;
  b.input("x", x);
  if (runtime) b.input("scale", inner); else b.weight("scale", inner, 0.5f, 1.5f);
  std::vector<std::string> ins{"x", "scale"};
  if (bias) {
    if (runtime) b.input("bias", inner); else b.weight("bias", inner);
    ins.push_back("bias");
  }
  return b.node("LayerNormalization", ins, {"y"}, ir::LayerNormAttrs{axis, 1e-5f, 1}, {x}).output("y").build();
}

TANDEM_MATRIX_CASE(BackendOps, LayerNormalization) {
  r.check(layer_norm_graph({2, 7, 48}, 2, true));      // [B, N, C]: ViT, DeiT, Swin
  r.check(layer_norm_graph({2, 3, 1100}, 2, true));    // rows longer than a warp's share
  r.check(layer_norm_graph({2, 7, 48}, 1, false));     // two trailing axes, no B
  r.check(layer_norm_graph({2, 6, 5, 4}, 3, true));    // 4-D, the last axis (ConvNeXt's channels-last)
  r.check(layer_norm_graph({2, 6, 5, 4}, 1, false));   // 4-D, C, H and W
  r.check(layer_norm_graph({2, 7, 48}, 2, true, true));  // Scale and B given at run time
}

TANDEM_MATRIX_CASE(BackendOps, LayerNormalizationScaleWithLeadingOnes) {
  r.check(GraphBuilder()
            .input("x", {2, 7, 16})
            .weight("scale", {1, 1, 16}).weight("bias", {1, 16})
            .node("LayerNormalization", {"x", "scale", "bias"}, {"y"}, ir::LayerNormAttrs{2, 1e-6f, 1}, {{2, 7, 16}})
            .output("y")
            .build());
}

TANDEM_MATRIX_CASE(BackendOps, RunTwiceIsIdentical) {
  r.check_repeatable(conv_graph({.epi = {ir::ActKind::kHardSwish}}));
}

// ---- Elementwise math: unary ops, Pow, Mod, the variadic ops, Where ----

ir::Graph unary_graph(ir::UnaryOp op, const Shape& s) {
  return GraphBuilder().input("x", s).node(ir::unary_op_name(op), {"x"}, {"y"}, ir::UnaryAttrs{op}, {s}).output("y").build();
}

TANDEM_MATRIX_CASE(BackendOps, UnaryEachFloatOp) {
  using U = ir::UnaryOp;
  const Shape s{2, 8, 5, 6};
  for (U op : {U::kErf, U::kSqrt, U::kExp, U::kLog, U::kNeg, U::kAbs, U::kReciprocal, U::kSin, U::kCos, U::kCeil,
               U::kFloor, U::kRound, U::kSign}) {
    SCOPED_TRACE(ir::unary_op_name(op));
    const bool positive = op == U::kSqrt || op == U::kLog || op == U::kReciprocal;
    const Tensor x = optest::random_tensor(s, 5, positive ? 0.1f : -3.0f, 3.0f);
    // oneDNN 2.6 has no eltwise for Erf, Sin, Cos, Ceil, Floor, Sign: cpu runs the reference fallback.
    r.check(unary_graph(op, s), {x});
  }
}

TANDEM_MATRIX_CASE(BackendOps, RoundTiesToEvenAndSignOfZero) {
  const Shape s{4, 16};
  Tensor x(s, DType::kFloat32);
  for (int64_t i = 0; i < x.numel(); ++i) x.data_as<float>()[i] = static_cast<float>(i - 32) * 0.25f;  // .5 ties, 0
  r.check(unary_graph(ir::UnaryOp::kRound, s), {x});
  r.check(unary_graph(ir::UnaryOp::kSign, s), {x});
}

ir::Graph pow_graph(const Shape& s, Tensor exponent) {
  return GraphBuilder()
      .input("x", s)
      .constant("e", std::move(exponent))
      .node("Pow", {"x", "e"}, {"y"}, ir::BinaryAttrs{ir::BinaryOp::kPow}, {s})
      .output("y")
      .build();
}

TANDEM_MATRIX_CASE(BackendOps, PowConstantScalarExponents) {
  const Shape s{2, 8, 5, 6};
  const Tensor any_sign = optest::random_tensor(s, 6, -2.0f, 2.0f), positive = optest::random_tensor(s, 7, 0.2f, 2.0f);
  r.check(pow_graph(s, Tensor::from_vector<float>({}, DType::kFloat32, {2.0f})), {any_sign});
  r.check(pow_graph(s, Tensor::from_vector<float>({1}, DType::kFloat32, {3.0f})), {any_sign});
  r.check(pow_graph(s, Tensor::from_vector<int64_t>({}, DType::kInt64, {3})), {any_sign});
  r.check(pow_graph(s, Tensor::from_vector<float>({}, DType::kFloat32, {0.5f})), {positive});
  r.check(pow_graph(s, Tensor::from_vector<float>({}, DType::kFloat32, {-1.0f})), {positive});
}

TANDEM_MATRIX_CASE(BackendOps, PowAndModOfTensors) {
  const Shape s{2, 8, 5, 6};
  const auto base = optest::random_tensor(s, 8, 0.2f, 2.0f), exponent = optest::random_tensor({8, 1, 1}, 9, -2.0f, 2.0f);
  r.check(GraphBuilder()
            .input("x", s).input("e", {8, 1, 1})
            .node("Pow", {"x", "e"}, {"y"}, ir::BinaryAttrs{ir::BinaryOp::kPow}, {s})
            .output("y")
            .build(), {base, exponent});
  r.check(GraphBuilder()
            .input("x", s).weight("d", {6}, 0.5f, 1.5f)
            .node("Mod", {"x", "d"}, {"y"}, ir::BinaryAttrs{ir::BinaryOp::kMod, true}, {s})
            .output("y")
            .build(), {optest::random_tensor(s, 10, -4.0f, 4.0f)});
}

ir::Graph variadic_graph(ir::VariadicOp op, const std::vector<Shape>& ins, const Shape& out) {
  static const char* kNames[] = {"Sum", "Mean", "Min", "Max"};
  GraphBuilder b;
  std::vector<std::string> names;
  for (size_t i = 0; i < ins.size(); ++i) {
    names.push_back("x" + std::to_string(i));
    if (i == 1 && ins.size() > 2) b.weight(names.back(), ins[i]); else b.input(names.back(), ins[i]);
  }
  return b.node(kNames[static_cast<int>(op)], names, {"y"}, ir::VariadicAttrs{op}, {out}).output("y").build();
}

TANDEM_MATRIX_CASE(BackendOps, VariadicSumMeanMinMax) {
  const Shape full{2, 8, 5, 6};
  for (auto op : {ir::VariadicOp::kSum, ir::VariadicOp::kMean, ir::VariadicOp::kMin, ir::VariadicOp::kMax}) {
    SCOPED_TRACE(static_cast<int>(op));
    r.check(variadic_graph(op, {full}, full));                          // one input: a copy
    r.check(variadic_graph(op, {full, full}, full));
    r.check(variadic_graph(op, {{8, 1, 1}, full}, full));               // the first one broadcasts
    r.check(variadic_graph(op, {full, {8, 1, 1}, {2, 8, 5, 6}, {6}}, full));  // four, a constant among them
    // No input has the output's shape: oneDNN broadcasts one operand only.
    r.check(variadic_graph(op, {{2, 1, 5, 1}, {1, 8, 1, 6}}, full));
  }
}

TANDEM_MATRIX_CASE(BackendOps, WhereWithConstantCondition) {
  const Shape s{2, 8, 5, 6};
  Tensor mask({8, 1, 6}, DType::kBool);
  for (int64_t i = 0; i < mask.numel(); ++i) mask.data_as<uint8_t>()[i] = (i * 7) % 3 == 0;
  // masked_fill: Where(mask, -1e4, x); and a select between two computed tensors.
  r.check(GraphBuilder()
            .input("x", s).constant("m", mask)
            .constant("fill", Tensor::from_vector<float>({}, DType::kFloat32, {-1e4f}))
            .node("Where", {"m", "fill", "x"}, {"y"}, ir::WhereAttrs{}, {s})
            .output("y")
            .build());
  r.check(GraphBuilder()
            .input("a", s).input("b", {5, 1}).constant("m", mask)
            .node("Where", {"m", "a", "b"}, {"y"}, ir::WhereAttrs{}, {s})
            .output("y")
            .build());
}

INSTANTIATE_TEST_SUITE_P(Backends, BackendOps, ::testing::ValuesIn(optest::matrix_columns()), optest::column_test_name);

}  // namespace
}  // namespace tandem
