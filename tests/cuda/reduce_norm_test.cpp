// CUDA Reduce* and LayerNormalization in every precision (fp16: 4-D tensors stored NHWC) against
// the reference backend, within the precision's row of the tolerance table (ops/tolerance.h).
// Covers each kernel path: a warp or a block per output over a contiguous run, 32 neighbouring
// outputs per block (the SE mean over H, W of NHWC), one thread per output; layer norm on
// contiguous rows (a warp or a block per row) and on NHWC storage. Skipped without a device.
#include <gtest/gtest.h>

#include <algorithm>

#include "ops/op_test_util.h"

namespace tandem {
namespace {

using optest::GraphBuilder;
class CudaReduceNorm : public ::testing::Test {
 protected:
  void SetUp() override {
    auto b = make_backend("cuda");
    if (!b.is_ok()) GTEST_SKIP() << "cuda: " << b.status().message();
    backend_ = std::move(*b);
  }
  void check(const ir::Graph& g) {
    SCOPED_TRACE(ir::graph_to_string(g));
    const auto inputs = optest::random_inputs(g);
    auto ref = optest::run_on("reference", g, inputs);
    ASSERT_TRUE(ref.is_ok()) << ref.status().message();
    for (Precision p : {Precision::kFloat32, Precision::kFloat16, Precision::kTF32}) {
      UnitOptions o;
      o.precision = p;
      auto got = optest::run_on(*backend_, g, inputs, o);
      ASSERT_TRUE(got.is_ok()) << got.status().message();
      const optest::Tolerance tol = optest::tolerance(p, optest::OpClass::kArithmetic);
      for (size_t i = 0; i < g.outputs.size(); ++i)
        EXPECT_TRUE(optest::within(tol, (*ref)[i], (*got)[i], std::string(optest::precision_name(p)) + " '" + g.outputs[i] + "'"));
    }
  }
  std::unique_ptr<Backend> backend_;
};

ir::ReduceAttrs reduce(ir::ReduceKind k, std::vector<int64_t> axes, bool keepdims) {
  ir::ReduceAttrs a;
  a.kind = k;
  a.axes = std::move(axes);
  a.keepdims = keepdims;
  return a;
}

ir::Graph reduce_graph(ir::ReduceKind k, const Shape& in, std::vector<int64_t> axes, bool keepdims) {
  Shape out;
  for (size_t d = 0; d < in.size(); ++d) {
    const bool r = std::find(axes.begin(), axes.end(), static_cast<int64_t>(d)) != axes.end();
    if (!r) out.push_back(in[d]);
    else if (keepdims) out.push_back(1);
  }
  return GraphBuilder()
      .input("x", in)
      .node(ir::reduce_op_type(k), {"x"}, {"y"}, reduce(k, std::move(axes), keepdims), {out})
      .output("y")
      .build();
}

TEST_F(CudaReduceNorm, SqueezeExcitationMeanKeepdims) {  // NHWC in fp16: 32 channels per block
  check(reduce_graph(ir::ReduceKind::kMean, {3, 72, 14, 14}, {2, 3}, true));
  check(reduce_graph(ir::ReduceKind::kMean, {1, 40, 28, 28}, {2, 3}, true));  // groups of 784
}

TEST_F(CudaReduceNorm, MeanOverHWToTwoDims) {  // ShuffleNetV2's x.mean([2, 3]): NHWC in, row-major out
  check(reduce_graph(ir::ReduceKind::kMean, {2, 24, 7, 7}, {2, 3}, false));
}

TEST_F(CudaReduceNorm, EachKindOverChannelsAndLastAxis) {
  using K = ir::ReduceKind;
  for (K k : {K::kSum, K::kMean, K::kMax, K::kMin, K::kL1, K::kL2, K::kSumSquare, K::kLogSumExp}) {
    SCOPED_TRACE(ir::reduce_op_type(k));
    check(reduce_graph(k, {2, 16, 5, 6}, {1}, true));   // NHWC: the innermost stored dim
    check(reduce_graph(k, {2, 16, 5, 6}, {3}, false));  // NHWC: a strided dim
    check(reduce_graph(k, {4, 7, 96}, {2}, true));      // row-major: a warp per row
  }
}

TEST_F(CudaReduceNorm, LargeGroupsAndAllAxes) {
  check(reduce_graph(ir::ReduceKind::kSum, {2, 8, 30, 30}, {0, 1, 2, 3}, false));
  check(reduce_graph(ir::ReduceKind::kMax, {3, 5000}, {1}, true));
  check(reduce_graph(ir::ReduceKind::kMean, {2, 3, 4, 5, 6}, {0, 2, 4}, false));  // rank 5: row-major
}

ir::Graph layer_norm_graph(const Shape& x, int64_t axis, bool runtime_params) {
  const Shape inner(x.begin() + axis, x.end());
  GraphBuilder b;
  b.input("x", x);
  if (runtime_params) b.input("scale", inner).input("bias", inner);
  else b.weight("scale", inner, 0.5f, 1.5f).weight("bias", inner);
  return b.node("LayerNormalization", {"x", "scale", "bias"}, {"y"}, ir::LayerNormAttrs{axis, 1e-5f, 1}, {x})
      .output("y")
      .build();
}

TEST_F(CudaReduceNorm, LayerNormRows) {
  check(layer_norm_graph({2, 197, 192}, 2, false));  // ViT-Tiny tokens: a warp per row
  check(layer_norm_graph({2, 5, 1536}, 2, false));   // a block per row
  check(layer_norm_graph({2, 7, 64}, 2, true));      // Scale and B converted from the unit's type
}

TEST_F(CudaReduceNorm, LayerNormOnNhwcStorage) {  // 4-D: NHWC in fp16, addressed through strides
  check(layer_norm_graph({2, 7, 7, 48}, 3, false));
  check(layer_norm_graph({2, 6, 5, 4}, 1, false));
  check(layer_norm_graph({2, 6, 5, 4}, 2, true));
}

TEST_F(CudaReduceNorm, RefusesUsedStatistics) {
  GraphBuilder b;
  b.input("x", {2, 8}).weight("scale", {8});
  b.node("LayerNormalization", {"x", "scale"}, {"y", "mean"}, ir::LayerNormAttrs{1, 1e-5f, 1}, {{2, 8}, {2, 1}});
  b.output("y").output("mean");
  ir::Graph g = b.build();
  const Status st = backend_->supports(g, g.nodes[0]);
  EXPECT_EQ(st.code(), StatusCode::kUnsupported);
  EXPECT_NE(st.message().find("is used"), std::string::npos) << st.message();
}

}  // namespace
}  // namespace tandem
