// CUDA backend tests: fused patterns in fp32 and fp16 vs the reference backend, bad input,
// refusals, and whole models vs onnxruntime in fp32 and fp16, within the tolerance table
// (ops/tolerance.h). Skipped with one line when there is no CUDA device.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <unistd.h>

#include "core/npy.h"
#include "ops/op_test_util.h"
#include "tandem/engine.h"

namespace tandem {
namespace {

using optest::GraphBuilder;

using optest::kModelRelL2;
using optest::rel_l2;

class Cuda : public ::testing::Test {
 protected:
  void SetUp() override {
    auto b = make_backend("cuda");
    if (!b.is_ok()) GTEST_SKIP() << "cuda: " << b.status().message();
    backend_ = std::move(*b);
  }
  // fp32, then fp16, against the reference backend; `diagnostics` for both (features off, ...).
  void check(const ir::Graph& g, const BackendDiagnostics& diagnostics = {}) {
    SCOPED_TRACE(ir::graph_to_string(g));
    const auto inputs = optest::random_inputs(g);
    auto ref = optest::run_on("reference", g, inputs);
    if (!ref.is_ok()) GTEST_SKIP() << "reference backend: " << ref.status().message();
    UnitOptions full;
    full.diagnostics = diagnostics;
    auto f32 = optest::run_on(*backend_, g, inputs, full);
    ASSERT_TRUE(f32.is_ok()) << f32.status().message();
    UnitOptions half = full;
    half.precision = Precision::kFloat16;
    auto f16 = optest::run_on(*backend_, g, inputs, half);
    ASSERT_TRUE(f16.is_ok()) << f16.status().message();
    for (size_t i = 0; i < g.outputs.size(); ++i) {
      const std::string name = " '" + g.outputs[i] + "'";
      EXPECT_TRUE(optest::within(optest::tolerance(Precision::kFloat32, optest::OpClass::kArithmetic), (*ref)[i], (*f32)[i],
                                 "fp32" + name));
      EXPECT_TRUE(optest::within(optest::tolerance(Precision::kFloat16, optest::OpClass::kArithmetic), (*ref)[i], (*f16)[i],
                                 "fp16" + name));
    }
  }
  std::unique_ptr<Backend> backend_;
};

ir::ConvAttrs conv(int64_t k, int64_t stride, int64_t pad, int64_t group, ir::Epilogue e = {}) {
  ir::ConvAttrs a;
  a.kernel_shape = {k, k};
  a.strides = {stride, stride};
  a.pads = {pad, pad, pad, pad};
  a.dilations = {1, 1};
  a.group = group;
  a.epilogue = e;
  return a;
}
ir::ActivationAttrs act(ir::ActKind k, float a = 0, float b = 0) { return {ir::Epilogue{k, a, b}}; }

TEST_F(Cuda, ConvAddReluIsFusedAndCorrect) {  // ResNet's block tail: Conv -> Add(shortcut) -> Relu
  GraphBuilder b;
  b.input("x", {2, 16, 9, 9}).weight("w", {16, 16, 3, 3}, -0.2f, 0.2f).weight("bias", {16});
  b.node("Conv", {"x", "w", "bias"}, {"c"}, conv(3, 1, 1, 1), {{2, 16, 9, 9}});
  b.node("Add", {"c", "x"}, {"s"}, ir::BinaryAttrs{ir::BinaryOp::kAdd}, {{2, 16, 9, 9}});
  b.node("Relu", {"s"}, {"y"}, act(ir::ActKind::kRelu), {{2, 16, 9, 9}}).output("y");
  check(b.build());
}

TEST_F(Cuda, ShortcutConvAfterMainPath) {  // the residual is produced after the fused Conv's own node
  GraphBuilder b;
  b.input("x", {2, 8, 8, 8}).weight("w1", {16, 8, 1, 1}).weight("w2", {16, 8, 1, 1});
  b.node("Conv", {"x", "w1"}, {"main"}, conv(1, 1, 0, 1), {{2, 16, 8, 8}});
  b.node("Conv", {"x", "w2"}, {"short"}, conv(1, 1, 0, 1), {{2, 16, 8, 8}});
  b.node("Add", {"main", "short"}, {"s"}, ir::BinaryAttrs{ir::BinaryOp::kAdd}, {{2, 16, 8, 8}});
  b.node("Relu", {"s"}, {"y"}, act(ir::ActKind::kRelu), {{2, 16, 8, 8}}).output("y");
  check(b.build());
}

TEST_F(Cuda, DepthwiseRelu6ThenProjectWithResidual) {  // MobileNetV2's inverted residual
  GraphBuilder b;
  b.input("x", {3, 8, 10, 10}).weight("we", {32, 8, 1, 1}, -0.3f, 0.3f).weight("wd", {32, 1, 3, 3}).weight("wp", {8, 32, 1, 1}, -0.2f, 0.2f);
  ir::Epilogue relu6{ir::ActKind::kClip, 0.0f, 6.0f};
  b.node("Conv", {"x", "we"}, {"e"}, conv(1, 1, 0, 1, relu6), {{3, 32, 10, 10}});
  b.node("Conv", {"e", "wd"}, {"d"}, conv(3, 1, 1, 32, relu6), {{3, 32, 10, 10}});
  b.node("Conv", {"d", "wp"}, {"p"}, conv(1, 1, 0, 1), {{3, 8, 10, 10}});
  b.node("Add", {"x", "p"}, {"y"}, ir::BinaryAttrs{ir::BinaryOp::kAdd}, {{3, 8, 10, 10}}).output("y");
  check(b.build());
}

// The producer's activation moves into the depthwise Conv's loads (cuda_schedule.cpp): from a
// separate activation node after a residual Add, and from a Conv's own epilogue into a strided
// depthwise whose padding must stay zero (HardSigmoid(0) = 0.5 would show if it were activated).
ir::Graph activations_before_depthwise() {
  GraphBuilder b;
  b.input("x", {2, 16, 9, 9}).weight("we", {16, 16, 1, 1}, -0.3f, 0.3f).weight("be", {16});
  b.weight("wd", {16, 1, 3, 3}).weight("wd2", {16, 1, 3, 3});
  b.node("Conv", {"x", "we", "be"}, {"e"}, conv(1, 1, 0, 1), {{2, 16, 9, 9}});
  b.node("Add", {"e", "x"}, {"s"}, ir::BinaryAttrs{ir::BinaryOp::kAdd}, {{2, 16, 9, 9}});
  b.node("HardSwish", {"s"}, {"h"}, act(ir::ActKind::kHardSwish), {{2, 16, 9, 9}});
  b.node("Conv", {"h", "wd"}, {"d"}, conv(3, 1, 1, 16, {ir::ActKind::kHardSigmoid, 1.0f / 6, 0.5f}), {{2, 16, 9, 9}});
  b.node("Conv", {"d", "wd2"}, {"y"}, conv(3, 2, 1, 16), {{2, 16, 5, 5}}).output("y");
  return b.build();
}

TEST_F(Cuda, ActivationMovedIntoDepthwiseLoads) { check(activations_before_depthwise()); }

TEST_F(Cuda, ActivationKeptWhenMovingIsOff) {  // feature off: each activation runs where it is
  BackendDiagnostics off;
  off.features_off = {"dw-input-act"};
  check(activations_before_depthwise(), off);
}

TEST_F(Cuda, DepthwiseStridedHardSwish) {
  GraphBuilder b;
  b.input("x", {2, 24, 15, 15}).weight("wd", {24, 1, 5, 5}).weight("bd", {24});
  b.node("Conv", {"x", "wd", "bd"}, {"y"}, conv(5, 2, 2, 24, {ir::ActKind::kHardSwish}), {{2, 24, 8, 8}}).output("y");
  check(b.build());
}

TEST_F(Cuda, SqueezeExcitePerChannelScale) {  // MobileNetV3's SE block
  GraphBuilder b;
  b.input("x", {2, 16, 7, 7}).weight("w1", {4, 16, 1, 1}).weight("b1", {4}).weight("w2", {16, 4, 1, 1}).weight("b2", {16});
  b.node("GlobalAveragePool", {"x"}, {"g"}, ir::GlobalPoolAttrs{ir::PoolKind::kAverage}, {{2, 16, 1, 1}});
  b.node("Conv", {"g", "w1", "b1"}, {"r"}, conv(1, 1, 0, 1, {ir::ActKind::kRelu}), {{2, 4, 1, 1}});
  b.node("Conv", {"r", "w2", "b2"}, {"s"}, conv(1, 1, 0, 1, {ir::ActKind::kHardSigmoid, 1.0f / 6, 0.5f}), {{2, 16, 1, 1}});
  b.node("Mul", {"x", "s"}, {"y"}, ir::BinaryAttrs{ir::BinaryOp::kMul}, {{2, 16, 7, 7}}).output("y");
  check(b.build());
}

TEST_F(Cuda, ClassifierTail) {  // GAP -> Flatten -> Gemm -> Softmax
  GraphBuilder b;
  b.input("x", {4, 32, 5, 5}).weight("w", {10, 32}).weight("bias", {10});
  b.node("GlobalAveragePool", {"x"}, {"g"}, ir::GlobalPoolAttrs{ir::PoolKind::kAverage}, {{4, 32, 1, 1}});
  b.node("Flatten", {"g"}, {"f"}, ir::FlattenAttrs{1}, {{4, 32}});
  ir::GemmAttrs ga;
  ga.trans_b = true;
  b.node("Gemm", {"f", "w", "bias"}, {"l"}, ga, {{4, 10}});
  b.node("Softmax", {"l"}, {"y"}, ir::SoftmaxAttrs{-1, false}, {{4, 10}}).output("y");
  check(b.build());
}

TEST_F(Cuda, FlattenOfSpatialTensorKeepsNchwOrder) {  // NHWC storage must not leak into a flatten
  GraphBuilder b;
  b.input("x", {2, 3, 4, 5}).weight("w", {6, 60});
  b.node("Flatten", {"x"}, {"f"}, ir::FlattenAttrs{1}, {{2, 60}});
  b.node("MatMul", {"f", "w"}, {"y"}, ir::MatMulAttrs{}, {{2, 6}}).output("y");
  ir::Graph g = b.build();
  g.initializers["w"] = optest::random_tensor({60, 6}, 7);
  g.values["w"].shape = {60, 6};
  check(g);
}

TEST_F(Cuda, PoolsConcatResizeTranspose) {
  GraphBuilder b;
  b.input("x", {2, 6, 12, 12});
  ir::PoolAttrs mp;
  mp.kind = ir::PoolKind::kMax;
  mp.kernel_shape = {3, 3}; mp.strides = {2, 2}; mp.pads = {1, 1, 1, 1}; mp.dilations = {1, 1};
  ir::PoolAttrs ap = mp;
  ap.kind = ir::PoolKind::kAverage;
  b.node("MaxPool", {"x"}, {"m"}, mp, {{2, 6, 6, 6}});
  b.node("AveragePool", {"x"}, {"a"}, ap, {{2, 6, 6, 6}});
  b.node("Concat", {"m", "a"}, {"c"}, ir::ConcatAttrs{1}, {{2, 12, 6, 6}});
  ir::ResizeAttrs rs;
  rs.mode = "linear";
  rs.scales = {1, 1, 2, 2};
  rs.sizes = {2, 12, 12, 12};
  b.node("Resize", {"c"}, {"r"}, rs, {{2, 12, 12, 12}});
  ir::ResizeAttrs rn = rs;
  rn.mode = "nearest";
  rn.coordinate_transformation_mode = "asymmetric";
  rn.nearest_mode = "floor";
  b.node("Resize", {"m"}, {"n"}, rn, {{2, 6, 12, 12}});
  b.node("Concat", {"r", "n"}, {"rc"}, ir::ConcatAttrs{1}, {{2, 18, 12, 12}});
  b.node("Transpose", {"rc"}, {"y"}, ir::TransposeAttrs{{0, 2, 3, 1}}, {{2, 12, 12, 18}}).output("y");
  check(b.build());
}

TEST_F(Cuda, BatchNormSigmoidAndBroadcastDiv) {
  GraphBuilder b;
  b.input("x", {2, 8, 5, 5}).weight("g", {8}).weight("be", {8}).weight("mu", {8}).weight("var", {8}, 0.5f, 2.0f).weight("d", {8, 1, 1}, 1.0f, 2.0f);
  b.node("BatchNormalization", {"x", "g", "be", "mu", "var"}, {"n"}, ir::BatchNormAttrs{1e-5f}, {{2, 8, 5, 5}});
  b.node("Sigmoid", {"n"}, {"s"}, act(ir::ActKind::kSigmoid), {{2, 8, 5, 5}});
  b.node("Div", {"s", "d"}, {"y"}, ir::BinaryAttrs{ir::BinaryOp::kDiv}, {{2, 8, 5, 5}}).output("y");
  check(b.build());
}

ir::ConvTransposeAttrs deconv(int64_t k, int64_t stride, std::vector<int64_t> pads, int64_t out_pad, int64_t group,
                              int64_t dilation = 1, ir::Epilogue e = {}) {
  ir::ConvTransposeAttrs a;
  a.kernel_shape = {k, k};
  a.strides = {stride, stride};
  a.pads = std::move(pads);
  a.dilations = {dilation, dilation};
  a.output_padding = {out_pad, out_pad};
  a.group = group;
  a.epilogue = e;
  return a;
}

TEST_F(Cuda, ConvTransposeFusedReluGroupedDilated) {  // fp16 NHWC filters, a following Relu fused
  GraphBuilder b;
  b.input("x", {2, 8, 5, 6}).weight("w", {8, 3, 3, 3}).weight("bias", {6});
  // out = 2 * (in - 1) + 1 + 2 * (3 - 1) + 1 - 1 - 1
  b.node("ConvTranspose", {"x", "w", "bias"}, {"d"}, deconv(3, 2, {1, 1, 1, 1}, 1, 2, 2), {{2, 6, 12, 14}});
  b.node("Relu", {"d"}, {"y"}, act(ir::ActKind::kRelu), {{2, 6, 12, 14}}).output("y");
  check(b.build());
}

TEST_F(Cuda, ConvTransposeAsymmetricPadsNoBias) {  // end pad < begin pad by less than the stride
  GraphBuilder b;
  b.input("x", {1, 4, 7, 7}).weight("w", {4, 5, 4, 4});
  // out = 2 * 6 + 0 + 4 - 2 - 1 = 13
  b.node("ConvTranspose", {"x", "w"}, {"y"}, deconv(4, 2, {2, 2, 1, 1}, 0, 1, 1, {ir::ActKind::kHardSwish}), {{1, 5, 13, 13}})
      .output("y");
  check(b.build());
}

TEST_F(Cuda, MatMul4DInBothLayouts) {  // fp16 keeps 4-D tensors NHWC: MatMul must see row-major
  GraphBuilder b;
  b.input("a", {2, 3, 4, 5}).input("b", {2, 3, 5, 6}).weight("w", {6, 7});
  b.node("MatMul", {"a", "b"}, {"ab"}, ir::MatMulAttrs{}, {{2, 3, 4, 6}});
  b.node("MatMul", {"ab", "w"}, {"abw"}, ir::MatMulAttrs{}, {{2, 3, 4, 7}});
  b.node("Relu", {"abw"}, {"y"}, act(ir::ActKind::kRelu), {{2, 3, 4, 7}}).output("y");
  check(b.build());
}

TEST_F(Cuda, MatMulBatchBroadcastOnBothSides) {  // [2,1,4,5] x [3,5,6]: both operands expanded
  GraphBuilder b;
  b.input("a", {2, 1, 4, 5}).input("b", {3, 5, 6}).input("c", {3, 2, 6}).weight("w", {1, 3, 6, 2});
  b.node("MatMul", {"a", "b"}, {"y"}, ir::MatMulAttrs{}, {{2, 3, 4, 6}}).output("y");
  b.node("MatMul", {"c", "w"}, {"z"}, ir::MatMulAttrs{}, {{1, 3, 2, 2}}).output("z");
  check(b.build());
}

TEST_F(Cuda, RefusesConvTransposePadsCudnnCannotExpress) {
  GraphBuilder b;
  b.input("x", {1, 4, 6, 6}).weight("w", {4, 4, 3, 3});
  // end pad 3 > begin pad 0 + output_padding 0: out = 2 * 5 + 3 - 3 = 10
  b.node("ConvTranspose", {"x", "w"}, {"y"}, deconv(3, 2, {0, 0, 3, 3}, 0, 1), {{1, 4, 10, 10}}).output("y");
  ir::Graph g = b.build();
  Status st = backend_->supports(g, g.nodes[0]);
  EXPECT_EQ(st.code(), StatusCode::kUnsupported);
  EXPECT_NE(st.message().find("cuDNN needs"), std::string::npos) << st.message();
}

TEST_F(Cuda, WrongInputShapeIsAnError) {
  GraphBuilder b;
  b.input("x", {1, 4, 3, 3});
  b.node("Relu", {"x"}, {"y"}, act(ir::ActKind::kRelu), {{1, 4, 3, 3}}).output("y");
  auto exe = backend_->compile(b.build(), {});
  ASSERT_TRUE(exe.is_ok()) << exe.status().message();
  Tensor in({1, 4, 3, 4}, DType::kFloat32), out({1, 4, 3, 3}, DType::kFloat32);
  std::vector<TensorView> i{in.view()}, o{out.view()};
  Status st = (*exe)->run(i, o);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("'x'"), std::string::npos) << st.message();
}

TEST_F(Cuda, RefusesWithAReason) {
  GraphBuilder b;
  b.input("x", {1, 4, 8, 8});
  ir::ResizeAttrs rs;
  rs.mode = "cubic";
  rs.scales = {1, 1, 2, 2};
  b.node("Resize", {"x"}, {"y"}, rs, {{1, 4, 16, 16}}).output("y");
  ir::Graph g = b.build();
  Status st = backend_->supports(g, g.nodes[0]);
  EXPECT_EQ(st.code(), StatusCode::kUnsupported);
  EXPECT_NE(st.message().find("cubic"), std::string::npos) << st.message();
  ir::Node other = g.nodes[0];
  other.op_type = "NonMaxSuppression";
  EXPECT_EQ(backend_->supports(g, other).code(), StatusCode::kUnsupported);
}

// ---- whole models vs onnxruntime (files from tests/models/make_models.py) ----
const std::vector<std::string> kModels = {"mobilenet_v1", "mobilenet_v2", "resnet18",    "mobilenet_v3",
                                          "paddle_style", "pytorch_style", "vit_style",   "dense_style"};

class CudaModels : public ::testing::TestWithParam<std::tuple<std::string, bool>> {};

TEST_P(CudaModels, MatchOnnxruntime) {
  if (auto b = make_backend("cuda"); !b.is_ok()) GTEST_SKIP() << "cuda: " << b.status().message();
  const auto& [model, fp16] = GetParam();
  const std::string stem = std::string(TANDEM_MODELS_DIR) + "/" + model;
  if (!std::filesystem::exists(stem + ".onnx")) GTEST_SKIP() << stem << ".onnx is missing (build tandem_models)";
  EngineOptions options;
  options.units = fp16 ? "cuda:0/fp16" : "cuda:0";
  auto engine = Engine::load(stem + ".onnx", options);
  ASSERT_TRUE(engine.is_ok()) << engine.status().message();
  for (int batch : {1, 3}) {
    SCOPED_TRACE("batch " + std::to_string(batch));
    auto input = read_npy(stem + ".input_b" + std::to_string(batch) + ".npy");
    auto want = read_npy(stem + ".output_b" + std::to_string(batch) + ".npy");
    ASSERT_TRUE(input.is_ok() && want.is_ok()) << input.status().message() << want.status().message();
    auto out = (*engine)->run({*input});
    ASSERT_TRUE(out.is_ok()) << out.status().message();
    if (fp16) {
      // The contract is kModelRelL2, or kIdealFp16Factor x the error of an ideal fp16-storage
      // engine where even that exceeds it: on these randomly weighted MobileNets, rounding the
      // weights and stored activations to fp16 alone (onnxruntime, fp32 math; make_models.py)
      // costs 1.0-1.2%.
      const double err = rel_l2(*want, (*out)[0]);
      double bound = kModelRelL2, ideal_err = 0.0;
      if (auto ideal = read_npy(stem + ".fp16ideal_b" + std::to_string(batch) + ".npy"); ideal.is_ok()) {
        ideal_err = rel_l2(*want, *ideal);
        bound = std::max(bound, optest::kIdealFp16Factor * ideal_err);
      }
      std::printf("%s fp16 batch %d: relative L2 error %.5f (ideal fp16 engine %.5f, bound %.5f)\n", model.c_str(), batch,
                  err, ideal_err, bound);
      EXPECT_LE(err, bound);
    } else {
      EXPECT_TRUE(optest::all_close(*want, (*out)[0], model));
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Models, CudaModels,
                         ::testing::Combine(::testing::ValuesIn(kModels), ::testing::Bool()),
                         [](const auto& info) {
                           return std::get<0>(info.param) + (std::get<1>(info.param) ? "_fp16" : "_fp32");
                         });

// Every kind of Conv plan (cuDNN conv + epilogue pass, cuDNN fused, cuBLASLt 1x1 product, im2col +
// cuBLASLt product, any of them on the input padded to 8 channels) must be right, not only the one
// this GPU measures fastest: BackendDiagnostics::force_conv_plan forces one kind wherever it
// applies, and the conv log (log_choices) must show that it ran on at least one conv. The bound is
// kForcedConvPlanFactor x the model contract (ops/tolerance.h says why).
class CudaConvPlans : public ::testing::TestWithParam<std::tuple<std::string, std::string>> {};

TEST_P(CudaConvPlans, MatchOnnxruntime) {
  if (auto b = make_backend("cuda"); !b.is_ok()) GTEST_SKIP() << "cuda: " << b.status().message();
  const auto& [model, plan] = GetParam();
  const std::string stem = std::string(TANDEM_MODELS_DIR) + "/" + model;
  if (!std::filesystem::exists(stem + ".onnx")) GTEST_SKIP() << stem << ".onnx is missing (build tandem_models)";
  EngineOptions options;
  options.units = "cuda:0/fp16";
  options.diagnostics.force_conv_plan = plan;
  options.diagnostics.log_choices = true;
  auto engine = Engine::load(stem + ".onnx", options);
  ASSERT_TRUE(engine.is_ok()) << engine.status().message();
  auto input = read_npy(stem + ".input_b3.npy");
  auto want = read_npy(stem + ".output_b3.npy");
  ASSERT_TRUE(input.is_ok() && want.is_ok()) << input.status().message() << want.status().message();
  ::testing::internal::CaptureStderr();
  auto out = (*engine)->run({*input});  // compiles here, with the plan forced
  const std::string conv_log = ::testing::internal::GetCapturedStderr();
  ASSERT_TRUE(out.is_ok()) << out.status().message();
  EXPECT_NE(conv_log.find(" -> " + plan), std::string::npos) << "no conv ran a '" << plan << "' plan:\n" << conv_log;
  const double err = rel_l2(*want, (*out)[0]);
  std::printf("%s fp16 batch 3, conv plan %s: relative L2 error %.5f\n", model.c_str(), plan.c_str(), err);
  EXPECT_LE(err, optest::kForcedConvPlanFactor * kModelRelL2);
}

std::string plan_test_name(const ::testing::TestParamInfo<std::tuple<std::string, std::string>>& info) {
  std::string p = std::get<1>(info.param);
  for (char& c : p)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return std::get<0>(info.param) + "_" + p;
}

// ResNet-18 has no stride-1 1x1 conv, so no gemm-lt plan applies to it.
INSTANTIATE_TEST_SUITE_P(Plans, CudaConvPlans,
                         ::testing::Values(std::make_tuple("mobilenet_v2", "conv+epilogue"), std::make_tuple("mobilenet_v2", "fused"),
                                           std::make_tuple("mobilenet_v2", "gemm-lt"), std::make_tuple("mobilenet_v2", "im2col-lt"),
                                           std::make_tuple("mobilenet_v2", "c8-"), std::make_tuple("resnet18", "conv+epilogue"),
                                           std::make_tuple("resnet18", "fused"), std::make_tuple("resnet18", "im2col-lt"),
                                           std::make_tuple("resnet18", "c8-")),
                         plan_test_name);

// The choice cache: a second engine of the same model in the process runs the convs' plans the
// first one timed ("chosen before" in the conv log, no timing), so its outputs are those of the
// same kernels; with the feature "choice-cache" off every compile is timed afresh.
int count_of(const std::string& text, const std::string& what) {
  int n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size())) ++n;
  return n;
}

TEST(CudaChoiceCache, SecondEngineRunsTheSamePlans) {
  if (auto b = make_backend("cuda"); !b.is_ok()) GTEST_SKIP() << "cuda: " << b.status().message();
  const std::string stem = std::string(TANDEM_MODELS_DIR) + "/resnet18";
  if (!std::filesystem::exists(stem + ".onnx")) GTEST_SKIP() << stem << ".onnx is missing (build tandem_models)";
  auto input = read_npy(stem + ".input_b3.npy");
  auto want = read_npy(stem + ".output_b3.npy");
  ASSERT_TRUE(input.is_ok() && want.is_ok()) << input.status().message() << want.status().message();
  // One compile and run of a fresh engine: the conv log and the output.
  auto compile_and_run = [&](std::string& conv_log, bool cache = true) -> Tensor {
    EngineOptions options;
    options.units = "cuda:0/fp16";
    options.diagnostics.log_choices = true;
    if (!cache) options.diagnostics.features_off = {"choice-cache"};
    auto engine = Engine::load(stem + ".onnx", options);
    EXPECT_TRUE(engine.is_ok()) << engine.status().message();
    if (!engine.is_ok()) return Tensor();
    ::testing::internal::CaptureStderr();
    auto out = (*engine)->run({*input});
    conv_log = ::testing::internal::GetCapturedStderr();
    EXPECT_TRUE(out.is_ok()) << out.status().message();
    return out.is_ok() ? (*out)[0] : Tensor();
  };
  std::string first_log, second_log, off_log;
  const Tensor first = compile_and_run(first_log);
  const Tensor second = compile_and_run(second_log);
  // Every conv with several plans logs one " -> " line: timed, or chosen before.
  const int convs = count_of(first_log, " -> ");
  ASSERT_GT(convs, 0) << first_log;
  EXPECT_EQ(count_of(second_log, "chosen before -> "), convs) << second_log;
  EXPECT_EQ(count_of(second_log, " find "), 0) << "cuDNN's Find ran again:\n" << second_log;
  ASSERT_EQ(first.numel(), second.numel());
  EXPECT_LE(rel_l2(first, second), optest::kSameKernelsRelL2) << "the second engine ran other kernels";
  EXPECT_LE(rel_l2(*want, second), kModelRelL2);
  const Tensor fresh = compile_and_run(off_log, false);
  EXPECT_EQ(count_of(off_log, "chosen before"), 0) << off_log;
  EXPECT_EQ(count_of(off_log, " -> "), convs) << off_log;
  EXPECT_LE(rel_l2(*want, fresh), kModelRelL2);
}

// The choice cache across processes: a second `tandem run` reads the first one's cache file and
// times nothing; with TANDEM_CACHE_DIR=none nothing is read or kept on disk.
std::string stderr_of(const std::string& command, int& rc) {
  std::string out;
  FILE* p = ::popen((command + " 2>&1 >/dev/null").c_str(), "r");
  if (!p) {
    rc = -1;
    return out;
  }
  char buf[4096];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
  rc = ::pclose(p);
  return out;
}

TEST(CudaChoiceCache, LaterProcessReadsTheFile) {
  if (auto b = make_backend("cuda"); !b.is_ok()) GTEST_SKIP() << "cuda: " << b.status().message();
  const std::string model = std::string(TANDEM_MODELS_DIR) + "/resnet18.onnx";
  if (!std::filesystem::exists(model)) GTEST_SKIP() << model << " is missing (build tandem_models)";
  const auto dir = std::filesystem::temp_directory_path() / ("tandem_choices_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  const std::string run = std::string(TANDEM_BINARY) + " run " + model + " --units cuda:0/fp16 --batch 3 --iterations 1";
  int rc = 0;
  const std::string first = stderr_of("TANDEM_CUDA_CONV_LOG=1 TANDEM_CACHE_DIR=" + dir.string() + " " + run, rc);
  ASSERT_EQ(rc, 0) << first;
  const int convs = count_of(first, " -> ");
  ASSERT_GT(convs, 0) << first;
  EXPECT_GT(count_of(first, " find "), 0) << first;
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(dir)) files.push_back(e.path());
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files[0].filename().string().rfind("cuda-choices-v", 0), 0u) << files[0];
  const std::string second = stderr_of("TANDEM_CUDA_CONV_LOG=1 TANDEM_CACHE_DIR=" + dir.string() + " " + run, rc);
  ASSERT_EQ(rc, 0) << second;
  EXPECT_EQ(count_of(second, "chosen before -> "), convs) << second;
  EXPECT_EQ(count_of(second, " find "), 0) << "cuDNN's Find ran again:\n" << second;
  // Without a file a process times like the first one did: Find for every conv problem, and
  // "chosen before" only where the model repeats a conv (the memo within the process).
  const std::string none = stderr_of("TANDEM_CUDA_CONV_LOG=1 TANDEM_CACHE_DIR=none " + run, rc);
  ASSERT_EQ(rc, 0) << none;
  EXPECT_EQ(count_of(none, " find "), count_of(first, " find ")) << none;
  EXPECT_EQ(count_of(none, "chosen before"), count_of(first, "chosen before")) << none;
  EXPECT_LT(count_of(first, "chosen before"), convs) << first;
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace tandem
