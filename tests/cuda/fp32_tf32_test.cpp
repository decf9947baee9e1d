// CUDA fp32 depthwise convolution (our NCHW kernel, not cuDNN) against the reference backend, the
// same shapes in fp16 (NHWC kernel), and the `tf32` precision (fp32 data, TF32 tensor cores in
// cuDNN/cuBLAS) on small graphs and whole models vs onnxruntime, each within its row of the
// tolerance table (ops/tolerance.h). Skipped with one line when there is no CUDA device.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <string>

#include "core/npy.h"
#include "ops/op_test_util.h"
#include "tandem/engine.h"

namespace tandem {
namespace {

using optest::GraphBuilder;

using optest::rel_l2;

UnitOptions with_precision(Precision p) {
  UnitOptions o;
  o.precision = p;
  return o;
}

class CudaPrecision : public ::testing::Test {
 protected:
  void SetUp() override {
    auto b = make_backend("cuda");
    if (!b.is_ok()) GTEST_SKIP() << "cuda: " << b.status().message();
    backend_ = std::move(*b);
  }
  // fp32, fp16 and tf32 vs the reference backend, each within its tolerance.
  void check(const ir::Graph& g) {
    SCOPED_TRACE(ir::graph_to_string(g));
    const auto inputs = optest::random_inputs(g);
    auto ref = optest::run_on("reference", g, inputs);
    if (!ref.is_ok()) GTEST_SKIP() << "reference backend: " << ref.status().message();
    auto f32 = optest::run_on(*backend_, g, inputs, with_precision(Precision::kFloat32));
    ASSERT_TRUE(f32.is_ok()) << f32.status().message();
    auto f16 = optest::run_on(*backend_, g, inputs, with_precision(Precision::kFloat16));
    ASSERT_TRUE(f16.is_ok()) << f16.status().message();
    auto tf32 = optest::run_on(*backend_, g, inputs, with_precision(Precision::kTF32));
    ASSERT_TRUE(tf32.is_ok()) << tf32.status().message();
    using optest::OpClass;
    using optest::tolerance;
    for (size_t i = 0; i < g.outputs.size(); ++i) {
      const std::string name = " '" + g.outputs[i] + "'";
      EXPECT_TRUE(optest::within(tolerance(Precision::kFloat32, OpClass::kArithmetic), (*ref)[i], (*f32)[i], "fp32" + name));
      EXPECT_TRUE(optest::within(tolerance(Precision::kFloat16, OpClass::kArithmetic), (*ref)[i], (*f16)[i], "fp16" + name));
      EXPECT_TRUE(optest::within(tolerance(Precision::kTF32, OpClass::kArithmetic), (*ref)[i], (*tf32)[i], "tf32" + name));
    }
  }
  std::unique_ptr<Backend> backend_;
};

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

TEST_F(CudaPrecision, DepthwiseStride1Pad1BiasRelu6) {
  check(depthwise_graph({3, 32, 14, 14, 3, 1, {1, 1, 1, 1}, 1, true, kRelu6}));
}
TEST_F(CudaPrecision, DepthwiseStride2OddSizeNoBiasRelu) {
  check(depthwise_graph({1, 24, 15, 13, 3, 2, {1, 1, 1, 1}, 1, false, kRelu}));
}
TEST_F(CudaPrecision, DepthwiseStride2EvenSizeBiasNoAct) {
  check(depthwise_graph({3, 16, 16, 16, 3, 2, {1, 1, 1, 1}, 1, true, kNone}));
}
TEST_F(CudaPrecision, DepthwiseAsymmetricPadsClip) {  // TF "SAME" with stride 2: pads 0 before, 1 after
  check(depthwise_graph({3, 8, 9, 10, 3, 2, {0, 0, 1, 1}, 1, true, kClipNarrow}));
}
TEST_F(CudaPrecision, DepthwiseNoPadOddChannels) {  // C not a multiple of 8: fp16 takes the scalar kernel
  check(depthwise_graph({1, 7, 11, 9, 3, 1, {0, 0, 0, 0}, 1, false, kNone}));
}
TEST_F(CudaPrecision, Depthwise5x5Stride2Pad2) {  // MnasNet / EfficientNet windows
  check(depthwise_graph({3, 40, 17, 17, 5, 2, {2, 2, 2, 2}, 1, true, kRelu}));
}
TEST_F(CudaPrecision, Depthwise7x7Dilated) {  // the runtime-window kernel, with dilation
  check(depthwise_graph({1, 12, 19, 21, 7, 1, {3, 6, 3, 6}, 2, true, kRelu6}));
}
TEST_F(CudaPrecision, Depthwise5x5Stride1NarrowOutput) {  // fewer output columns than the window
  check(depthwise_graph({2, 48, 6, 3, 5, 1, {2, 2, 2, 2}, 1, true, kRelu6}));
}
TEST_F(CudaPrecision, Depthwise3x3Stride1WideRow) {  // a wide odd row
  check(depthwise_graph({2, 64, 5, 23, 3, 1, {1, 1, 1, 1}, 1, false, kClipNarrow}));
}
TEST_F(CudaPrecision, DepthwiseTinySpatialLargeBatch) {  // 1x1 output planes, pads larger than the input
  check(depthwise_graph({3, 9, 2, 3, 3, 2, {1, 1, 1, 1}, 1, true, kRelu}));
}

TEST_F(CudaPrecision, DepthwiseThenResidualAddRelu) {  // residual: the activation runs after the add
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
  check(b.build());
}

TEST_F(CudaPrecision, ConvAndGemmInTf32) {  // cuDNN default math and cuBLAS FAST_TF32 paths
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
  check(b.build());
}

// ---- whole models through cuda:0/tf32 vs onnxruntime (files from tests/models/make_models.py) ----
class CudaTf32Models : public ::testing::TestWithParam<std::string> {};

TEST_P(CudaTf32Models, MatchOnnxruntimeWithinRelL2) {
  if (auto b = make_backend("cuda"); !b.is_ok()) GTEST_SKIP() << "cuda: " << b.status().message();
  const std::string stem = std::string(TANDEM_MODELS_DIR) + "/" + GetParam();
  if (!std::filesystem::exists(stem + ".onnx")) GTEST_SKIP() << stem << ".onnx is missing (build tandem_models)";
  EngineOptions options;
  options.units = "cuda:0/tf32";
  auto engine = Engine::load(stem + ".onnx", options);
  ASSERT_TRUE(engine.is_ok()) << engine.status().message();
  for (int batch : {1, 3}) {
    SCOPED_TRACE("batch " + std::to_string(batch));
    auto input = read_npy(stem + ".input_b" + std::to_string(batch) + ".npy");
    auto want = read_npy(stem + ".output_b" + std::to_string(batch) + ".npy");
    ASSERT_TRUE(input.is_ok() && want.is_ok()) << input.status().message() << want.status().message();
    auto out = (*engine)->run({*input});
    ASSERT_TRUE(out.is_ok()) << out.status().message();
    EXPECT_LE(rel_l2(*want, (*out)[0]), optest::kModelRelL2);
  }
}

INSTANTIATE_TEST_SUITE_P(Models, CudaTf32Models,
                         ::testing::Values("mobilenet_v2", "resnet18", "mobilenet_v3", "paddle_style"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace tandem
