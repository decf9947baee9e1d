// The decomposed GELU and Mish forms fuse_activation recognises (gelu_pattern.cpp,
// mish_pattern.cpp), the forms it must leave alone, and GELU after MatMul + Add.
#include "ir/passes/passes.h"
#include "pass_test_util.h"

namespace tandem::ir {
namespace {

using pass_test::act;
using pass_test::epilogue_of;
using pass_test::expect_same_outputs;
using pass_test::GraphBuilder;

const Shape kOut{4, 16};

enum class Form {
  kErfTorch,         // Mul(Mul(x, Add(Erf(Div(x, sqrt2)), 1)), 0.5)  (torch.onnx.export, opset 17)
  kErfHalfFirst,     // Mul(Mul(x, 0.5), Add(1, Erf(Mul(x, 1/sqrt2))))
  kErfHalfOfFactor,  // Mul(x, Mul(0.5, Add(Erf(Div(x, sqrt2)), 1)))
  kErfDivByTwo,      // Div(Mul(Add(Erf(..), 1), x), 2)
  kTanhTorch,        // Mul(0.5, Mul(x, Add(1, Tanh(Mul(c, Add(x, Mul(0.044715, Mul(x, Mul(x, x)))))))))
  kTanhPowHalfFirst  // Mul(Mul(0.5, x), Add(Tanh(Mul(Add(Mul(Pow(x, 3), 0.044715), x), c)), 1))  (HF NewGELU)
};

bool is_tanh_form(Form f) { return f == Form::kTanhTorch || f == Form::kTanhPowHalfFirst; }

struct Consts {
  float sqrt2 = 1.41421356f, inv_sqrt2 = 0.70710678f, one = 1.0f, half = 0.5f, two = 2.0f;
  float sqrt2_over_pi = 0.7978845608f, cube = 0.044715f;
};

// "1 + f(x)" written as `p`, the exact (Erf) way.
void add_erf_factor(GraphBuilder& b, const std::string& x, bool div, bool one_first, const Consts& k) {
  if (div) b.scalar("sqrt2", k.sqrt2).binary("Div", {x, "sqrt2"}, "u", kOut);
  else b.scalar("inv_sqrt2", k.inv_sqrt2).binary("Mul", {"inv_sqrt2", x}, "u", kOut);
  b.node("Erf", {"u"}, "e", kOut, UnaryAttrs{UnaryOp::kErf});
  b.scalar("one", k.one).binary("Add", one_first ? std::vector<std::string>{"one", "e"} : std::vector<std::string>{"e", "one"},
                                 "p", kOut);
}

// "1 + f(x)" written as `p`, the tanh way (x^3 as Pow or as x * (x * x)).
void add_tanh_factor(GraphBuilder& b, const std::string& x, bool pow, const Consts& k) {
  if (pow) {
    b.scalar("three", 3.0f).node("Pow", {x, "three"}, "x3", kOut, BinaryAttrs{BinaryOp::kPow});
  } else {
    b.binary("Mul", {x, x}, "x2", kOut).binary("Mul", {x, "x2"}, "x3", kOut);
  }
  b.scalar("cube", k.cube).scalar("c", k.sqrt2_over_pi).scalar("one", k.one);
  if (pow) b.binary("Mul", {"x3", "cube"}, "k", kOut).binary("Add", {"k", x}, "s", kOut).binary("Mul", {"s", "c"}, "v", kOut);
  else b.binary("Mul", {"cube", "x3"}, "k", kOut).binary("Add", {x, "k"}, "s", kOut).binary("Mul", {"c", "s"}, "v", kOut);
  b.node("Tanh", {"v"}, "t", kOut, act(ActKind::kTanh));
  b.binary("Add", pow ? std::vector<std::string>{"t", "one"} : std::vector<std::string>{"one", "t"}, "p", kOut);
}

// y = 0.5 * x * (1 + f(x)) in the given form, reading `x`, writing `y`.
void add_gelu(GraphBuilder& b, const std::string& x, Form form, const Consts& k = {}) {
  b.scalar("half", k.half).scalar("two", k.two);
  switch (form) {
    case Form::kErfTorch:
      add_erf_factor(b, x, true, false, k);
      b.binary("Mul", {x, "p"}, "m", kOut).binary("Mul", {"m", "half"}, "y", kOut);
      break;
    case Form::kErfHalfFirst:
      add_erf_factor(b, x, false, true, k);
      b.binary("Mul", {x, "half"}, "h", kOut).binary("Mul", {"h", "p"}, "y", kOut);
      break;
    case Form::kErfHalfOfFactor:
      add_erf_factor(b, x, true, false, k);
      b.binary("Mul", {"half", "p"}, "q", kOut).binary("Mul", {x, "q"}, "y", kOut);
      break;
    case Form::kErfDivByTwo:
      add_erf_factor(b, x, true, true, k);
      b.binary("Mul", {"p", x}, "m", kOut).binary("Div", {"m", "two"}, "y", kOut);
      break;
    case Form::kTanhTorch:
      add_tanh_factor(b, x, false, k);
      b.binary("Mul", {x, "p"}, "m", kOut).binary("Mul", {"half", "m"}, "y", kOut);
      break;
    case Form::kTanhPowHalfFirst:
      add_tanh_factor(b, x, true, k);
      b.binary("Mul", {"half", x}, "h", kOut).binary("Mul", {"h", "p"}, "y", kOut);
      break;
  }
}

// a [4,8] -> Gemm (w [8,16], bias [16]) -> "g" [4,16].
GraphBuilder gemm_base() {
  GraphBuilder b;
  b.input("a", {4, 8}).weight("w", {8, 16}).weight("bias", {16});
  b.node("Gemm", {"a", "w", "bias"}, "g", kOut, GemmAttrs{});
  return b;
}

class GeluForms : public ::testing::TestWithParam<Form> {};

TEST_P(GeluForms, FuseIntoGemm) {
  GraphBuilder b = gemm_base();
  add_gelu(b, "g", GetParam());
  b.output("y");
  Graph before = b.build();
  Graph after = before;
  ASSERT_TRUE(fuse_activation(after).is_ok());
  EXPECT_EQ(count_ops(after), (std::map<std::string, int>{{"Gemm", 1}})) << graph_to_string(after);
  EXPECT_EQ(epilogue_of(after, "Gemm").kind, is_tanh_form(GetParam()) ? ActKind::kGeluTanh : ActKind::kGelu);
  EXPECT_EQ(after.nodes[0].outputs[0], "y");
  EXPECT_EQ(after.initializers.count("half"), 0u);
  expect_same_outputs(before, after);
}

TEST_P(GeluForms, BecomeOneGeluNodeWithoutProducer) {
  GraphBuilder b;
  b.input("g", kOut);
  add_gelu(b, "g", GetParam());
  b.output("y");
  Graph before = b.build();
  Graph after = before;
  ASSERT_TRUE(fuse_activation(after).is_ok());
  EXPECT_EQ(count_ops(after), (std::map<std::string, int>{{"Gelu", 1}})) << graph_to_string(after);
  EXPECT_EQ(after.nodes[0].inputs, std::vector<std::string>{"g"});
  EXPECT_EQ(after.nodes[0].outputs, std::vector<std::string>{"y"});
  expect_same_outputs(before, after);
}

INSTANTIATE_TEST_SUITE_P(All, GeluForms,
                         ::testing::Values(Form::kErfTorch, Form::kErfHalfFirst, Form::kErfHalfOfFactor,
                                           Form::kErfDivByTwo, Form::kTanhTorch, Form::kTanhPowHalfFirst));

// Runs fuse_activation and expects the graph untouched in size and meaning.
void expect_not_matched(const GraphBuilder& b) {
  Graph before = b.build();
  Graph after = before;
  ASSERT_TRUE(fuse_activation(after).is_ok());
  EXPECT_EQ(count_ops(after).count("Gelu"), 0u) << graph_to_string(after);
  EXPECT_TRUE(epilogue_of(after, "Gemm").is_none());
  EXPECT_EQ(after.nodes.size(), before.nodes.size()) << graph_to_string(after);
  expect_same_outputs(before, after);
}

TEST(GeluPattern, OtherConstantsAreNotGelu) {
  Consts sqrt2_short, one_off, half_off, cube_off, c_off;
  sqrt2_short.sqrt2 = 1.41f;
  one_off.one = 1.1f;
  half_off.half = 0.6f;
  cube_off.cube = 0.04f;
  c_off.sqrt2_over_pi = 0.8f;
  for (const Consts& k : {sqrt2_short, one_off, half_off}) {
    GraphBuilder b = gemm_base();
    add_gelu(b, "g", Form::kErfTorch, k);
    expect_not_matched(b.output("y"));
  }
  for (const Consts& k : {cube_off, c_off, one_off}) {
    GraphBuilder b = gemm_base();
    add_gelu(b, "g", Form::kTanhTorch, k);
    expect_not_matched(b.output("y"));
  }
}

TEST(GeluPattern, IntermediateReadTwiceIsNotMatched) {
  for (const char* escapes : {"e", "p", "m"}) {  // Erf's output, 1 + erf, x * (1 + erf)
    SCOPED_TRACE(escapes);
    GraphBuilder b = gemm_base();
    add_gelu(b, "g", Form::kErfTorch);
    expect_not_matched(b.output("y").output(escapes));
  }
  GraphBuilder t = gemm_base();
  add_gelu(t, "g", Form::kTanhTorch);
  expect_not_matched(t.output("y").output("x3"));  // the cube escapes
}

TEST(GeluPattern, ADifferentTensorInTheProductIsNotMatched) {
  GraphBuilder b = gemm_base();
  b.input("other", kOut);
  add_erf_factor(b, "g", true, false, {});
  b.scalar("half", 0.5f).binary("Mul", {"other", "p"}, "m", kOut).binary("Mul", {"m", "half"}, "y", kOut);
  expect_not_matched(b.output("y"));
}

TEST(GeluPattern, DivOfTheConstantIsNotMatched) {  // sqrt2 / x is not x / sqrt2
  GraphBuilder b = gemm_base();
  b.scalar("sqrt2", 1.41421356f).binary("Div", {"sqrt2", "g"}, "u", kOut);
  b.node("Erf", {"u"}, "e", kOut, UnaryAttrs{UnaryOp::kErf});
  b.scalar("one", 1.0f).binary("Add", {"e", "one"}, "p", kOut);
  b.scalar("half", 0.5f).binary("Mul", {"g", "p"}, "m", kOut).binary("Mul", {"m", "half"}, "y", kOut);
  expect_not_matched(b.output("y"));
}

// timm's MLP: MatMul + Add (bias) + GELU. 2-D: MatMul + Add become a Gemm and the GELU its epilogue.
TEST(GeluPattern, MatMulAddGeluBecomesOneGemm) {
  GraphBuilder b;
  b.input("a", {4, 8}).weight("w", {8, 16}).weight("bias", {16});
  b.node("MatMul", {"a", "w"}, "mm", kOut, MatMulAttrs{}).binary("Add", {"bias", "mm"}, "g", kOut);
  add_gelu(b, "g", Form::kErfTorch);
  Graph before = b.output("y").build();
  Graph after = before;
  ASSERT_TRUE(run_passes(after).is_ok());
  EXPECT_EQ(count_ops(after), (std::map<std::string, int>{{"Gemm", 1}})) << graph_to_string(after);
  EXPECT_EQ(epilogue_of(after, "Gemm").kind, ActKind::kGelu);
  expect_same_outputs(before, after);
}

// 3-D tokens [B, N, C] (ViT, ConvNeXt): the GELU becomes one node at least (fused into the
// product when MatMul + Add of 3-D inputs becomes a Gemm).
TEST(GeluPattern, MatMulAddGeluOnTokensLosesTheDecomposition) {
  const Shape tokens{2, 4, 16};
  GraphBuilder b;
  b.input("a", {2, 4, 8}).weight("w", {8, 16}).weight("bias", {16});
  b.node("MatMul", {"a", "w"}, "mm", tokens, MatMulAttrs{}).binary("Add", {"mm", "bias"}, "g", tokens);
  b.scalar("sqrt2", 1.41421356f).binary("Div", {"g", "sqrt2"}, "u", tokens);
  b.node("Erf", {"u"}, "e", tokens, UnaryAttrs{UnaryOp::kErf});
  b.scalar("one", 1.0f).binary("Add", {"e", "one"}, "p", tokens);
  b.scalar("half", 0.5f).binary("Mul", {"g", "p"}, "m", tokens).binary("Mul", {"m", "half"}, "y", tokens);
  Graph before = b.output("y").build();
  Graph after = before;
  ASSERT_TRUE(run_passes(after).is_ok());
  const auto ops = count_ops(after);
  EXPECT_EQ(ops.count("Erf"), 0u) << graph_to_string(after);
  EXPECT_TRUE(ops.count("Gelu") == 1 || epilogue_of(after, "Gemm").kind == ActKind::kGelu ||
              epilogue_of(after, "MatMul").kind == ActKind::kGelu)
      << graph_to_string(after);
  expect_same_outputs(before, after);
}

TEST(MishPattern, FusesIntoGemmAndNeedsTheSameX) {
  GraphBuilder b = gemm_base();
  b.node("Softplus", {"g"}, "sp", kOut, act(ActKind::kSoftplus)).node("Tanh", {"sp"}, "t", kOut, act(ActKind::kTanh));
  b.binary("Mul", {"t", "g"}, "y", kOut).output("y");
  Graph before = b.build();
  Graph after = before;
  ASSERT_TRUE(fuse_activation(after).is_ok());
  EXPECT_EQ(count_ops(after), (std::map<std::string, int>{{"Gemm", 1}})) << graph_to_string(after);
  EXPECT_EQ(epilogue_of(after, "Gemm").kind, ActKind::kMish);
  expect_same_outputs(before, after);

  GraphBuilder c;  // no Gemm: its Softplus would fuse
  c.input("g", kOut).input("other", kOut);
  c.node("Softplus", {"g"}, "sp", kOut, act(ActKind::kSoftplus)).node("Tanh", {"sp"}, "t", kOut, act(ActKind::kTanh));
  c.binary("Mul", {"t", "other"}, "y", kOut).output("y");
  Graph before2 = c.build();
  Graph after2 = before2;
  ASSERT_TRUE(fuse_activation(after2).is_ok());
  EXPECT_EQ(count_ops(after2).count("Mish"), 0u) << graph_to_string(after2);
  EXPECT_EQ(after2.nodes.size(), before2.nodes.size());
  expect_same_outputs(before2, after2);
}

TEST(MishPattern, SoftplusReadTwiceIsNotMatched) {
  GraphBuilder b;
  b.input("x", kOut);
  b.node("Softplus", {"x"}, "sp", kOut, act(ActKind::kSoftplus)).node("Tanh", {"sp"}, "t", kOut, act(ActKind::kTanh));
  b.binary("Mul", {"x", "t"}, "y", kOut).output("y").output("sp");
  Graph before = b.build();
  Graph after = before;
  ASSERT_TRUE(fuse_activation(after).is_ok());
  EXPECT_EQ(count_ops(after).count("Mish"), 0u) << graph_to_string(after);
  expect_same_outputs(before, after);
}

}  // namespace
}  // namespace tandem::ir
