// fuse_attention on the node sequences exporters write (checked against torch.onnx.export of
// timm's vit_tiny_patch16_224, swin_tiny_patch4_window7_224, efficientformer_l1 and
// efficientvit_m0, and torchvision's vit_b_16 / swin_t, opset 17, after specialisation folded
// their shape arithmetic), and the near misses it must leave alone.
#include <cmath>

#include "ir/passes/passes.h"
#include "pass_test_util.h"

namespace tandem::ir {
namespace {

using pass_test::expect_same_outputs;
using pass_test::find_node;
using pass_test::GraphBuilder;

constexpr int64_t kB = 2, kH = 3, kN = 10, kD = 8;
const Shape kQ{kB, kH, kN, kD}, kS{kB, kH, kN, kN};

// torch's SDPA export (timm ViT, torchvision vit_b_16, MobileViT):
//   Kt = Transpose(K, [0,1,3,2]); Mul(Q, sqrt(s)); Mul(Kt, sqrt(s)); MatMul; Softmax(-1); MatMul(., V)
GraphBuilder sdpa() {
  const float root = std::sqrt(1.0f / std::sqrt(float(kD)));
  GraphBuilder b;
  b.input("q", kQ).input("k", kQ).input("v", kQ).scalar("s1", root).scalar("s2", root);
  b.node("Transpose", {"k"}, "kt", {kB, kH, kD, kN}, TransposeAttrs{{0, 1, 3, 2}});
  b.binary("Mul", {"q", "s1"}, "qs", kQ);
  b.binary("Mul", {"kt", "s2"}, "kts", {kB, kH, kD, kN});
  b.node("MatMul", {"qs", "kts"}, "scores", kS, MatMulAttrs{});
  b.node("Softmax", {"scores"}, "p", kS, SoftmaxAttrs{3, false});
  b.node("MatMul", {"p", "v"}, "y", kQ, MatMulAttrs{});
  return b.output("y");
}

const AttentionAttrs& attention_attrs(const Graph& g) { return std::get<AttentionAttrs>(find_node(g, "FusedAttention")->attrs); }

TEST(FuseAttentionPass, TorchSdpaExport) {
  Graph before = sdpa().build();
  Graph after = before;
  ASSERT_TRUE(fuse_attention(after).is_ok());
  EXPECT_EQ(count_ops(after), (std::map<std::string, int>{{"FusedAttention", 1}}));
  const Node* n = find_node(after, "FusedAttention");
  EXPECT_EQ(n->inputs, (std::vector<std::string>{"q", "k", "v"}));
  EXPECT_NEAR(attention_attrs(after).scale, 1.0f / std::sqrt(float(kD)), 1e-6f);
  EXPECT_FALSE(attention_attrs(after).k_transposed);
  EXPECT_EQ(after.initializers.count("s1"), 0u);
  expect_same_outputs(before, after);
}

// timm's Swin window attention: Mul(Q, scale); MatMul(Q, Transpose(K)); Add(relative position
// bias [1, H, N, N]); Softmax; MatMul. EfficientFormer: the scale after the MatMul, then Add.
TEST(FuseAttentionPass, ScaleBeforeOrAfterAndABias) {
  for (bool scale_after : {false, true}) {
    SCOPED_TRACE(scale_after ? "scale after the product" : "scale on Q");
    GraphBuilder b;
    b.input("q", kQ).input("k", kQ).input("v", kQ).scalar("c", 0.125f).weight("rel", {1, kH, kN, kN});
    b.node("Transpose", {"k"}, "kt", {kB, kH, kD, kN}, TransposeAttrs{{0, 1, 3, 2}});
    if (scale_after) {
      b.node("MatMul", {"q", "kt"}, "raw", kS, MatMulAttrs{});
      b.binary("Mul", {"raw", "c"}, "scores", kS);
    } else {
      b.binary("Mul", {"q", "c"}, "qs", kQ);
      b.node("MatMul", {"qs", "kt"}, "scores", kS, MatMulAttrs{});
    }
    b.binary("Add", {"scores", "rel"}, "biased", kS);
    b.node("Softmax", {"biased"}, "p", kS, SoftmaxAttrs{3, false});
    b.node("MatMul", {"p", "v"}, "y", kQ, MatMulAttrs{});
    Graph before = b.output("y").build();
    Graph after = before;
    ASSERT_TRUE(fuse_attention(after).is_ok());
    EXPECT_EQ(count_ops(after), (std::map<std::string, int>{{"FusedAttention", 1}}));
    EXPECT_EQ(find_node(after, "FusedAttention")->inputs, (std::vector<std::string>{"q", "k", "v", "rel"}));
    EXPECT_FLOAT_EQ(attention_attrs(after).scale, 0.125f);
    expect_same_outputs(before, after);
  }
}

// Swin's shifted windows: Add(bias) -> Reshape [images, windows, H, N, N] -> Add(mask
// [1, windows, 1, N, N]) -> Reshape back: both terms become one periodic bias.
TEST(FuseAttentionPass, SwinShiftedWindowMask) {
  const int64_t windows = 2;  // kB = 2 score batches = 1 image x 2 windows
  const Shape s5{kB / windows, windows, kH, kN, kN};
  GraphBuilder b;
  b.input("q", kQ).input("k", kQ).input("v", kQ).scalar("c", 0.3f).weight("rel", {1, kH, kN, kN});
  b.weight("mask", {1, windows, 1, kN, kN}, -4.0f, 0.0f);
  b.constant("to5", Tensor::from_vector<int64_t>({5}, DType::kInt64, {s5[0], s5[1], s5[2], s5[3], s5[4]}));
  b.constant("to4", Tensor::from_vector<int64_t>({4}, DType::kInt64, {kS[0], kS[1], kS[2], kS[3]}));
  b.binary("Mul", {"q", "c"}, "qs", kQ);
  b.node("Transpose", {"k"}, "kt", {kB, kH, kD, kN}, TransposeAttrs{{0, 1, 3, 2}});
  b.node("MatMul", {"qs", "kt"}, "scores", kS, MatMulAttrs{});
  b.binary("Add", {"scores", "rel"}, "biased", kS);
  b.node("Reshape", {"biased", "to5"}, "b5", s5, ReshapeAttrs{false, s5});
  b.binary("Add", {"b5", "mask"}, "m5", s5);
  b.node("Reshape", {"m5", "to4"}, "masked", kS, ReshapeAttrs{false, kS});
  b.node("Softmax", {"masked"}, "p", kS, SoftmaxAttrs{3, false});
  b.node("MatMul", {"p", "v"}, "y", kQ, MatMulAttrs{});
  Graph before = b.output("y").build();
  Graph after = before;
  ASSERT_TRUE(fuse_attention(after).is_ok());
  ASSERT_EQ(count_ops(after), (std::map<std::string, int>{{"FusedAttention", 1}}));
  const std::string& bias = find_node(after, "FusedAttention")->inputs[3];
  ASSERT_TRUE(after.is_constant(bias));
  EXPECT_EQ(after.constant(bias)->shape(), (Shape{windows, kH, kN, kN}));
  EXPECT_EQ(after.initializers.count("mask"), 0u);
  expect_same_outputs(before, after);
}

// EfficientViT (MSRA), rank 3: K arrives transposed, V^T times Transpose(P) gives Y^T.
TEST(FuseAttentionPass, EfficientVitTransposedForms) {
  const int64_t bb = 2, d = 4, n = 6, dv = 5;
  GraphBuilder b;
  b.input("qt", {bb, d, n}).input("kt", {bb, d, n}).input("vt", {bb, dv, n}).scalar("c", 0.5f).weight("bias", {n, n});
  b.binary("Mul", {"qt", "c"}, "qs", {bb, d, n});
  b.node("Transpose", {"qs"}, "q", {bb, n, d}, TransposeAttrs{{0, 2, 1}});
  b.node("MatMul", {"q", "kt"}, "scores", {bb, n, n}, MatMulAttrs{});
  b.binary("Add", {"scores", "bias"}, "biased", {bb, n, n});
  b.node("Softmax", {"biased"}, "p", {bb, n, n}, SoftmaxAttrs{2, false});
  b.node("Transpose", {"p"}, "pt", {bb, n, n}, TransposeAttrs{{0, 2, 1}});
  b.node("MatMul", {"vt", "pt"}, "yt", {bb, dv, n}, MatMulAttrs{});
  Graph before = b.output("yt").build();
  Graph after = before;
  ASSERT_TRUE(fuse_attention(after).is_ok());
  ASSERT_EQ(count_ops(after), (std::map<std::string, int>{{"FusedAttention", 1}, {"Mul", 1}, {"Transpose", 1}}));
  const AttentionAttrs& a = attention_attrs(after);
  EXPECT_TRUE(a.k_transposed && a.v_transposed && a.out_transposed);
  EXPECT_EQ(find_node(after, "FusedAttention")->inputs, (std::vector<std::string>{"q", "kt", "vt", "bias"}));
  expect_same_outputs(before, after);
}

TEST(FuseAttentionPass, IntermediateReadElsewhereIsLeftAlone) {
  Graph g = sdpa().output("p").build();  // the probabilities are a graph output
  ASSERT_TRUE(fuse_attention(g).is_ok());
  EXPECT_EQ(count_ops(g).count("FusedAttention"), 0u);
  EXPECT_EQ(count_ops(g)["Softmax"], 1);
}

TEST(FuseAttentionPass, SoftmaxOverAnotherAxisIsLeftAlone) {
  Graph g = sdpa().build();
  for (auto& n : g.nodes)
    if (n.op_type == "Softmax") std::get<SoftmaxAttrs>(n.attrs).axis = 2;
  ASSERT_TRUE(fuse_attention(g).is_ok());
  EXPECT_EQ(count_ops(g).count("FusedAttention"), 0u);
}

TEST(FuseAttentionPass, NonScalarScaleStaysAsItIs) {
  GraphBuilder b;
  b.input("q", kQ).input("k", kQ).input("v", kQ).weight("w", {kD});  // a per-channel Mul: not a scale
  b.binary("Mul", {"q", "w"}, "qs", kQ);
  b.node("Transpose", {"k"}, "kt", {kB, kH, kD, kN}, TransposeAttrs{{0, 1, 3, 2}});
  b.node("MatMul", {"qs", "kt"}, "scores", kS, MatMulAttrs{});
  b.node("Softmax", {"scores"}, "p", kS, SoftmaxAttrs{3, false});
  b.node("MatMul", {"p", "v"}, "y", kQ, MatMulAttrs{});
  Graph before = b.output("y").build();
  Graph after = before;
  ASSERT_TRUE(fuse_attention(after).is_ok());
  // Fused with scale 1, the Mul kept as Q's producer.
  EXPECT_EQ(count_ops(after), (std::map<std::string, int>{{"FusedAttention", 1}, {"Mul", 1}}));
  EXPECT_EQ(attention_attrs(after).scale, 1.0f);
  expect_same_outputs(before, after);
}

TEST(FuseAttentionPass, SecondProductOfAnotherTensorIsLeftAlone) {
  GraphBuilder b;
  b.input("q", kQ).input("k", kQ).input("v", kQ);
  b.node("Transpose", {"k"}, "kt", {kB, kH, kD, kN}, TransposeAttrs{{0, 1, 3, 2}});
  b.node("MatMul", {"q", "kt"}, "scores", kS, MatMulAttrs{});
  b.node("Softmax", {"scores"}, "p", kS, SoftmaxAttrs{3, false});
  b.binary("Mul", {"p", "p"}, "y", kS);  // not a product with V
  Graph g = b.output("y").build();
  ASSERT_TRUE(fuse_attention(g).is_ok());
  EXPECT_EQ(count_ops(g).count("FusedAttention"), 0u);
}

TEST(FuseAttentionPass, RunPassesFusesAndIsIdempotent) {
  Graph before = sdpa().build();
  Graph g = before;
  ASSERT_TRUE(run_passes(g).is_ok());
  EXPECT_EQ(count_ops(g), (std::map<std::string, int>{{"FusedAttention", 1}}));
  const std::string once = graph_to_string(g);
  ASSERT_TRUE(run_passes(g).is_ok());
  EXPECT_EQ(graph_to_string(g), once);
  Graph off = before;
  PassOptions opts;
  opts.fuse_attention = false;
  ASSERT_TRUE(run_passes(off, opts).is_ok());
  EXPECT_EQ(count_ops(off).count("FusedAttention"), 0u);
  expect_same_outputs(before, g);
}

}  // namespace
}  // namespace tandem::ir
