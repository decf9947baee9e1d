// Depthwise convolution of the op-test matrix (cuda: our kernels, NCHW in fp32 and tf32, NHWC in
// fp16, not cuDNN) and a conv -> GAP -> Gemm tail (cuDNN's default math and cuBLAS FAST_TF32 in
// tf32), in every column (cpu; cuda fp32, tf32, fp16) against the reference backend
// (ops/op_matrix.h). A column whose backend is missing is skipped with one line.
#include <gtest/gtest.h>

#include "ops/op_matrix.h"

namespace tandem {
namespace {

using optest::GraphBuilder;

class DepthwiseOps : public optest::MatrixTest {};

// One depthwise case: input [n, c, h, w], k x k window, pads {top, left, bottom, right}.
struct DwCase {
  int64_t n, c, h, w, k, stride;
  std::vector<int64_t> pads;
  int64_t dilation;
  bool bias;
  ir::Epilogue act;
};

ir::Graph depthwise_graph(const DwCase& d) {
  ir::ConvAttrs a;
  a.kernel_shape = {d.k, d.k};
  a.strides = {d.stride, d.stride};
  a.pads = d.pads;
  a.dilations = {d.dilation, d.dilation};
  a.group = d.c;
  a.epilogue = d.act;
  const int64_t oh = optest::window_out(d.h, d.k, d.stride, d.pads[0], d.pads[2], d.dilation);
  const int64_t ow = optest::window_out(d.w, d.k, d.stride, d.pads[1], d.pads[3], d.dilation);
  GraphBuilder b;
  b.input("x", {d.n, d.c, d.h, d.w}).weight("w", {d.c, 1, d.k, d.k}, -0.5f, 0.5f);
  std::vector<std::string> ins = {"x", "w"};
  if (d.bias) {
    b.weight("b", {d.c});
    ins.push_back("b");
  }
  b.node("Conv", ins, {"y"}, a, {{d.n, d.c, oh, ow}}).output("y");
  return b.build();
}

const ir::Epilogue kNone{};
const ir::Epilogue kRelu{ir::ActKind::kRelu};
const ir::Epilogue kRelu6{ir::ActKind::kClip, 0.0f, 6.0f};
const ir::Epilogue kClipNarrow{ir::ActKind::kClip, -0.3f, 0.4f};

TANDEM_MATRIX_CASE(DepthwiseOps, DepthwiseStride1Pad1BiasRelu6) {
  r.check(depthwise_graph({3, 32, 14, 14, 3, 1, {1, 1, 1, 1}, 1, true, kRelu6}));
}
TANDEM_MATRIX_CASE(DepthwiseOps, DepthwiseStride2OddSizeNoBiasRelu) {
  r.check(depthwise_graph({1, 24, 15, 13, 3, 2, {1, 1, 1, 1}, 1, false, kRelu}));
}
TANDEM_MATRIX_CASE(DepthwiseOps, DepthwiseStride2EvenSizeBiasNoAct) {
  r.check(depthwise_graph({3, 16, 16, 16, 3, 2, {1, 1, 1, 1}, 1, true, kNone}));
}
TANDEM_MATRIX_CASE(DepthwiseOps, DepthwiseAsymmetricPadsClip) {  // TF "SAME" with stride 2: pads 0 before, 1 after
  r.check(depthwise_graph({3, 8, 9, 10, 3, 2, {0, 0, 1, 1}, 1, true, kClipNarrow}));
}
TANDEM_MATRIX_CASE(DepthwiseOps, DepthwiseNoPadOddChannels) {  // C not a multiple of 8: fp16 takes the scalar kernel
  r.check(depthwise_graph({1, 7, 11, 9, 3, 1, {0, 0, 0, 0}, 1, false, kNone}));
}
TANDEM_MATRIX_CASE(DepthwiseOps, Depthwise5x5Stride2Pad2) {  // MnasNet / EfficientNet windows
  r.check(depthwise_graph({3, 40, 17, 17, 5, 2, {2, 2, 2, 2}, 1, true, kRelu}));
}
TANDEM_MATRIX_CASE(DepthwiseOps, Depthwise7x7Dilated) {  // the runtime-window kernel, with dilation
  r.check(depthwise_graph({1, 12, 19, 21, 7, 1, {3, 6, 3, 6}, 2, true, kRelu6}));
}
TANDEM_MATRIX_CASE(DepthwiseOps, Depthwise5x5Stride1NarrowOutput) {  // fewer output columns than the window
  r.check(depthwise_graph({2, 48, 6, 3, 5, 1, {2, 2, 2, 2}, 1, true, kRelu6}));
}
TANDEM_MATRIX_CASE(DepthwiseOps, Depthwise3x3Stride1WideRow) {  // a wide odd row
  r.check(depthwise_graph({2, 64, 5, 23, 3, 1, {1, 1, 1, 1}, 1, false, kClipNarrow}));
}
TANDEM_MATRIX_CASE(DepthwiseOps, DepthwiseTinySpatialLargeBatch) {  // 1x1 output planes, pads larger than the input
  r.check(depthwise_graph({3, 9, 2, 3, 3, 2, {1, 1, 1, 1}, 1, true, kRelu}));
}

TANDEM_MATRIX_CASE(DepthwiseOps, DepthwiseThenResidualAddRelu) {  // residual: the activation runs after the add
  GraphBuilder b;
  b.input("x", {3, 16, 7, 9}).weight("wd", {16, 1, 3, 3}).weight("bd", {16});
  ir::ConvAttrs a;
  a.kernel_shape = {3, 3};
  a.strides = {1, 1};
  a.pads = {1, 1, 1, 1};
  a.dilations = {1, 1};
  a.group = 16;
  b.node("Conv", {"x", "wd", "bd"}, {"d"}, a, {{3, 16, 7, 9}});
  b.node("Add", {"d", "x"}, {"s"}, ir::BinaryAttrs{ir::BinaryOp::kAdd}, {{3, 16, 7, 9}});
  b.node("Relu", {"s"}, {"y"}, ir::ActivationAttrs{kRelu}, {{3, 16, 7, 9}}).output("y");
  r.check(b.build());
}

TANDEM_MATRIX_CASE(DepthwiseOps, ConvAndGemmInTf32) {  // cuDNN default math and cuBLAS FAST_TF32 paths
  GraphBuilder b;
  b.input("x", {2, 16, 9, 9}).weight("w", {32, 16, 3, 3}, -0.2f, 0.2f).weight("bias", {32}).weight("fc", {10, 32}).weight("fb", {10});
  ir::ConvAttrs a;
  a.kernel_shape = {3, 3};
  a.strides = {1, 1};
  a.pads = {1, 1, 1, 1};
  a.dilations = {1, 1};
  a.group = 1;
  a.epilogue = kRelu;
  b.node("Conv", {"x", "w", "bias"}, {"c"}, a, {{2, 32, 9, 9}});
  b.node("GlobalAveragePool", {"c"}, {"g"}, ir::GlobalPoolAttrs{ir::PoolKind::kAverage}, {{2, 32, 1, 1}});
  b.node("Flatten", {"g"}, {"f"}, ir::FlattenAttrs{1}, {{2, 32}});
  ir::GemmAttrs ga;
  ga.trans_b = true;
  b.node("Gemm", {"f", "fc", "fb"}, {"y"}, ga, {{2, 10}}).output("y");
  r.check(b.build());
}

INSTANTIATE_TEST_SUITE_P(Backends, DepthwiseOps, ::testing::ValuesIn(optest::matrix_columns()), optest::column_test_name);

}  // namespace
}  // namespace tandem
