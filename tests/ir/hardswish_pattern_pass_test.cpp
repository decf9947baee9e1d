// The decomposed HardSwish forms fuse_activation recognises (hardswish_pattern.cpp).
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

enum class Form { kMulThenDiv, kMulThenMulSixth, kDivThenMul, kMulSixthThenMul, kHardSigmoid };

struct Consts {
  float three = 3.0f, lo = 0.0f, hi = 6.0f, six = 6.0f;
};

// Appends x * relu6(x + 3) / 6 in the given form, reading `x`, writing `y`.
void add_hardswish(GraphBuilder& b, const std::string& x, Form form, const Consts& k = {}) {
  if (form == Form::kHardSigmoid) {
    b.node("HardSigmoid", {x}, "h", kOut, act(ActKind::kHardSigmoid, 1.0f / 6.0f, 0.5f));
    b.binary("Mul", {x, "h"}, "y", kOut);
    return;
  }
  b.scalar("three", k.three).scalar("six", k.six).scalar("sixth", 1.0f / k.six);
  b.binary("Add", {"three", x}, "t", kOut);
  b.node("Clip", {"t"}, "r6", kOut, act(ActKind::kClip, k.lo, k.hi));
  switch (form) {
    case Form::kMulThenDiv:
      b.binary("Mul", {x, "r6"}, "m", kOut).binary("Div", {"m", "six"}, "y", kOut);
      break;
    case Form::kMulThenMulSixth:
      b.binary("Mul", {"r6", x}, "m", kOut).binary("Mul", {"sixth", "m"}, "y", kOut);
      break;
    case Form::kDivThenMul:
      b.binary("Div", {"r6", "six"}, "d", kOut).binary("Mul", {x, "d"}, "y", kOut);
      break;
    default:
      b.binary("Mul", {"r6", "sixth"}, "d", kOut).binary("Mul", {"d", x}, "y", kOut);
      break;
  }
}

GraphBuilder conv_base() {
  GraphBuilder b;
  b.input("x", {1, 3, 6, 6}).weight("w", {4, 3, 3, 3}).weight("b", {4});
  b.node("Conv", {"x", "w", "b"}, "c", kOut, conv_attrs(3));
  return b;
}

class HardSwishForms : public ::testing::TestWithParam<Form> {};

TEST_P(HardSwishForms, FuseIntoConv) {
  GraphBuilder b = conv_base();
  add_hardswish(b, "c", GetParam());
  b.output("y");
  Graph before = b.build();
  Graph after = before;
  ASSERT_TRUE(fuse_activation(after).is_ok());
  EXPECT_EQ(count_ops(after), (std::map<std::string, int>{{"Conv", 1}})) << graph_to_string(after);
  EXPECT_EQ(epilogue_of(after, "Conv").kind, ActKind::kHardSwish);
  EXPECT_EQ(after.nodes[0].outputs[0], "y");
  EXPECT_TRUE(after.initializers.count("w"));
  EXPECT_EQ(after.initializers.count("three"), 0u);
  expect_same_outputs(before, after);
}

TEST_P(HardSwishForms, BecomeOneNodeWithoutConv) {
  GraphBuilder b;
  b.input("c", kOut);
  add_hardswish(b, "c", GetParam());
  b.output("y");
  Graph before = b.build();
  Graph after = before;
  ASSERT_TRUE(fuse_activation(after).is_ok());
  EXPECT_EQ(count_ops(after), (std::map<std::string, int>{{"HardSwish", 1}})) << graph_to_string(after);
  EXPECT_EQ(after.nodes[0].inputs, std::vector<std::string>{"c"});
  EXPECT_EQ(after.nodes[0].outputs, std::vector<std::string>{"y"});
  expect_same_outputs(before, after);
}

INSTANTIATE_TEST_SUITE_P(All, HardSwishForms,
                         ::testing::Values(Form::kMulThenDiv, Form::kMulThenMulSixth, Form::kDivThenMul,
                                           Form::kMulSixthThenMul, Form::kHardSigmoid));

TEST(HardSwishPattern, ConvOutputAlsoReadElsewhereGivesHardSwishNode) {
  GraphBuilder b = conv_base();
  add_hardswish(b, "c", Form::kMulThenDiv);
  b.output("y").output("c");
  Graph before = b.build();
  Graph after = before;
  ASSERT_TRUE(fuse_activation(after).is_ok());
  EXPECT_EQ(count_ops(after), (std::map<std::string, int>{{"Conv", 1}, {"HardSwish", 1}}));
  EXPECT_TRUE(epilogue_of(after, "Conv").is_none());
  expect_same_outputs(before, after);
}

TEST(HardSwishPattern, OtherConstantsAreNotHardSwish) {
  Consts clip_max5;
  clip_max5.hi = 5.0f;
  Consts add_29;
  add_29.three = 2.9f;
  Consts div_5;
  div_5.six = 5.0f;
  Consts clip_min_neg;
  clip_min_neg.lo = -1.0f;
  for (const Consts& k : {clip_max5, add_29, div_5, clip_min_neg}) {
    GraphBuilder b = conv_base();
    add_hardswish(b, "c", Form::kMulThenDiv, k);
    b.output("y");
    Graph before = b.build();
    Graph after = before;
    ASSERT_TRUE(fuse_activation(after).is_ok());
    EXPECT_EQ(count_ops(after).count("HardSwish"), 0u) << graph_to_string(after);
    EXPECT_NE(epilogue_of(after, "Conv").kind, ActKind::kHardSwish);
    EXPECT_EQ(after.nodes.size(), before.nodes.size());
    expect_same_outputs(before, after);
  }
}

TEST(HardSwishPattern, HardSigmoidWithOtherAlphaIsNotHardSwish) {
  GraphBuilder b = conv_base();
  b.node("HardSigmoid", {"c"}, "h", kOut, act(ActKind::kHardSigmoid, 0.2f, 0.5f));
  b.binary("Mul", {"c", "h"}, "y", kOut).output("y");
  Graph before = b.build();
  Graph after = before;
  ASSERT_TRUE(fuse_activation(after).is_ok());
  EXPECT_EQ(count_ops(after), (std::map<std::string, int>{{"Conv", 1}, {"HardSigmoid", 1}, {"Mul", 1}}));
  expect_same_outputs(before, after);
}

TEST(HardSwishPattern, IntermediateReadTwiceIsNotMatched) {
  GraphBuilder b = conv_base();
  add_hardswish(b, "c", Form::kMulThenDiv);
  b.output("y").output("r6");  // the Clip's output escapes
  Graph before = b.build();
  Graph after = before;
  ASSERT_TRUE(fuse_activation(after).is_ok());
  EXPECT_EQ(count_ops(after).count("HardSwish"), 0u);
  EXPECT_EQ(after.nodes.size(), before.nodes.size());
  expect_same_outputs(before, after);
}

TEST(HardSwishPattern, MulWithADifferentTensorIsNotMatched) {
  GraphBuilder b = conv_base();
  b.input("other", kOut);
  b.scalar("three", 3.0f).scalar("six", 6.0f);
  b.binary("Add", {"c", "three"}, "t", kOut);
  b.node("Clip", {"t"}, "r6", kOut, act(ActKind::kClip, 0.0f, 6.0f));
  b.binary("Mul", {"other", "r6"}, "m", kOut).binary("Div", {"m", "six"}, "y", kOut).output("y");
  Graph before = b.build();
  Graph after = before;
  ASSERT_TRUE(fuse_activation(after).is_ok());
  EXPECT_EQ(count_ops(after).count("HardSwish"), 0u);
  expect_same_outputs(before, after);
}

}  // namespace
}  // namespace tandem::ir
