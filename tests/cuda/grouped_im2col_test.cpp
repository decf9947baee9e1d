// Grouped convs as one batched cuBLASLt product over the groups after a grouped im2col
// ("im2col-lt-g", conv_gemm.h): forced on graphs that reach both im2col kernels (16-byte vectors
// when a group's channels are a multiple of 8, single halves otherwise), with stride, bias,
// a fused Relu and a residual Add, in fp16 against the reference backend on fresh random inputs.
// The conv log must show the plan ran. Skipped with one line without a GPU.
#include <gtest/gtest.h>

#include "ops/op_test_util.h"

namespace tandem {
namespace {

using optest::GraphBuilder;

struct GroupedCase {
  int64_t n = 1, c = 32, hw = 9, oc = 32, group = 2, stride = 1;
  bool bias = true, relu = true, residual = false;
};

ir::Graph grouped_graph(const GroupedCase& g) {
  GraphBuilder b;
  const int64_t o = (g.hw + 2 - 3) / g.stride + 1;
  b.input("x", {g.n, g.c, g.hw, g.hw}).weight("w", {g.oc, g.c / g.group, 3, 3}, -0.3f, 0.3f);
  std::vector<std::string> in = {"x", "w"};
  if (g.bias) {
    b.weight("b", {g.oc});
    in.push_back("b");
  }
  ir::ConvAttrs a{{3, 3}, {g.stride, g.stride}, {1, 1, 1, 1}, {1, 1}, g.group};
  if (g.relu && !g.residual) a.epilogue = ir::Epilogue{ir::ActKind::kRelu};
  b.node("Conv", in, {"y"}, a, {{g.n, g.oc, o, o}});
  std::string out = "y";
  if (g.residual) {
    b.input("r", {g.n, g.oc, o, o});
    b.node("Add", {"y", "r"}, {"s"}, ir::BinaryAttrs{ir::BinaryOp::kAdd}, {{g.n, g.oc, o, o}});
    b.node("Relu", {"s"}, {"z"}, ir::ActivationAttrs{ir::Epilogue{ir::ActKind::kRelu}}, {{g.n, g.oc, o, o}});
    out = "z";
  }
  return b.output(out).build();
}

class CudaGroupedIm2col : public ::testing::Test {
 protected:
  void SetUp() override {
    auto b = make_backend("cuda");
    if (!b.is_ok()) GTEST_SKIP() << "cuda: " << b.status().message();
    backend_ = std::move(*b);
  }
  void check(const GroupedCase& c) {
    const ir::Graph g = grouped_graph(c);
    SCOPED_TRACE(ir::graph_to_string(g));
    const auto inputs = optest::random_inputs(g, 4321);
    auto ref = optest::run_on("reference", g, inputs);
    ASSERT_TRUE(ref.is_ok()) << ref.status().message();
    UnitOptions o;
    o.precision = Precision::kFloat16;
    o.diagnostics.force_conv_plan = "im2col-lt-g";
    o.diagnostics.log_choices = true;
    o.diagnostics.features_off = {"choice-cache"};
    ::testing::internal::CaptureStderr();
    auto got = optest::run_on(*backend_, g, inputs, o);
    const std::string log = ::testing::internal::GetCapturedStderr();
    ASSERT_TRUE(got.is_ok()) << got.status().message();
    EXPECT_NE(log.find("-> im2col-lt-g"), std::string::npos) << "the grouped plan did not run:\n" << log;
    EXPECT_TRUE(optest::within(optest::tolerance(Precision::kFloat16, optest::OpClass::kArithmetic), (*ref)[0],
                               (*got)[0], "fp16 im2col-lt-g"));
  }
  std::unique_ptr<Backend> backend_;
};

TEST_F(CudaGroupedIm2col, SixteenChannelGroupsVectorised) { check({.n = 2, .c = 32, .oc = 32, .group = 2}); }
TEST_F(CudaGroupedIm2col, FourChannelGroupsStrided) { check({.n = 2, .c = 16, .hw = 11, .oc = 32, .group = 4, .stride = 2}); }
TEST_F(CudaGroupedIm2col, NoBiasNoActivation) { check({.c = 64, .oc = 64, .group = 8, .bias = false, .relu = false}); }
TEST_F(CudaGroupedIm2col, ResidualAndRelu) { check({.n = 3, .c = 48, .oc = 48, .group = 3, .residual = true}); }

}  // namespace
}  // namespace tandem
