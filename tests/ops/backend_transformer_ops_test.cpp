// The ops of the transformer zoo models in every column of the op-test matrix (cpu; cuda fp32,
// tf32, fp16 with 4-D tensors stored NHWC) against the reference backend (ops/op_matrix.h).
// - MatMul: 2-D to 4-D, 1-D operands, every batch path (one strided-batched call with a
//   stride-0 operand, batch folded into M, a host loop of calls, the broadcast materialised),
//   the fused bias + GELU epilogue and an activation fused by the schedule.
// - Cast to float32 (of a float32 tensor, of int64 / bool / float16 constants).
// - FusedAttention: rank 3 and 4, 1 to 8 heads, with and without the bias (per head, a
//   broadcast mask, Swin's periodic windows, a runtime bias), every transposed flag.
// - Reshape between two 4-D shapes (both stored NHWC in fp16: MobileViT, EfficientViT).
// - Softmax along the last and a middle axis, ranks 2 to 5.
// - Einsum (cpu: the reference fallback; cuda has none and may refuse it).
// A column whose backend is missing is skipped with one line.
#include <gtest/gtest.h>

#include "ir/ops/attention.h"
#include "ir/ops/cast.h"
#include "ir/ops/reshape.h"
#include "ir/ops/einsum.h"
#include "ops/op_matrix.h"

namespace tandem {
namespace {

using optest::GraphBuilder;

class TransformerOps : public optest::MatrixTest {};

// ---- MatMul ----

// y = a x b; `b_const` makes B a weight.
ir::Graph matmul_graph(const Shape& a, const Shape& b, const Shape& y, bool b_const, ir::MatMulAttrs attrs = {}) {
  GraphBuilder g;
  g.input("a", a);
  if (b_const) g.weight("b", b);
  else g.input("b", b);
  std::vector<std::string> ins{"a", "b"};
  if (attrs.has_bias) {
    g.weight("bias", {y.back()});
    ins.push_back("bias");
  }
  return g.node("MatMul", ins, {"y"}, attrs, {y}).output("y").build();
}

TANDEM_MATRIX_CASE(TransformerOps, MatMulPlainAndBatched) {
  r.check(matmul_graph({5, 7}, {7, 3}, {5, 3}, false));
  r.check(matmul_graph({2, 197, 64}, {64, 48}, {2, 197, 48}, true));   // tokens x weight: folded into M
  r.check(matmul_graph({2, 3, 5, 8}, {2, 3, 8, 6}, {2, 3, 5, 6}, false));  // 4-D x 4-D (NHWC in fp16)
  r.check(matmul_graph({2, 3, 5, 8}, {8, 6}, {2, 3, 5, 6}, true));         // 4-D x 2-D shared
  r.check(matmul_graph({2, 2, 3, 5, 8}, {2, 3, 8, 6}, {2, 2, 3, 5, 6}, false));  // rank 5: B stride 0 over dim 0
}

TANDEM_MATRIX_CASE(TransformerOps, MatMulBroadcastBatchDims) {
  r.check(matmul_graph({4, 3, 5, 8}, {1, 3, 8, 6}, {4, 3, 5, 6}, true));     // B [1,h,k,n]: a loop of 3 calls
  r.check(matmul_graph({4, 3, 5, 8}, {1, 3, 8, 6}, {4, 3, 5, 6}, false));
  r.check(matmul_graph({2, 1, 5, 8}, {1, 3, 8, 6}, {2, 3, 5, 6}, false));     // both broadcast
  r.check(matmul_graph({20, 17, 3, 4}, {1, 17, 4, 2}, {20, 17, 3, 2}, false));  // 17 > kMaxLoop: B expanded
  r.check(matmul_graph({3, 5, 8}, {4, 1, 8, 6}, {4, 3, 5, 6}, false));        // A lacks dims: stride 0
}

TANDEM_MATRIX_CASE(TransformerOps, MatMulOneDimensionalOperands) {
  r.check(matmul_graph({8}, {2, 8, 6}, {2, 6}, false));        // [8] is a [1, 8] row
  r.check(matmul_graph({2, 5, 8}, {8}, {2, 5}, false));        // [8] is an [8, 1] column
  r.check(matmul_graph({8}, {8, 3}, {3}, true));
  r.check(matmul_graph({3, 2, 5, 8}, {8}, {3, 2, 5}, true));
  r.check(matmul_graph({8}, {3, 2, 8, 6}, {3, 2, 6}, false));  // B 4-D (NHWC in fp16), Y 3-D
  r.check(matmul_graph({9}, {9}, {}, false));                  // a dot product: Y is a scalar
}

TANDEM_MATRIX_CASE(TransformerOps, MatMulFusedBiasAndGelu) {
  ir::MatMulAttrs gelu{true, ir::Epilogue{ir::ActKind::kGelu}};
  r.check(matmul_graph({2, 197, 64}, {64, 96}, {2, 197, 96}, true, gelu));  // ViT's MLP fc1
  r.check(matmul_graph({2, 3, 7, 16}, {16, 24}, {2, 3, 7, 24}, true, gelu));  // 4-D Y: NHWC in fp16
  r.check(matmul_graph({2, 5, 16}, {16, 24}, {2, 5, 24}, true, ir::MatMulAttrs{true, {}}));  // bias only
  r.check(matmul_graph({16}, {16, 24}, {24}, true, gelu));                  // 1-D A
  r.check(matmul_graph({4, 3, 5, 8}, {1, 3, 8, 6}, {4, 3, 5, 6}, false, gelu));  // looped calls + epilogue
  r.check(matmul_graph({2, 3, 4, 8}, {2, 3, 8, 6}, {2, 3, 4, 6}, false, ir::MatMulAttrs{false, {ir::ActKind::kGelu}}));
}

TANDEM_MATRIX_CASE(TransformerOps, MatMulWithAFollowingActivation) {  // fused by the cuda schedule (op.act)
  GraphBuilder g;
  g.input("a", {2, 9, 16}).weight("w", {16, 12}).weight("bias", {12});
  g.node("MatMul", {"a", "w", "bias"}, {"m"}, ir::MatMulAttrs{true, {}}, {{2, 9, 12}});
  g.node("Relu", {"m"}, {"y"}, ir::ActivationAttrs{{ir::ActKind::kRelu}}, {{2, 9, 12}}).output("y");
  r.check(g.build());
}

// ---- Cast ----

TANDEM_MATRIX_CASE(TransformerOps, CastOfAFloatTensor) {  // EfficientViT's x.float() around its attention
  for (const Shape& s : {Shape{2, 16, 5, 6}, Shape{2, 7, 24}}) {
    GraphBuilder g;
    g.input("x", s);
    g.node("Relu", {"x"}, {"r"}, ir::ActivationAttrs{{ir::ActKind::kRelu}}, {s});
    g.node("Cast", {"r"}, {"c"}, ir::CastAttrs{DType::kFloat32}, {s});
    g.node("Add", {"c", "x"}, {"y"}, ir::BinaryAttrs{ir::BinaryOp::kAdd}, {s}).output("y");
    r.check(g.build());
  }
}

TANDEM_MATRIX_CASE(TransformerOps, CastOfIntBoolAndHalfConstants) {
  const Shape s{2, 3, 4, 5};
  Tensor i64(s, DType::kInt64), flags(s, DType::kBool), half(s, DType::kFloat16);
  for (int64_t i = 0; i < i64.numel(); ++i) {
    i64.data_as<int64_t>()[i] = i % 11 - 5;
    flags.data_as<uint8_t>()[i] = uint8_t(i % 3 == 0);
    half.data_as<uint16_t>()[i] = float_to_half(float(i % 7) * 0.25f - 0.5f);
  }
  GraphBuilder g;
  g.input("x", s).constant("i", i64).constant("f", flags).constant("h", half);
  g.node("Cast", {"i"}, {"ci"}, ir::CastAttrs{DType::kFloat32}, {s});
  g.node("Cast", {"f"}, {"cf"}, ir::CastAttrs{DType::kFloat32}, {s});
  g.node("Cast", {"h"}, {"ch"}, ir::CastAttrs{DType::kFloat32}, {s});
  g.node("Mul", {"x", "ci"}, {"a"}, ir::BinaryAttrs{ir::BinaryOp::kMul}, {s});
  g.node("Add", {"a", "cf"}, {"b"}, ir::BinaryAttrs{ir::BinaryOp::kAdd}, {s});
  g.node("Sub", {"b", "ch"}, {"y"}, ir::BinaryAttrs{ir::BinaryOp::kSub}, {s}).output("y");
  r.check(g.build());
}

// ---- FusedAttention ----

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

TANDEM_MATRIX_CASE(TransformerOps, FusedAttentionHeads) {
  for (int64_t h : {1, 3, 4, 8}) {
    SCOPED_TRACE("heads " + std::to_string(h));
    r.check(attention_graph({2, h, 7, 16}, {2, h, 9, 16}, {2, h, 9, 12}, {2, h, 7, 12}, attn(0.25f)));
  }
  r.check(attention_graph({2, 3, 197, 64}, {2, 3, 197, 64}, {2, 3, 197, 64}, {2, 3, 197, 64}, attn(0.125f)));  // ViT-Ti
  r.check(attention_graph({3, 6, 8}, {3, 9, 8}, {3, 9, 4}, {3, 6, 4}, attn(0.5f)));  // rank 3
  r.check(attention_graph({2, 2, 5, 4}, {2, 2, 600, 4}, {2, 2, 600, 3}, {2, 2, 5, 3}, attn(1.0f)));  // long rows
}

TANDEM_MATRIX_CASE(TransformerOps, FusedAttentionTransposedOperands) {
  r.check(attention_graph({2, 4, 7, 16}, {2, 4, 16, 9}, {2, 4, 9, 12}, {2, 4, 7, 12}, attn(0.25f, true)));
  r.check(attention_graph({2, 4, 7, 16}, {2, 4, 9, 16}, {2, 4, 12, 9}, {2, 4, 7, 12}, attn(0.25f, false, true)));
  r.check(attention_graph({2, 4, 7, 16}, {2, 4, 9, 16}, {2, 4, 9, 12}, {2, 4, 12, 7}, attn(0.25f, false, false, true)));
  r.check(attention_graph({3, 6, 8}, {3, 8, 9}, {3, 4, 9}, {3, 4, 6}, attn(0.5f, true, true, true)));
  r.check(attention_graph({2, 4, 7, 16}, {2, 4, 16, 9}, {2, 4, 12, 9}, {2, 4, 12, 7}, attn(0.25f, true, true, true)));
}

TANDEM_MATRIX_CASE(TransformerOps, FusedAttentionWithBias) {
  // LeViT's attention biases: one [N, M] table per head.
  r.check(attention_graph({2, 4, 16, 16}, {2, 4, 49, 16}, {2, 4, 49, 32}, {2, 4, 16, 32}, attn(0.25f, false, false, false, true),
                        {4, 16, 49}));
  r.check(attention_graph({2, 8, 16, 16}, {2, 8, 16, 16}, {2, 8, 16, 32}, {2, 8, 32, 16}, attn(0.25f, true, false, true, true),
                        {1, 8, 16, 16}));  // K^T in, Y^T out
  // A key mask broadcast over heads and queries.
  r.check(attention_graph({2, 3, 7, 8}, {2, 3, 9, 8}, {2, 3, 9, 8}, {2, 3, 7, 8}, attn(0.35f, false, false, false, true),
                        {2, 1, 1, 9}));
  // Swin's shifted windows: batch = 2 images x 4 windows, a mask per window (b mod 4).
  r.check(attention_graph({8, 3, 9, 8}, {8, 3, 9, 8}, {8, 3, 9, 8}, {8, 3, 9, 8}, attn(0.35f, false, false, false, true),
                        {4, 1, 9, 9}));
  // Rank 3 with a rank-3 bias [batch, N, M], and a 2-D bias [N, M].
  r.check(attention_graph({3, 6, 8}, {3, 9, 8}, {3, 9, 4}, {3, 6, 4}, attn(0.5f, false, false, false, true), {3, 6, 9}));
  r.check(attention_graph({3, 6, 8}, {3, 9, 8}, {3, 9, 4}, {3, 6, 4}, attn(0.5f, false, false, false, true), {6, 9}));
  // A bias computed at run time (a graph input here).
  r.check(attention_graph({2, 3, 7, 8}, {2, 3, 9, 8}, {2, 3, 9, 8}, {2, 3, 7, 8}, attn(0.35f, false, false, false, true),
                        {3, 7, 9}, true));
  r.check(attention_graph({2, 3, 7, 8}, {2, 3, 9, 8}, {2, 3, 9, 8}, {2, 3, 7, 8}, attn(0.35f, false, false, false, true),
                        {2, 3, 7, 9}, true));  // 4-D: NHWC in fp16
}

// ---- Reshape between NHWC shapes ----

TANDEM_MATRIX_CASE(TransformerOps, ReshapeBetweenTwo4DShapes) {  // fp16: both NHWC, through row-major order
  for (const auto& [in, out] : {std::pair<Shape, Shape>{{2, 64, 16, 16}, {1024, 2, 8, 2}},
                                std::pair<Shape, Shape>{{2, 384, 8, 8}, {2, 8, 48, 64}}}) {
    GraphBuilder g;
    g.input("x", in).constant("s", Tensor::from_vector<int64_t>({4}, DType::kInt64, {out[0], out[1], out[2], out[3]}));
    g.node("Relu", {"x"}, {"r"}, ir::ActivationAttrs{{ir::ActKind::kRelu}}, {in});
    g.node("Reshape", {"r", "s"}, {"y"}, ir::ReshapeAttrs{false, out}, {out}).output("y");
    r.check(g.build());
  }
}

// ---- Softmax ----

ir::Graph softmax_graph(const Shape& s, int64_t axis) {
  return GraphBuilder()
      .input("x", s)
      .node("Softmax", {"x"}, {"y"}, ir::SoftmaxAttrs{axis, false}, {s})
      .output("y")
      .build();
}

TANDEM_MATRIX_CASE(TransformerOps, SoftmaxAlongAnyAxis) {
  r.check(softmax_graph({2, 7, 5}, 1));
  r.check(softmax_graph({2, 7, 5}, -1));
  r.check(softmax_graph({2, 6, 5, 4}, 1));   // NHWC in fp16: the innermost stored dim
  r.check(softmax_graph({2, 6, 5, 4}, -1));  // NHWC in fp16: a strided dim
  r.check(softmax_graph({2, 3, 5, 300}, 3));
  r.check(softmax_graph({2, 3, 4, 5, 6}, 2));
  r.check(softmax_graph({3, 1000}, -1));
  r.check(softmax_graph({3, 1000}, 0));
}

// ---- Einsum ----

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

TANDEM_MATRIX_CASE(TransformerOps, EinsumProductsAndTranspose) {
  r.check_unless_refused(einsum_graph("bhid,bhjd->bhij", {{2, 2, 5, 8}, {2, 2, 6, 8}}, {2, 2, 5, 6}), {"cuda"});
  r.check_unless_refused(einsum_graph("ij,jk->ik", {{4, 6}, {6, 3}}, {4, 3}, true), {"cuda"});
  r.check_unless_refused(einsum_graph("nchw->nhwc", {{2, 3, 4, 5}}, {2, 4, 5, 3}), {"cuda"});
  r.check_unless_refused(einsum_graph("...ij,...j->...i", {{2, 3, 4, 5}, {2, 3, 5}}, {2, 3, 4}), {"cuda"});
}

INSTANTIATE_TEST_SUITE_P(Backends, TransformerOps, ::testing::ValuesIn(optest::matrix_columns()), optest::column_test_name);

}  // namespace
}  // namespace tandem
