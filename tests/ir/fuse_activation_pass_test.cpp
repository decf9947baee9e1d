#include <limits>

#include "ir/passes/passes.h"
#include "pass_test_util.h"

namespace tandem::ir {
namespace {

using pass_test::act;
using pass_test::conv_attrs;
using pass_test::epilogue_of;
using pass_test::expect_same_outputs;
using pass_test::GraphBuilder;

const Shape kOut{1, 4, 4, 4};

// x [1,3,6,6] -> Conv 3x3 -> "c" [1,4,4,4].
GraphBuilder conv_base() {
  GraphBuilder b;
  b.input("x", {1, 3, 6, 6}).weight("w", {4, 3, 3, 3}).weight("b", {4});
  b.node("Conv", {"x", "w", "b"}, "c", kOut, conv_attrs(3));
  return b;
}

struct ActCase {
  const char* op;
  Epilogue e;
};

class FuseSingleActivation : public ::testing::TestWithParam<ActCase> {};

TEST_P(FuseSingleActivation, IntoConv) {
  const ActCase& p = GetParam();
  GraphBuilder b = conv_base();
  b.node(p.op, {"c"}, "y", kOut, ActivationAttrs{p.e}).output("y");
  Graph before = b.build();
  Graph after = before;
  ASSERT_TRUE(fuse_activation(after).is_ok());
  EXPECT_EQ(count_ops(after), (std::map<std::string, int>{{"Conv", 1}}));
  EXPECT_EQ(epilogue_of(after, "Conv"), p.e);
  EXPECT_EQ(after.nodes[0].outputs[0], "y");  // the graph output name is kept
  EXPECT_EQ(after.values.count("c"), 0u);
  expect_same_outputs(before, after);
}

INSTANTIATE_TEST_SUITE_P(
    Kinds, FuseSingleActivation,
    ::testing::Values(ActCase{"Relu", {ActKind::kRelu}}, ActCase{"Clip", {ActKind::kClip, 0.0f, 6.0f}},
                      ActCase{"Clip", {ActKind::kClip, -0.5f, 0.5f}},
                      ActCase{"HardSigmoid", {ActKind::kHardSigmoid, 0.2f, 0.5f}},
                      ActCase{"HardSwish", {ActKind::kHardSwish}}, ActCase{"Sigmoid", {ActKind::kSigmoid}},
                      ActCase{"LeakyRelu", {ActKind::kLeakyRelu, 0.1f}}, ActCase{"Tanh", {ActKind::kTanh}},
                      ActCase{"Gelu", {ActKind::kGelu}}, ActCase{"Gelu", {ActKind::kGeluTanh}},
                      ActCase{"Softplus", {ActKind::kSoftplus}}, ActCase{"Elu", {ActKind::kElu, 0.5f}},
                      ActCase{"Selu", {ActKind::kSelu, 1.6732632f, 1.0507010f}}, ActCase{"Mish", {ActKind::kMish}}),
    [](const auto& info) { return std::string(info.param.op) + std::to_string(info.index); });

TEST(FuseActivationPass, ClipWithConstantBoundInputs) {
  GraphBuilder b = conv_base();
  b.scalar("lo", 0.0f).scalar("hi", 6.0f);
  b.node("Clip", {"c", "lo", "hi"}, "y", kOut, act(ActKind::kClip, 0.0f, 6.0f)).output("y");
  Graph before = b.build();
  Graph after = before;
  ASSERT_TRUE(fuse_activation(after).is_ok());
  EXPECT_EQ(count_ops(after), (std::map<std::string, int>{{"Conv", 1}}));
  EXPECT_EQ(after.initializers.count("lo"), 0u);
  EXPECT_EQ(after.values.count("hi"), 0u);
  expect_same_outputs(before, after);
}

TEST(FuseActivationPass, ClipWithRuntimeBoundIsNotFused) {
  GraphBuilder b = conv_base();
  b.input("hi", {});
  b.node("Clip", {"c", "", "hi"}, "y", kOut,
         act(ActKind::kClip, -std::numeric_limits<float>::infinity(), std::numeric_limits<float>::infinity()));
  b.output("y");
  Graph g = b.build();
  ASSERT_TRUE(fuse_activation(g).is_ok());
  EXPECT_EQ(count_ops(g)["Clip"], 1);
  EXPECT_TRUE(epilogue_of(g, "Conv").is_none());
}

TEST(FuseActivationPass, IntoGemm) {
  GraphBuilder b;
  b.input("a", {3, 8}).weight("w", {8, 5}).weight("bias", {5});
  b.node("Gemm", {"a", "w", "bias"}, "g", {3, 5}, GemmAttrs{});
  b.node("Relu", {"g"}, "y", {3, 5}, act(ActKind::kRelu)).output("y");
  Graph before = b.build();
  Graph after = before;
  ASSERT_TRUE(fuse_activation(after).is_ok());
  EXPECT_EQ(count_ops(after), (std::map<std::string, int>{{"Gemm", 1}}));
  EXPECT_EQ(epilogue_of(after, "Gemm").kind, ActKind::kRelu);
  expect_same_outputs(before, after);
}

// A standalone BN (DenseNet: after a Concat) takes the Relu; the reference applies it.
TEST(FuseActivationPass, IntoAStandaloneBatchNorm) {
  for (const Epilogue& e : {Epilogue{ActKind::kRelu}, Epilogue{ActKind::kSigmoid}}) {
    GraphBuilder b;
    b.input("x", {2, 4, 3, 3}).input("z", {2, 4, 3, 3});
    b.weight("scale", {8}, 0.5f, 1.5f).weight("shift", {8}).weight("mean", {8}).weight("var", {8}, 0.5f, 1.5f);
    b.node("Concat", {"x", "z"}, "c", {2, 8, 3, 3}, ConcatAttrs{1});
    b.node("BatchNormalization", {"c", "scale", "shift", "mean", "var"}, "n", {2, 8, 3, 3}, BatchNormAttrs{1e-5f});
    b.node(e.kind == ActKind::kRelu ? "Relu" : "Sigmoid", {"n"}, "y", {2, 8, 3, 3}, act(e.kind)).output("y");
    Graph before = b.build();
    Graph after = before;
    ASSERT_TRUE(fuse_activation(after).is_ok());
    EXPECT_EQ(count_ops(after), (std::map<std::string, int>{{"BatchNormalization", 1}, {"Concat", 1}}));
    EXPECT_EQ(epilogue_of(after, "BatchNormalization"), e);
    expect_same_outputs(before, after);
  }
}

TEST(FuseActivationPass, IntoConvTranspose) {
  GraphBuilder b;
  ConvTransposeAttrs a;
  a.kernel_shape = {2, 2};
  a.strides = {2, 2};
  a.pads = {0, 0, 0, 0};
  a.dilations = {1, 1};
  a.output_padding = {0, 0};
  b.input("x", {1, 3, 3, 3}).weight("w", {3, 2, 2, 2});
  b.node("ConvTranspose", {"x", "w"}, "c", {1, 2, 6, 6}, a);
  b.node("LeakyRelu", {"c"}, "y", {1, 2, 6, 6}, act(ActKind::kLeakyRelu, 0.2f)).output("y");
  Graph before = b.build();
  Graph after = before;
  ASSERT_TRUE(fuse_activation(after).is_ok());
  EXPECT_EQ(count_ops(after), (std::map<std::string, int>{{"ConvTranspose", 1}}));
  EXPECT_EQ(epilogue_of(after, "ConvTranspose"), (Epilogue{ActKind::kLeakyRelu, 0.2f, 0.0f}));
  expect_same_outputs(before, after);
}

TEST(FuseActivationPass, SiLUWrittenAsMulSigmoid) {
  for (bool sigmoid_first : {false, true}) {
    GraphBuilder b = conv_base();
    b.node("Sigmoid", {"c"}, "s", kOut, act(ActKind::kSigmoid));
    b.binary("Mul", sigmoid_first ? std::vector<std::string>{"s", "c"} : std::vector<std::string>{"c", "s"}, "y", kOut);
    b.output("y");
    Graph before = b.build();
    Graph after = before;
    ASSERT_TRUE(fuse_activation(after).is_ok());
    EXPECT_EQ(count_ops(after), (std::map<std::string, int>{{"Conv", 1}}));
    EXPECT_EQ(epilogue_of(after, "Conv").kind, ActKind::kSiLU);
    expect_same_outputs(before, after);
  }
}

TEST(FuseActivationPass, ConvOutputReadTwiceIsNotFused) {
  GraphBuilder b = conv_base();
  b.node("Relu", {"c"}, "y", kOut, act(ActKind::kRelu));
  b.output("y").output("c");
  Graph before = b.build();
  Graph after = before;
  ASSERT_TRUE(fuse_activation(after).is_ok());
  EXPECT_EQ(count_ops(after)["Relu"], 1);
  EXPECT_TRUE(epilogue_of(after, "Conv").is_none());
  expect_same_outputs(before, after);
}

TEST(FuseActivationPass, SecondActivationAfterAFusedOneStays) {
  GraphBuilder b = conv_base();
  b.node("Relu", {"c"}, "r", kOut, act(ActKind::kRelu));
  b.node("Sigmoid", {"r"}, "y", kOut, act(ActKind::kSigmoid)).output("y");
  Graph before = b.build();
  Graph after = before;
  ASSERT_TRUE(fuse_activation(after).is_ok());
  EXPECT_EQ(count_ops(after), (std::map<std::string, int>{{"Conv", 1}, {"Sigmoid", 1}}));
  EXPECT_EQ(epilogue_of(after, "Conv").kind, ActKind::kRelu);
  expect_same_outputs(before, after);
}

TEST(FuseActivationPass, ActivationAfterNonFusableOpStays) {
  GraphBuilder b;
  b.input("x", {2, 3});
  b.binary("Add", {"x", "x"}, "s", {2, 3});
  b.node("Relu", {"s"}, "y", {2, 3}, act(ActKind::kRelu)).output("y");
  Graph g = b.build();
  ASSERT_TRUE(fuse_activation(g).is_ok());
  EXPECT_EQ(count_ops(g), (std::map<std::string, int>{{"Add", 1}, {"Relu", 1}}));
}

}  // namespace
}  // namespace tandem::ir
