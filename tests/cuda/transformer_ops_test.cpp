// The ops of the transformer zoo models on cuda, in every precision (fp16: 4-D tensors stored
// NHWC) against the reference backend on fresh random inputs, within the precision's row of the
// tolerance table (ops/tolerance.h).
// - MatMul: 2-D to 4-D, 1-D operands, every batch path (one strided-batched call with a
//   stride-0 operand, batch folded into M, a host loop of calls, the broadcast materialised),
//   the fused bias + GELU epilogue and an activation fused by the schedule.
// - Cast to float32 (of a float32 tensor, of int64 / bool / float16 constants).
// - FusedAttention: rank 3 and 4, 1 to 8 heads, with and without the bias (per head, a
//   broadcast mask, Swin's periodic windows, a runtime bias), every transposed flag.
// - Reshape between two 4-D shapes (both stored NHWC in fp16: MobileViT, EfficientViT).
// - Softmax along the last and a middle axis, ranks 2 to 5.
// Skipped with one line when there is no CUDA device.
#include <gtest/gtest.h>

#include "ir/ops/attention.h"
#include "ir/ops/cast.h"
#include "ir/ops/reshape.h"
#include "ops/op_test_util.h"

namespace tandem {
namespace {

using optest::GraphBuilder;

class CudaTransformerOps : public ::testing::Test {
 protected:
  void SetUp() override {
    auto b = make_backend("cuda");
    if (!b.is_ok()) GTEST_SKIP() << "cuda: " << b.status().message();
    backend_ = std::move(*b);
  }
  // Each precision must claim every node (run_on checks supports()) and match the reference.
  void check(const ir::Graph& g, uint32_t seed = 99) {
    SCOPED_TRACE(ir::graph_to_string(g));
    const auto inputs = optest::random_inputs(g, seed);
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

TEST_F(CudaTransformerOps, MatMulPlainAndBatched) {
  check(matmul_graph({5, 7}, {7, 3}, {5, 3}, false));
  check(matmul_graph({2, 197, 64}, {64, 48}, {2, 197, 48}, true));   // tokens x weight: folded into M
  check(matmul_graph({2, 3, 5, 8}, {2, 3, 8, 6}, {2, 3, 5, 6}, false));  // 4-D x 4-D (NHWC in fp16)
  check(matmul_graph({2, 3, 5, 8}, {8, 6}, {2, 3, 5, 6}, true));         // 4-D x 2-D shared
  check(matmul_graph({2, 2, 3, 5, 8}, {2, 3, 8, 6}, {2, 2, 3, 5, 6}, false));  // rank 5: B stride 0 over dim 0
}

TEST_F(CudaTransformerOps, MatMulBroadcastBatchDims) {
  check(matmul_graph({4, 3, 5, 8}, {1, 3, 8, 6}, {4, 3, 5, 6}, true));     // B [1,h,k,n]: a loop of 3 calls
  check(matmul_graph({4, 3, 5, 8}, {1, 3, 8, 6}, {4, 3, 5, 6}, false));
  check(matmul_graph({2, 1, 5, 8}, {1, 3, 8, 6}, {2, 3, 5, 6}, false));     // both broadcast
  check(matmul_graph({20, 17, 3, 4}, {1, 17, 4, 2}, {20, 17, 3, 2}, false));  // 17 > kMaxLoop: B expanded
  check(matmul_graph({3, 5, 8}, {4, 1, 8, 6}, {4, 3, 5, 6}, false));        // A lacks dims: stride 0
}

TEST_F(CudaTransformerOps, MatMulOneDimensionalOperands) {
  check(matmul_graph({8}, {2, 8, 6}, {2, 6}, false));        // [8] is a [1, 8] row
  check(matmul_graph({2, 5, 8}, {8}, {2, 5}, false));        // [8] is an [8, 1] column
  check(matmul_graph({8}, {8, 3}, {3}, true));
  check(matmul_graph({3, 2, 5, 8}, {8}, {3, 2, 5}, true));
  check(matmul_graph({8}, {3, 2, 8, 6}, {3, 2, 6}, false));  // B 4-D (NHWC in fp16), Y 3-D
  check(matmul_graph({9}, {9}, {}, false));                  // a dot product: Y is a scalar
}

TEST_F(CudaTransformerOps, MatMulFusedBiasAndGelu) {
  ir::MatMulAttrs gelu{true, ir::Epilogue{ir::ActKind::kGelu}};
  check(matmul_graph({2, 197, 64}, {64, 96}, {2, 197, 96}, true, gelu));  // ViT's MLP fc1
  check(matmul_graph({2, 3, 7, 16}, {16, 24}, {2, 3, 7, 24}, true, gelu));  // 4-D Y: NHWC in fp16
  check(matmul_graph({2, 5, 16}, {16, 24}, {2, 5, 24}, true, ir::MatMulAttrs{true, {}}));  // bias only
  check(matmul_graph({16}, {16, 24}, {24}, true, gelu));                  // 1-D A
  check(matmul_graph({4, 3, 5, 8}, {1, 3, 8, 6}, {4, 3, 5, 6}, false, gelu));  // looped calls + epilogue
  check(matmul_graph({2, 3, 4, 8}, {2, 3, 8, 6}, {2, 3, 4, 6}, false, ir::MatMulAttrs{false, {ir::ActKind::kGelu}}));
}

TEST_F(CudaTransformerOps, MatMulWithAFollowingActivation) {  // fused by the cuda schedule (op.act)
  GraphBuilder g;
  g.input("a", {2, 9, 16}).weight("w", {16, 12}).weight("bias", {12});
  g.node("MatMul", {"a", "w", "bias"}, {"m"}, ir::MatMulAttrs{true, {}}, {{2, 9, 12}});
  g.node("Relu", {"m"}, {"y"}, ir::ActivationAttrs{{ir::ActKind::kRelu}}, {{2, 9, 12}}).output("y");
  check(g.build());
}

TEST_F(CudaTransformerOps, MatMulRefusesARuntimeBias) {
  GraphBuilder g;
  g.input("a", {2, 4, 8}).weight("w", {8, 6}).input("bias", {6});
  g.node("MatMul", {"a", "w", "bias"}, {"y"}, ir::MatMulAttrs{true, {}}, {{2, 4, 6}}).output("y");
  const ir::Graph graph = g.build();
  const Status st = backend_->supports(graph, graph.nodes[0]);
  EXPECT_EQ(st.code(), StatusCode::kUnsupported) << st.message();
}

// ---- Cast ----

TEST_F(CudaTransformerOps, CastOfAFloatTensor) {  // EfficientViT's x.float() around its attention
  for (const Shape& s : {Shape{2, 16, 5, 6}, Shape{2, 7, 24}}) {
    GraphBuilder g;
    g.input("x", s);
    g.node("Relu", {"x"}, {"r"}, ir::ActivationAttrs{{ir::ActKind::kRelu}}, {s});
    g.node("Cast", {"r"}, {"c"}, ir::CastAttrs{DType::kFloat32}, {s});
    g.node("Add", {"c", "x"}, {"y"}, ir::BinaryAttrs{ir::BinaryOp::kAdd}, {s}).output("y");
    check(g.build());
  }
}

TEST_F(CudaTransformerOps, CastOfIntBoolAndHalfConstants) {
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
  check(g.build());
}

TEST_F(CudaTransformerOps, CastToOtherTypesIsRefused) {
  GraphBuilder g;
  g.input("x", {2, 8});
  g.value("i", {2, 8}, DType::kInt64).value("h", {2, 8}, DType::kFloat16);
  g.node("Cast", {"x"}, {"i"}, ir::CastAttrs{DType::kInt64}, {{2, 8}});
  g.node("Cast", {"x"}, {"h"}, ir::CastAttrs{DType::kFloat16}, {{2, 8}});
  g.node("Cast", {"i"}, {"y"}, ir::CastAttrs{DType::kFloat32}, {{2, 8}}).output("y");
  const ir::Graph graph = g.build();
  for (const auto& n : graph.nodes) {
    const Status st = backend_->supports(graph, n);
    EXPECT_EQ(st.code(), StatusCode::kUnsupported) << n.name << ": " << st.message();
  }
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

TEST_F(CudaTransformerOps, FusedAttentionHeads) {
  for (int64_t h : {1, 3, 4, 8}) {
    SCOPED_TRACE("heads " + std::to_string(h));
    check(attention_graph({2, h, 7, 16}, {2, h, 9, 16}, {2, h, 9, 12}, {2, h, 7, 12}, attn(0.25f)));
  }
  check(attention_graph({2, 3, 197, 64}, {2, 3, 197, 64}, {2, 3, 197, 64}, {2, 3, 197, 64}, attn(0.125f)));  // ViT-Ti
  check(attention_graph({3, 6, 8}, {3, 9, 8}, {3, 9, 4}, {3, 6, 4}, attn(0.5f)));  // rank 3
  check(attention_graph({2, 2, 5, 4}, {2, 2, 600, 4}, {2, 2, 600, 3}, {2, 2, 5, 3}, attn(1.0f)));  // long rows
}

TEST_F(CudaTransformerOps, FusedAttentionTransposedOperands) {
  check(attention_graph({2, 4, 7, 16}, {2, 4, 16, 9}, {2, 4, 9, 12}, {2, 4, 7, 12}, attn(0.25f, true)));
  check(attention_graph({2, 4, 7, 16}, {2, 4, 9, 16}, {2, 4, 12, 9}, {2, 4, 7, 12}, attn(0.25f, false, true)));
  check(attention_graph({2, 4, 7, 16}, {2, 4, 9, 16}, {2, 4, 9, 12}, {2, 4, 12, 7}, attn(0.25f, false, false, true)));
  check(attention_graph({3, 6, 8}, {3, 8, 9}, {3, 4, 9}, {3, 4, 6}, attn(0.5f, true, true, true)));
  check(attention_graph({2, 4, 7, 16}, {2, 4, 16, 9}, {2, 4, 12, 9}, {2, 4, 12, 7}, attn(0.25f, true, true, true)));
}

TEST_F(CudaTransformerOps, FusedAttentionWithBias) {
  // LeViT's attention biases: one [N, M] table per head.
  check(attention_graph({2, 4, 16, 16}, {2, 4, 49, 16}, {2, 4, 49, 32}, {2, 4, 16, 32}, attn(0.25f, false, false, false, true),
                        {4, 16, 49}));
  check(attention_graph({2, 8, 16, 16}, {2, 8, 16, 16}, {2, 8, 16, 32}, {2, 8, 32, 16}, attn(0.25f, true, false, true, true),
                        {1, 8, 16, 16}));  // K^T in, Y^T out
  // A key mask broadcast over heads and queries.
  check(attention_graph({2, 3, 7, 8}, {2, 3, 9, 8}, {2, 3, 9, 8}, {2, 3, 7, 8}, attn(0.35f, false, false, false, true),
                        {2, 1, 1, 9}));
  // Swin's shifted windows: batch = 2 images x 4 windows, a mask per window (b mod 4).
  check(attention_graph({8, 3, 9, 8}, {8, 3, 9, 8}, {8, 3, 9, 8}, {8, 3, 9, 8}, attn(0.35f, false, false, false, true),
                        {4, 1, 9, 9}));
  // Rank 3 with a rank-3 bias [batch, N, M], and a 2-D bias [N, M].
  check(attention_graph({3, 6, 8}, {3, 9, 8}, {3, 9, 4}, {3, 6, 4}, attn(0.5f, false, false, false, true), {3, 6, 9}));
  check(attention_graph({3, 6, 8}, {3, 9, 8}, {3, 9, 4}, {3, 6, 4}, attn(0.5f, false, false, false, true), {6, 9}));
  // A bias computed at run time (a graph input here).
  check(attention_graph({2, 3, 7, 8}, {2, 3, 9, 8}, {2, 3, 9, 8}, {2, 3, 7, 8}, attn(0.35f, false, false, false, true),
                        {3, 7, 9}, true));
  check(attention_graph({2, 3, 7, 8}, {2, 3, 9, 8}, {2, 3, 9, 8}, {2, 3, 7, 8}, attn(0.35f, false, false, false, true),
                        {2, 3, 7, 9}, true));  // 4-D: NHWC in fp16
}

// ---- Reshape between NHWC shapes ----

TEST_F(CudaTransformerOps, ReshapeBetweenTwo4DShapes) {  // fp16: both NHWC, through row-major order
  for (const auto& [in, out] : {std::pair<Shape, Shape>{{2, 64, 16, 16}, {1024, 2, 8, 2}},
                                std::pair<Shape, Shape>{{2, 384, 8, 8}, {2, 8, 48, 64}}}) {
    GraphBuilder g;
    g.input("x", in).constant("s", Tensor::from_vector<int64_t>({4}, DType::kInt64, {out[0], out[1], out[2], out[3]}));
    g.node("Relu", {"x"}, {"r"}, ir::ActivationAttrs{{ir::ActKind::kRelu}}, {in});
    g.node("Reshape", {"r", "s"}, {"y"}, ir::ReshapeAttrs{false, out}, {out}).output("y");
    check(g.build());
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

TEST_F(CudaTransformerOps, SoftmaxAlongAnyAxis) {
  check(softmax_graph({2, 7, 5}, 1));
  check(softmax_graph({2, 7, 5}, -1));
  check(softmax_graph({2, 6, 5, 4}, 1));   // NHWC in fp16: the innermost stored dim
  check(softmax_graph({2, 6, 5, 4}, -1));  // NHWC in fp16: a strided dim
  check(softmax_graph({2, 3, 5, 300}, 3));
  check(softmax_graph({2, 3, 4, 5, 6}, 2));
  check(softmax_graph({3, 1000}, -1));
  check(softmax_graph({3, 1000}, 0));
}

}  // namespace
}  // namespace tandem
