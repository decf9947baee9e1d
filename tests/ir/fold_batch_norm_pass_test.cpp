#include "ir/passes/passes.h"
#include "pass_test_util.h"

namespace tandem::ir {
namespace {

using pass_test::conv_attrs;
using pass_test::expect_same_outputs;
using pass_test::GraphBuilder;

// BN parameters for `c` channels, named <prefix>_scale/_shift/_mean/_var; var > 0.
void add_bn_params(GraphBuilder& b, int64_t c) {
  b.weight("bn_scale", {c}, 0.5f, 1.5f).weight("bn_shift", {c}).weight("bn_mean", {c}).weight("bn_var", {c}, 0.5f, 1.5f);
}

void add_bn(GraphBuilder& b, const std::string& in, const std::string& out, const Shape& shape) {
  b.node("BatchNormalization", {in, "bn_scale", "bn_shift", "bn_mean", "bn_var"}, out, shape, BatchNormAttrs{1e-3f});
}

TEST(FoldBatchNormPass, ConvWithoutBiasGetsOne) {
  GraphBuilder b;
  b.input("x", {2, 3, 7, 7}).weight("w", {5, 3, 3, 3});
  add_bn_params(b, 5);
  b.node("Conv", {"x", "w"}, "c", {2, 5, 4, 4}, conv_attrs(3, 2, 1));
  add_bn(b, "c", "y", {2, 5, 4, 4});
  b.output("y");
  Graph before = b.build();
  Graph after = before;
  ASSERT_TRUE(fold_batch_norm(after).is_ok());
  EXPECT_EQ(count_ops(after), (std::map<std::string, int>{{"Conv", 1}}));
  const Node& conv = after.nodes[0];
  ASSERT_EQ(conv.inputs.size(), 3u);
  EXPECT_TRUE(after.is_constant(conv.inputs[1]));
  EXPECT_TRUE(after.is_constant(conv.inputs[2]));
  EXPECT_EQ(conv.outputs[0], "y");
  // The old weight and the BN parameters are no longer read, so they are gone.
  EXPECT_EQ(after.initializers.size(), 2u);
  EXPECT_EQ(after.values.count("c"), 0u);
  ASSERT_TRUE(after.info(conv.inputs[2]));
  EXPECT_EQ(after.info(conv.inputs[2])->shape, (Shape{5}));
  expect_same_outputs(before, after);
}

TEST(FoldBatchNormPass, GroupedConvWithBiasFollowedByRelu) {
  GraphBuilder b;
  b.input("x", {1, 4, 6, 6}).weight("w", {6, 2, 3, 3}).weight("b", {6});
  add_bn_params(b, 6);
  b.node("Conv", {"x", "w", "b"}, "c", {1, 6, 6, 6}, conv_attrs(3, 1, 1, 2));
  add_bn(b, "c", "n", {1, 6, 6, 6});
  b.node("Relu", {"n"}, "y", {1, 6, 6, 6}, pass_test::act(ActKind::kRelu));
  b.output("y");
  Graph before = b.build();
  Graph after = before;
  ASSERT_TRUE(fold_batch_norm(after).is_ok());
  EXPECT_EQ(count_ops(after), (std::map<std::string, int>{{"Conv", 1}, {"Relu", 1}}));
  EXPECT_EQ(after.nodes[1].inputs[0], "n");
  expect_same_outputs(before, after);
}

TEST(FoldBatchNormPass, GroupedConvTranspose) {
  GraphBuilder b;
  // W [C=4, M/group=3, 2, 2], group 2 -> 6 output channels.
  b.input("x", {1, 4, 3, 3}).weight("w", {4, 3, 2, 2});
  add_bn_params(b, 6);
  ConvTransposeAttrs a;
  a.kernel_shape = {2, 2};
  a.strides = {2, 2};
  a.pads = {0, 0, 0, 0};
  a.dilations = {1, 1};
  a.output_padding = {0, 0};
  a.group = 2;
  b.node("ConvTranspose", {"x", "w"}, "c", {1, 6, 6, 6}, a);
  add_bn(b, "c", "y", {1, 6, 6, 6});
  b.output("y");
  Graph before = b.build();
  Graph after = before;
  ASSERT_TRUE(fold_batch_norm(after).is_ok());
  EXPECT_EQ(count_ops(after), (std::map<std::string, int>{{"ConvTranspose", 1}}));
  expect_same_outputs(before, after);
}

TEST(FoldBatchNormPass, StandaloneBatchNormStays) {
  GraphBuilder b;
  b.input("x", {1, 3, 4, 4});
  add_bn_params(b, 3);
  add_bn(b, "x", "y", {1, 3, 4, 4});
  b.output("y");
  Graph g = b.build();
  ASSERT_TRUE(fold_batch_norm(g).is_ok());
  EXPECT_EQ(count_ops(g)["BatchNormalization"], 1);
  EXPECT_EQ(g.initializers.size(), 4u);
}

TEST(FoldBatchNormPass, ConvOutputReadTwiceIsNotFolded) {
  GraphBuilder b;
  b.input("x", {1, 3, 5, 5}).weight("w", {4, 3, 3, 3});
  add_bn_params(b, 4);
  b.node("Conv", {"x", "w"}, "c", {1, 4, 3, 3}, conv_attrs(3));
  add_bn(b, "c", "y", {1, 4, 3, 3});
  b.node("Relu", {"c"}, "z", {1, 4, 3, 3}, pass_test::act(ActKind::kRelu));
  b.output("y").output("z");
  Graph before = b.build();
  Graph after = before;
  ASSERT_TRUE(fold_batch_norm(after).is_ok());
  EXPECT_EQ(count_ops(after)["BatchNormalization"], 1);
  expect_same_outputs(before, after);
}

TEST(FoldBatchNormPass, ConvWithRuntimeWeightIsNotFolded) {
  GraphBuilder b;
  b.input("x", {1, 3, 5, 5}).input("w", {4, 3, 3, 3});
  add_bn_params(b, 4);
  b.node("Conv", {"x", "w"}, "c", {1, 4, 3, 3}, conv_attrs(3));
  add_bn(b, "c", "y", {1, 4, 3, 3});
  b.output("y");
  Graph g = b.build();
  ASSERT_TRUE(fold_batch_norm(g).is_ok());
  EXPECT_EQ(count_ops(g)["BatchNormalization"], 1);
}

TEST(FoldBatchNormPass, ConvWithEpilogueIsNotFolded) {
  GraphBuilder b;
  ConvAttrs a = conv_attrs(3);
  a.epilogue = Epilogue{ActKind::kRelu};
  b.input("x", {1, 3, 5, 5}).weight("w", {4, 3, 3, 3});
  add_bn_params(b, 4);
  b.node("Conv", {"x", "w"}, "c", {1, 4, 3, 3}, a);
  add_bn(b, "c", "y", {1, 4, 3, 3});
  b.output("y");
  Graph before = b.build();
  Graph after = before;
  ASSERT_TRUE(fold_batch_norm(after).is_ok());
  EXPECT_EQ(count_ops(after)["BatchNormalization"], 1);
  expect_same_outputs(before, after);
}

}  // namespace
}  // namespace tandem::ir
