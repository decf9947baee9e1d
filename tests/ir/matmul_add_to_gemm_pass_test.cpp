#include "ir/passes/passes.h"
#include "pass_test_util.h"

namespace tandem::ir {
namespace {

using pass_test::expect_same_outputs;
using pass_test::GraphBuilder;

// a [4,8] x w [8,5] + bias (shape given) -> y [4,5].
GraphBuilder matmul_add(const Shape& bias_shape, bool bias_first = false) {
  GraphBuilder b;
  b.input("a", {4, 8}).weight("w", {8, 5}).weight("bias", bias_shape);
  b.node("MatMul", {"a", "w"}, "mm", {4, 5}, MatMulAttrs{});
  b.binary("Add", bias_first ? std::vector<std::string>{"bias", "mm"} : std::vector<std::string>{"mm", "bias"}, "y",
           {4, 5});
  b.output("y");
  return b;
}

TEST(MatMulAddToGemmPass, VectorBias) {
  Graph before = matmul_add({5}).build();
  Graph after = before;
  ASSERT_TRUE(matmul_add_to_gemm(after).is_ok());
  EXPECT_EQ(count_ops(after), (std::map<std::string, int>{{"Gemm", 1}}));
  const Node& gemm = after.nodes[0];
  EXPECT_EQ(gemm.inputs, (std::vector<std::string>{"a", "w", "bias"}));
  EXPECT_EQ(gemm.outputs, std::vector<std::string>{"y"});
  ASSERT_TRUE(std::holds_alternative<GemmAttrs>(gemm.attrs));
  EXPECT_EQ(after.values.count("mm"), 0u);
  expect_same_outputs(before, after);
}

TEST(MatMulAddToGemmPass, RowBiasFirstOperand) {
  Graph before = matmul_add({1, 5}, /*bias_first=*/true).build();
  Graph after = before;
  ASSERT_TRUE(matmul_add_to_gemm(after).is_ok());
  EXPECT_EQ(count_ops(after), (std::map<std::string, int>{{"Gemm", 1}}));
  const std::string& bias = after.nodes[0].inputs[2];
  ASSERT_TRUE(after.is_constant(bias));
  EXPECT_EQ(after.constant(bias)->shape(), (Shape{5}));
  EXPECT_EQ(after.initializers.count("bias"), 0u);  // the [1,5] original is no longer read
  expect_same_outputs(before, after);
}

TEST(MatMulAddToGemmPass, ScalarBias) {
  Graph before = matmul_add({1}).build();
  Graph after = before;
  ASSERT_TRUE(matmul_add_to_gemm(after).is_ok());
  EXPECT_EQ(count_ops(after), (std::map<std::string, int>{{"Gemm", 1}}));
  expect_same_outputs(before, after);
}

TEST(MatMulAddToGemmPass, FullMatrixBiasIsLeftAlone) {
  Graph g = matmul_add({4, 5}).build();
  ASSERT_TRUE(matmul_add_to_gemm(g).is_ok());
  EXPECT_EQ(count_ops(g), (std::map<std::string, int>{{"Add", 1}, {"MatMul", 1}}));
}

// The transformer's linear layer: [B, N, C] x [C, D] + bias[D] -> MatMul with the bias.
TEST(MatMulAddToGemmPass, BatchedMatMulTakesTheBias) {
  for (const Shape& bias_shape : {Shape{5}, Shape{1, 1, 5}, Shape{1}}) {
    SCOPED_TRACE(shape_to_string(bias_shape));
    GraphBuilder b;
    b.input("a", {2, 4, 8}).weight("w", {8, 5}).weight("bias", bias_shape);
    b.node("MatMul", {"a", "w"}, "mm", {2, 4, 5}, MatMulAttrs{});
    b.binary("Add", {"bias", "mm"}, "y", {2, 4, 5}).output("y");
    Graph before = b.build();
    Graph after = before;
    ASSERT_TRUE(matmul_add_to_gemm(after).is_ok());
    EXPECT_EQ(count_ops(after), (std::map<std::string, int>{{"MatMul", 1}}));
    const Node& mm = after.nodes[0];
    EXPECT_TRUE(std::get<MatMulAttrs>(mm.attrs).has_bias);
    ASSERT_EQ(mm.inputs.size(), 3u);
    EXPECT_EQ(after.constant(mm.inputs[2])->shape(), (Shape{5}));
    EXPECT_EQ(mm.outputs, std::vector<std::string>{"y"});
    expect_same_outputs(before, after);
  }
}

// The MLP: MatMul + bias + activation -> one MatMul with bias and epilogue.
TEST(MatMulAddToGemmPass, BatchedMatMulBiasThenActivationFuse) {
  GraphBuilder b;
  b.input("a", {2, 4, 8}).weight("w", {8, 5}).weight("bias", {5});
  b.node("MatMul", {"a", "w"}, "mm", {2, 4, 5}, MatMulAttrs{});
  b.binary("Add", {"mm", "bias"}, "z", {2, 4, 5});
  b.node("Relu", {"z"}, "y", {2, 4, 5}, pass_test::act(ActKind::kRelu)).output("y");
  Graph before = b.build();
  Graph after = before;
  ASSERT_TRUE(run_passes(after).is_ok());
  EXPECT_EQ(count_ops(after), (std::map<std::string, int>{{"MatMul", 1}}));
  const auto& attrs = std::get<MatMulAttrs>(after.nodes[0].attrs);
  EXPECT_TRUE(attrs.has_bias);
  EXPECT_EQ(attrs.epilogue.kind, ActKind::kRelu);
  expect_same_outputs(before, after);
}

TEST(MatMulAddToGemmPass, BiasOverAnotherDimIsLeftAlone) {
  GraphBuilder b;
  b.input("a", {2, 4, 8}).weight("w", {8, 5}).weight("bias", {4, 1});  // per row, not per column
  b.node("MatMul", {"a", "w"}, "mm", {2, 4, 5}, MatMulAttrs{});
  b.binary("Add", {"mm", "bias"}, "y", {2, 4, 5}).output("y");
  Graph g = b.build();
  ASSERT_TRUE(matmul_add_to_gemm(g).is_ok());
  EXPECT_EQ(count_ops(g), (std::map<std::string, int>{{"Add", 1}, {"MatMul", 1}}));
}

TEST(MatMulAddToGemmPass, RuntimeWeightTakesTheBiasRuntimeBiasStays) {
  GraphBuilder b;
  b.input("a", {4, 8}).input("w", {8, 5}).weight("bias", {5});
  b.node("MatMul", {"a", "w"}, "mm", {4, 5}, MatMulAttrs{});
  b.binary("Add", {"mm", "bias"}, "y", {4, 5}).output("y");
  Graph before = b.build();
  Graph g = before;
  ASSERT_TRUE(matmul_add_to_gemm(g).is_ok());
  // Not a Gemm (B is not a constant), but the MatMul takes the constant bias.
  EXPECT_EQ(count_ops(g), (std::map<std::string, int>{{"MatMul", 1}}));
  expect_same_outputs(before, g);

  GraphBuilder c;
  c.input("a", {4, 8}).weight("w", {8, 5}).input("bias", {5});
  c.node("MatMul", {"a", "w"}, "mm", {4, 5}, MatMulAttrs{});
  c.binary("Add", {"mm", "bias"}, "y", {4, 5}).output("y");
  Graph h = c.build();
  ASSERT_TRUE(matmul_add_to_gemm(h).is_ok());
  EXPECT_EQ(count_ops(h), (std::map<std::string, int>{{"Add", 1}, {"MatMul", 1}}));  // a runtime bias stays
}

TEST(MatMulAddToGemmPass, MatMulOutputReadTwiceIsLeftAlone) {
  Graph g = matmul_add({5}).output("mm").build();
  ASSERT_TRUE(matmul_add_to_gemm(g).is_ok());
  EXPECT_EQ(count_ops(g), (std::map<std::string, int>{{"Add", 1}, {"MatMul", 1}}));
}

TEST(MatMulAddToGemmPass, MatMulFollowedBySubIsLeftAlone) {
  GraphBuilder b;
  b.input("a", {4, 8}).weight("w", {8, 5}).weight("bias", {5});
  b.node("MatMul", {"a", "w"}, "mm", {4, 5}, MatMulAttrs{});
  b.binary("Sub", {"mm", "bias"}, "y", {4, 5}).output("y");
  Graph g = b.build();
  ASSERT_TRUE(matmul_add_to_gemm(g).is_ok());
  EXPECT_EQ(count_ops(g)["MatMul"], 1);
}

}  // namespace
}  // namespace tandem::ir
