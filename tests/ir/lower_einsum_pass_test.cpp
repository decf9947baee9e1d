// lower_einsum: the batched-product equations exporters write become Transpose + MatMul.
#include "ir/passes/passes.h"
#include "pass_test_util.h"

namespace tandem::ir {
namespace {

using pass_test::expect_same_outputs;
using pass_test::find_node;
using pass_test::GraphBuilder;

Graph einsum_graph(const std::string& eq, const Shape& a, const Shape& b, const Shape& y) {
  auto attrs = parse_einsum_equation(eq, 2);
  EXPECT_TRUE(attrs.is_ok()) << attrs.status().to_string();
  GraphBuilder g;
  g.input("a", a).input("b", b);
  g.node("Einsum", {"a", "b"}, "y", y, *attrs);
  return g.output("y").build();
}

TEST(LowerEinsumPass, AttentionScoresTransposeTheSecondOperand) {
  Graph before = einsum_graph("bhid,bhjd->bhij", {2, 3, 4, 5}, {2, 3, 6, 5}, {2, 3, 4, 6});
  Graph after = before;
  ASSERT_TRUE(lower_einsum(after).is_ok());
  EXPECT_EQ(count_ops(after), (std::map<std::string, int>{{"MatMul", 1}, {"Transpose", 1}}));
  EXPECT_EQ(std::get<TransposeAttrs>(find_node(after, "Transpose")->attrs).perm, (std::vector<int64_t>{0, 1, 3, 2}));
  expect_same_outputs(before, after);
}

TEST(LowerEinsumPass, PlainBatchedProductIsOneMatMul) {
  Graph before = einsum_graph("bhij,bhjd->bhid", {2, 3, 4, 6}, {2, 3, 6, 5}, {2, 3, 4, 5});
  Graph after = before;
  ASSERT_TRUE(lower_einsum(after).is_ok());
  EXPECT_EQ(count_ops(after), (std::map<std::string, int>{{"MatMul", 1}}));
  EXPECT_EQ(find_node(after, "MatMul")->inputs, (std::vector<std::string>{"a", "b"}));
  expect_same_outputs(before, after);
}

TEST(LowerEinsumPass, TransposedFirstOperandAndOutput) {
  Graph before = einsum_graph("nct,ncp->ntp", {2, 3, 4}, {2, 3, 5}, {2, 4, 5});
  Graph after = before;
  ASSERT_TRUE(lower_einsum(after).is_ok());
  EXPECT_EQ(count_ops(after), (std::map<std::string, int>{{"MatMul", 1}, {"Transpose", 1}}));
  expect_same_outputs(before, after);
  Graph swapped = einsum_graph("bij,bjk->bki", {2, 3, 4}, {2, 4, 5}, {2, 5, 3});  // output transposed
  Graph lowered = swapped;
  ASSERT_TRUE(lower_einsum(lowered).is_ok());
  EXPECT_EQ(count_ops(lowered), (std::map<std::string, int>{{"MatMul", 1}, {"Transpose", 1}}));
  expect_same_outputs(swapped, lowered);
}

TEST(LowerEinsumPass, OtherEquationsStay) {
  struct Case { std::string eq; Shape a, b, y; };
  const Case cases[] = {
      {"ij,ij->ij", {3, 4}, {3, 4}, {3, 4}},                        // elementwise: nothing contracted
      {"ij,kj->", {3, 4}, {5, 4}, {}},                              // everything summed
      {"...ij,...jk->...ik", {2, 3, 4}, {2, 4, 5}, {2, 3, 5}},      // an ellipsis
      {"ijk,jl->il", {3, 4, 2}, {4, 5}, {3, 5}},                    // k summed over A alone
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.eq);
    Graph g = einsum_graph(c.eq, c.a, c.b, c.y);
    ASSERT_TRUE(lower_einsum(g).is_ok());
    EXPECT_EQ(count_ops(g), (std::map<std::string, int>{{"Einsum", 1}}));
  }
}

}  // namespace
}  // namespace tandem::ir
