// Attention of the op-test matrix: FusedAttention (the pass's softmax(scale * Q K^T + bias) V)
// and Einsum, in every column (cpu; cuda fp32, tf32, fp16) against the reference backend
// (ops/op_matrix.h). The cpu unit runs Einsum through its reference fallback; cuda has no
// Einsum and may refuse it.
#include <gtest/gtest.h>

#include "ir/ops/einsum.h"
#include "ops/op_matrix.h"

namespace tandem {
namespace {

using optest::GraphBuilder;

class AttentionOps : public optest::MatrixTest {};

// q x k x v -> y; `bias` (empty: none) a weight, or a graph input when `bias_is_input`.
ir::Graph attention_graph(const Shape& q, const Shape& k, const Shape& v, const Shape& y, const ir::AttentionAttrs& attrs,
                          const Shape& bias = {}, bool bias_is_input = false) {
  GraphBuilder g;
  g.input("q", q).input("k", k).input("v", v);
  std::vector<std::string> ins{"q", "k", "v"};
  if (attrs.has_bias) {
    if (bias_is_input) g.input("bias", bias);
    else g.weight("bias", bias, -2.0f, 2.0f);
    ins.push_back("bias");
  }
  return g.node("FusedAttention", ins, {"y"}, attrs, {y}).output("y").build();
}

ir::AttentionAttrs attn(float scale, bool kt = false, bool vt = false, bool ot = false, bool bias = false) {
  return ir::AttentionAttrs{scale, kt, vt, ot, bias};
}

TANDEM_MATRIX_CASE(AttentionOps, FusedAttentionHeadsAndRanks) {
  r.check(attention_graph({2, 1, 7, 16}, {2, 1, 9, 16}, {2, 1, 9, 12}, {2, 1, 7, 12}, attn(0.25f)));
  r.check(attention_graph({2, 3, 7, 16}, {2, 3, 9, 16}, {2, 3, 9, 12}, {2, 3, 7, 12}, attn(0.25f)));
  r.check(attention_graph({3, 6, 8}, {3, 9, 8}, {3, 9, 4}, {3, 6, 4}, attn(0.5f)));  // rank 3
  r.check(attention_graph({1, 2, 5, 4}, {1, 2, 300, 4}, {1, 2, 300, 3}, {1, 2, 5, 3}, attn(1.0f)));  // long rows
}

TANDEM_MATRIX_CASE(AttentionOps, FusedAttentionTransposedOperands) {
  r.check(attention_graph({2, 2, 7, 16}, {2, 2, 16, 9}, {2, 2, 9, 12}, {2, 2, 7, 12}, attn(0.25f, true)));
  r.check(attention_graph({2, 2, 7, 16}, {2, 2, 9, 16}, {2, 2, 12, 9}, {2, 2, 7, 12}, attn(0.25f, false, true)));
  r.check(attention_graph({2, 2, 7, 16}, {2, 2, 9, 16}, {2, 2, 9, 12}, {2, 2, 12, 7}, attn(0.25f, false, false, true)));
  r.check(attention_graph({3, 6, 8}, {3, 8, 9}, {3, 4, 9}, {3, 4, 6}, attn(0.5f, true, true, true)));
}

TANDEM_MATRIX_CASE(AttentionOps, FusedAttentionWithBias) {
  const auto biased = attn(0.35f, false, false, false, true);
  // LeViT: a [N, M] table per head; a key mask over heads and queries; Swin's windows (b mod 4).
  r.check(attention_graph({2, 2, 8, 8}, {2, 2, 10, 8}, {2, 2, 10, 6}, {2, 2, 8, 6}, biased, {2, 8, 10}));
  r.check(attention_graph({2, 3, 7, 8}, {2, 3, 9, 8}, {2, 3, 9, 8}, {2, 3, 7, 8}, biased, {2, 1, 1, 9}));
  r.check(attention_graph({8, 2, 9, 8}, {8, 2, 9, 8}, {8, 2, 9, 8}, {8, 2, 9, 8}, biased, {4, 1, 9, 9}));
  r.check(attention_graph({3, 6, 8}, {3, 9, 8}, {3, 9, 4}, {3, 6, 4}, biased, {6, 9}));  // rank 3, a 2-D bias
  r.check(attention_graph({2, 3, 7, 8}, {2, 3, 9, 8}, {2, 3, 9, 8}, {2, 3, 7, 8}, biased, {2, 3, 7, 9}, true));  // at run time
}

ir::Graph einsum_graph(const std::string& equation, const std::vector<Shape>& ins, const Shape& out, bool last_const = false) {
  auto attrs = ir::parse_einsum_equation(equation, ins.size());
  EXPECT_TRUE(attrs.is_ok()) << attrs.status().to_string();
  GraphBuilder b;
  std::vector<std::string> names;
  for (size_t i = 0; i < ins.size(); ++i) {
    names.push_back("x" + std::to_string(i));
    if (last_const && i + 1 == ins.size()) b.weight(names.back(), ins[i]);
    else b.input(names.back(), ins[i]);
  }
  return b.node("Einsum", names, {"y"}, attrs.is_ok() ? *attrs : ir::EinsumAttrs{}, {out}).output("y").build();
}

TANDEM_MATRIX_CASE(AttentionOps, EinsumProductsAndTranspose) {
  r.check_unless_refused(einsum_graph("bhid,bhjd->bhij", {{2, 2, 5, 8}, {2, 2, 6, 8}}, {2, 2, 5, 6}), {"cuda"});
  r.check_unless_refused(einsum_graph("ij,jk->ik", {{4, 6}, {6, 3}}, {4, 3}, true), {"cuda"});
  r.check_unless_refused(einsum_graph("nchw->nhwc", {{2, 3, 4, 5}}, {2, 4, 5, 3}), {"cuda"});
  r.check_unless_refused(einsum_graph("...ij,...j->...i", {{2, 3, 4, 5}, {2, 3, 5}}, {2, 3, 4}), {"cuda"});
}

INSTANTIATE_TEST_SUITE_P(Backends, AttentionOps, ::testing::ValuesIn(optest::matrix_columns()), optest::column_test_name);

}  // namespace
}  // namespace tandem
