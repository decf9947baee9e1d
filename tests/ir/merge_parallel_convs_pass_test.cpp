#include "ir/passes/passes.h"
#include "pass_test_util.h"

namespace tandem::ir {
namespace {

using pass_test::conv_attrs;
using pass_test::expect_same_outputs;
using pass_test::GraphBuilder;

void add_identity_bn(GraphBuilder& b, const std::string& in, const std::string& out, const Shape& shape) {
  const int64_t c = shape[1];
  b.weight("bn_scale", {c}, 0.5f, 1.5f).weight("bn_shift", {c}).weight("bn_mean", {c}).weight("bn_var", {c}, 0.5f, 1.5f);
  b.node("BatchNormalization", {in, "bn_scale", "bn_shift", "bn_mean", "bn_var"}, out, shape, BatchNormAttrs{1e-5f});
}

// A RepVGG block as timm exports it: 3x3 + 1x1 + identity BN, summed, then Relu.
Graph repvgg_block(int64_t group, int64_t stride) {
  GraphBuilder b;
  const int64_t c = 8, hw = stride == 1 ? 6 : 3;
  b.input("x", {2, c, 6, 6}).weight("w3", {c, c / group, 3, 3}).weight("b3", {c}).weight("w1", {c, c / group, 1, 1}).weight("b1", {c});
  b.node("Conv", {"x", "w1", "b1"}, "k1", {2, c, hw, hw}, conv_attrs(1, stride, 0, group));
  b.node("Conv", {"x", "w3", "b3"}, "k3", {2, c, hw, hw}, conv_attrs(3, stride, 1, group));
  b.binary("Add", {"k1", "k3"}, "s", {2, c, hw, hw});
  std::string last = "s";
  if (stride == 1) {
    add_identity_bn(b, "x", "id", {2, c, 6, 6});
    b.binary("Add", {"s", "id"}, "s2", {2, c, 6, 6});
    last = "s2";
  }
  b.node("Relu", {last}, "y", {2, c, hw, hw}, pass_test::act(ActKind::kRelu));
  b.output("y");
  return b.build();
}

TEST(MergeParallelConvsPass, RepVggBlockBecomesOneConv) {
  for (int64_t group : {1, 2}) {
    SCOPED_TRACE("group " + std::to_string(group));
    const Graph before = repvgg_block(group, 1);
    Graph after = before;
    ASSERT_TRUE(merge_parallel_convs(after).is_ok());
    EXPECT_EQ(count_ops(after), (std::map<std::string, int>{{"Conv", 1}, {"Relu", 1}}));
    const ConvAttrs& a = std::get<ConvAttrs>(after.nodes[0].attrs);
    EXPECT_EQ(a.kernel_shape, (std::vector<int64_t>{3, 3}));
    EXPECT_EQ(after.nodes[0].outputs[0], "s2");
    expect_same_outputs(before, after);
  }
}

TEST(MergeParallelConvsPass, StridedBranchesMergeWithoutIdentity) {
  const Graph before = repvgg_block(1, 2);
  Graph after = before;
  ASSERT_TRUE(merge_parallel_convs(after).is_ok());
  EXPECT_EQ(count_ops(after), (std::map<std::string, int>{{"Conv", 1}, {"Relu", 1}}));
  expect_same_outputs(before, after);
}

TEST(MergeParallelConvsPass, TheWholePipelineFusesTheRelu) {
  const Graph before = repvgg_block(1, 1);
  Graph after = before;
  ASSERT_TRUE(run_passes(after).is_ok());
  EXPECT_EQ(count_ops(after), (std::map<std::string, int>{{"Conv", 1}}));
  expect_same_outputs(before, after);
}

TEST(MergeParallelConvsPass, LeavesBranchesThatDoNotLineUp) {
  GraphBuilder b;
  b.input("x", {1, 4, 6, 6}).weight("w3", {4, 4, 3, 3}).weight("w1", {4, 4, 1, 1}).weight("w5", {4, 4, 3, 3});
  // A 3x3 without padding against a 1x1: the windows' centres differ (and so do the shapes).
  b.node("Conv", {"x", "w3"}, "a", {1, 4, 4, 4}, conv_attrs(3, 1, 0));
  b.node("Conv", {"x", "w1"}, "c", {1, 4, 6, 6}, conv_attrs(1, 1, 0));
  b.node("Conv", {"x", "w5"}, "d", {1, 4, 6, 6}, conv_attrs(3, 1, 1));
  b.node("Relu", {"d"}, "e", {1, 4, 6, 6}, pass_test::act(ActKind::kRelu));
  // c + Relu(d): not two convs. c is read twice: by this Add and the output.
  b.binary("Add", {"c", "e"}, "y", {1, 4, 6, 6});
  b.output("a").output("y").output("c");
  const Graph before = b.build();
  Graph after = before;
  ASSERT_TRUE(merge_parallel_convs(after).is_ok());
  EXPECT_EQ(count_ops(after), count_ops(before));
}

TEST(MergeParallelConvsPass, LeavesConvsOfDifferentInputs) {
  GraphBuilder b;
  b.input("x", {1, 4, 6, 6}).input("z", {1, 4, 6, 6}).weight("w1", {4, 4, 1, 1}).weight("w2", {4, 4, 1, 1});
  b.node("Conv", {"x", "w1"}, "a", {1, 4, 6, 6}, conv_attrs(1));
  b.node("Conv", {"z", "w2"}, "c", {1, 4, 6, 6}, conv_attrs(1));
  b.binary("Add", {"a", "c"}, "y", {1, 4, 6, 6});
  b.output("y");
  Graph after = b.build();
  ASSERT_TRUE(merge_parallel_convs(after).is_ok());
  EXPECT_EQ(count_ops(after), (std::map<std::string, int>{{"Add", 1}, {"Conv", 2}}));
}

}  // namespace
}  // namespace tandem::ir
