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

// Cast to float16 of a float32 tensor is claimed (fp16 outputs: it leaves the unit as fp16);
// casts to integers, and casts of integer or float16 tensors, are not.
TEST_F(CudaClaims, RefusesCastToOtherTypes) {
  GraphBuilder g;
  g.input("x", {2, 8});
  g.value("i", {2, 8}, DType::kInt64).value("h", {2, 8}, DType::kFloat16);
  g.node("Cast", {"x"}, {"i"}, ir::CastAttrs{DType::kInt64}, {{2, 8}});
  g.node("Cast", {"x"}, {"h"}, ir::CastAttrs{DType::kFloat16}, {{2, 8}});
  g.node("Cast", {"i"}, {"y"}, ir::CastAttrs{DType::kFloat32}, {{2, 8}}).output("y");
  g.node("Cast", {"h"}, {"z"}, ir::CastAttrs{DType::kFloat32}, {{2, 8}}).output("z");
  const ir::Graph graph = g.build();
  for (const auto& n : graph.nodes) {
    const Status st = claim(graph, n);
    if (n.outputs[0] == "h") {
      EXPECT_TRUE(st.is_ok()) << n.name << ": " << st.message();
      continue;
    }
    EXPECT_EQ(st.code(), StatusCode::kUnsupported) << n.name << ": " << st.message();
  }
}

// ArgMax of float32 data is claimed (int64 indices); of int64 data it is not.
TEST_F(CudaClaims, ClaimsArgMaxOfFloatOnly) {
  GraphBuilder g;
  g.input("x", {2, 5, 3, 3}).input("k", {2, 5}, DType::kInt64);
  g.value("a", {2, 3, 3}, DType::kInt64).value("b", {2}, DType::kInt64);
  g.node("ArgMax", {"x"}, {"a"}, ir::ArgMaxAttrs{1, false, false}, {{2, 3, 3}}).output("a");
  g.node("ArgMax", {"k"}, {"b"}, ir::ArgMaxAttrs{1, false, false}, {{2}}).output("b");
  const ir::Graph graph = g.build();
  EXPECT_TRUE(claim(graph, graph.nodes[0]).is_ok()) << claim(graph, graph.nodes[0]).message();
  EXPECT_EQ(claim(graph, graph.nodes[1]).code(), StatusCode::kUnsupported);
}

}  // namespace
}  // namespace tandem
