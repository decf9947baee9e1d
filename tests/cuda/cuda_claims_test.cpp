// What the CUDA backend refuses, with the reason, asked through backend_supports(): no device is
// needed, so these run on CI too. (Its results are in the op-test matrix, tests/ops.)
#include <gtest/gtest.h>

#include "ops/op_test_util.h"

namespace tandem {
namespace {

using optest::GraphBuilder;

class CudaClaims : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto t = backend_op_types("cuda"); !t.is_ok()) GTEST_SKIP() << "cuda: " << t.status().message();
  }
  static Status claim(const ir::Graph& g, const ir::Node& n) { return backend_supports("cuda", g, n); }
};

TEST_F(CudaClaims, RefusesLayerNormStatisticsThatAreUsed) {
  GraphBuilder b;
  b.input("x", {2, 8}).weight("scale", {8});
  b.node("LayerNormalization", {"x", "scale"}, {"y", "mean"}, ir::LayerNormAttrs{1, 1e-5f, 1}, {{2, 8}, {2, 1}});
  b.output("y").output("mean");
  ir::Graph g = b.build();
  const Status st = claim(g, g.nodes[0]);
  EXPECT_EQ(st.code(), StatusCode::kUnsupported);
  EXPECT_NE(st.message().find("is used"), std::string::npos) << st.message();
}

TEST_F(CudaClaims, RefusesAMatMulRuntimeBias) {
  GraphBuilder g;
  g.input("a", {2, 4, 8}).weight("w", {8, 6}).input("bias", {6});
  g.node("MatMul", {"a", "w", "bias"}, {"y"}, ir::MatMulAttrs{true, {}}, {{2, 4, 6}}).output("y");
  const ir::Graph graph = g.build();
  const Status st = claim(graph, graph.nodes[0]);
  EXPECT_EQ(st.code(), StatusCode::kUnsupported) << st.message();
}

TEST_F(CudaClaims, RefusesCastToOtherTypes) {
  GraphBuilder g;
  g.input("x", {2, 8});
  g.value("i", {2, 8}, DType::kInt64).value("h", {2, 8}, DType::kFloat16);
  g.node("Cast", {"x"}, {"i"}, ir::CastAttrs{DType::kInt64}, {{2, 8}});
  g.node("Cast", {"x"}, {"h"}, ir::CastAttrs{DType::kFloat16}, {{2, 8}});
  g.node("Cast", {"i"}, {"y"}, ir::CastAttrs{DType::kFloat32}, {{2, 8}}).output("y");
  const ir::Graph graph = g.build();
  for (const auto& n : graph.nodes) {
    const Status st = claim(graph, n);
    EXPECT_EQ(st.code(), StatusCode::kUnsupported) << n.name << ": " << st.message();
  }
}

}  // namespace
}  // namespace tandem
