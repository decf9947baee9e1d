#include <cmath>

#include "ir/passes/passes.h"
#include "pass_test_util.h"

namespace tandem::ir {
namespace {

using pass_test::conv_attrs;
using pass_test::expect_same_outputs;
using pass_test::find_node;
using pass_test::GraphBuilder;

PadAttrs zero_pad(std::vector<int64_t> pads, float value = 0.0f, PadMode mode = PadMode::kConstant) {
  PadAttrs a;
  a.mode = mode;
  a.pads = std::move(pads);
  a.value = value;
  return a;
}

Tensor ints(const std::vector<int64_t>& v) { return Tensor::from_vector<int64_t>({int64_t(v.size())}, DType::kInt64, v); }

// x [2,3,9,9] -> Pad(pads) -> Conv 3x3 stride 2 (`conv_pads`) -> y.
Graph pad_then_conv(const PadAttrs& pad, const Shape& padded, std::vector<int64_t> conv_pads = {0, 0, 0, 0}) {
  ConvAttrs c = conv_attrs(3, 2, 0);
  c.pads = conv_pads;
  const int64_t oh = (padded[2] + conv_pads[0] + conv_pads[2] - 3) / 2 + 1;
  const int64_t ow = (padded[3] + conv_pads[1] + conv_pads[3] - 3) / 2 + 1;
  GraphBuilder b;
  b.input("x", {2, 3, 9, 9}).weight("w", {4, padded[1], 3, 3}).weight("b", {4}).constant("pads", ints(pad.pads));
  b.node("Pad", {"x", "pads"}, "p", padded, pad);
  b.node("Conv", {"p", "w", "b"}, "y", {2, 4, oh, ow}, c);
  return b.output("y").build();
}

TEST(FoldPadIntoConvPass, TfSamePaddingFolds) {  // TF "same" pads: 0 before / 1 after on H, 1 / 1 on W
  Graph before = pad_then_conv(zero_pad({0, 0, 0, 1, 0, 0, 1, 1}), {2, 3, 10, 11});
  Graph after = before;
  ASSERT_TRUE(fold_pad_into_conv(after).is_ok());
  EXPECT_EQ(count_ops(after), (std::map<std::string, int>{{"Conv", 1}}));
  const Node& conv = after.nodes[0];
  EXPECT_EQ(conv.inputs[0], "x");
  EXPECT_EQ(std::get<ConvAttrs>(conv.attrs).pads, (std::vector<int64_t>{0, 1, 1, 1}));
  EXPECT_EQ(after.initializers.count("pads"), 0u);  // nothing reads it any more
  EXPECT_EQ(after.values.count("p"), 0u);
  expect_same_outputs(before, after);
}

TEST(FoldPadIntoConvPass, AddsToTheConvsOwnPadsAndDropsAutoPad) {
  Graph before = pad_then_conv(zero_pad({0, 0, 2, 0, 0, 0, 0, 1}), {2, 3, 11, 10}, {1, 1, 0, 1});
  std::get<ConvAttrs>(before.nodes[1].attrs).auto_pad = "SAME_UPPER";  // already resolved into pads
  Graph after = before;
  ASSERT_TRUE(fold_pad_into_conv(after).is_ok());
  const auto& c = std::get<ConvAttrs>(find_node(after, "Conv")->attrs);
  EXPECT_EQ(c.pads, (std::vector<int64_t>{3, 1, 0, 2}));
  EXPECT_EQ(c.auto_pad, "NOTSET");
  EXPECT_EQ(find_node(after, "Pad"), nullptr);
  std::get<ConvAttrs>(before.nodes[1].attrs).auto_pad = "NOTSET";  // the reference reads pads only
  expect_same_outputs(before, after);
}

TEST(FoldPadIntoConvPass, LeavesPadsAConvCannotTake) {
  const struct {
    const char* why;
    PadAttrs pad;
    Shape padded;
  } cases[] = {
      {"non-zero constant", zero_pad({0, 0, 1, 1, 0, 0, 1, 1}, 0.5f), {2, 3, 11, 11}},
      {"reflect", zero_pad({0, 0, 1, 1, 0, 0, 1, 1}, 0.0f, PadMode::kReflect), {2, 3, 11, 11}},
      {"edge", zero_pad({0, 0, 1, 1, 0, 0, 1, 1}, 0.0f, PadMode::kEdge), {2, 3, 11, 11}},
      {"channels padded", zero_pad({0, 1, 1, 1, 0, 0, 1, 1}), {2, 4, 11, 11}},
      {"batch padded", zero_pad({0, 0, 1, 1, 1, 0, 1, 1}), {3, 3, 11, 11}},
      {"a crop", zero_pad({0, 0, -1, 1, 0, 0, 1, 1}), {2, 3, 9, 11}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.why);
    Graph g = pad_then_conv(c.pad, c.padded);
    ASSERT_TRUE(fold_pad_into_conv(g).is_ok());
    EXPECT_EQ(count_ops(g), (std::map<std::string, int>{{"Conv", 1}, {"Pad", 1}}));
  }
}

TEST(FoldPadIntoConvPass, LeavesAPadOutputReadElsewhere) {
  Graph g = pad_then_conv(zero_pad({0, 0, 1, 1, 0, 0, 1, 1}), {2, 3, 11, 11});
  Graph as_output = g;
  as_output.outputs.push_back("p");
  ASSERT_TRUE(fold_pad_into_conv(as_output).is_ok());
  EXPECT_NE(find_node(as_output, "Pad"), nullptr);
  g.nodes.push_back(Node{"n_r", "Relu", {"p"}, {"r"}, pass_test::act(ActKind::kRelu), {}});
  g.values["r"] = ValueInfo{DType::kFloat32, {2, 3, 11, 11}, true};
  g.outputs.push_back("r");
  ASSERT_TRUE(fold_pad_into_conv(g).is_ok());
  EXPECT_NE(find_node(g, "Pad"), nullptr);
}

PoolAttrs max_pool(bool ceil_mode = false) {
  PoolAttrs m;
  m.kind = PoolKind::kMax;
  m.kernel_shape = {3, 3}, m.strides = {2, 2}, m.pads = {0, 0, 0, 0}, m.dilations = {1, 1};
  m.ceil_mode = ceil_mode;
  return m;
}

Graph pad_then_max_pool(const PadAttrs& pad, const Shape& padded, const PoolAttrs& m) {
  GraphBuilder b;
  b.input("x", {2, 3, 9, 9}).constant("pads", ints(pad.pads));
  b.node("Pad", {"x", "pads"}, "p", padded, pad);
  b.node("MaxPool", {"p"}, "y", {2, 3, (padded[2] - 3) / 2 + 1, (padded[3] - 3) / 2 + 1}, m);
  return b.output("y").build();
}

TEST(FoldPadIntoConvPass, MinusInfinityPadFoldsIntoMaxPool) {  // timm's MaxPool2dSame
  Graph before = pad_then_max_pool(zero_pad({0, 0, 0, 1, 0, 0, 2, 1}, -INFINITY), {2, 3, 11, 11}, max_pool());
  Graph after = before;
  ASSERT_TRUE(fold_pad_into_conv(after).is_ok());
  EXPECT_EQ(count_ops(after), (std::map<std::string, int>{{"MaxPool", 1}}));
  EXPECT_EQ(std::get<PoolAttrs>(after.nodes[0].attrs).pads, (std::vector<int64_t>{0, 1, 2, 1}));
  expect_same_outputs(before, after);
}

TEST(FoldPadIntoConvPass, MaxPoolKeepsOtherPads) {
  const struct {
    const char* why;
    PadAttrs pad;
    Shape padded;
    bool ceil_mode;
  } cases[] = {
      {"zero is not -inf", zero_pad({0, 0, 1, 1, 0, 0, 1, 1}), {2, 3, 11, 11}, false},
      {"ceil_mode", zero_pad({0, 0, 1, 1, 0, 0, 1, 1}, -INFINITY), {2, 3, 11, 11}, true},
      {"a pad as large as the window", zero_pad({0, 0, 3, 0, 0, 0, 0, 0}, -INFINITY), {2, 3, 12, 9}, false},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.why);
    Graph g = pad_then_max_pool(c.pad, c.padded, max_pool(c.ceil_mode));
    ASSERT_TRUE(fold_pad_into_conv(g).is_ok());
    EXPECT_NE(find_node(g, "Pad"), nullptr);
  }
}

TEST(FoldPadIntoConvPass, RunsInThePipelineUnlessTurnedOff) {
  const Graph g = pad_then_conv(zero_pad({0, 0, 1, 1, 0, 0, 1, 1}), {2, 3, 11, 11});
  Graph on = g, off = g;
  ASSERT_TRUE(run_passes(on).is_ok());
  EXPECT_EQ(find_node(on, "Pad"), nullptr);
  PassOptions opts;
  opts.fold_pad_into_conv = false;
  ASSERT_TRUE(run_passes(off, opts).is_ok());
  EXPECT_NE(find_node(off, "Pad"), nullptr);
}

}  // namespace
}  // namespace tandem::ir
