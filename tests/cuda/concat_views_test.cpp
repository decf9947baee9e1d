// The CUDA backend's concat views (cuda_schedule.h): which Concat outputs become views of a later
// Concat's, which inputs each Concat still copies, and that views take no arena space. Planning
// only: no device is needed, so these run on CI too (the GPU runs of dense_style check the values).
#include <gtest/gtest.h>

#include "backends/cuda/concat_views.h"
#include "backends/cuda/cuda_schedule.h"
#include "ops/op_test_util.h"

namespace tandem {
namespace {

using cuda::OpInstance;
using optest::GraphBuilder;

size_t tensor_bytes(const ir::Graph& g, const std::string& name, int elem_size) {
  return size_t(shape_numel(g.info(name)->shape)) * size_t(elem_size);
}

// A DenseNet block: feature k+1 = Relu(BN(concat of features 0..k)); `side_reader` adds a Relu that
// reads the first concat too.
ir::Graph dense_block(bool side_reader) {
  GraphBuilder b;
  b.input("x", {2, 8, 4, 4});
  b.node("Relu", {"x"}, {"f1"}, ir::ActivationAttrs{{ir::ActKind::kRelu}}, {{2, 8, 4, 4}});
  b.node("Concat", {"x", "f1"}, {"c1"}, ir::ConcatAttrs{1}, {{2, 16, 4, 4}});
  std::vector<std::string> feats = {"x", "f1"};
  int64_t c = 16;
  for (int k = 1; k <= 2; ++k) {
    const std::string s = std::to_string(k);
    for (const char* p : {"scale", "bias", "mean"}) b.weight(p + s, {c});
    b.weight("var" + s, {c}, 0.5f, 1.5f);
    b.node("BatchNormalization", {"c" + s, "scale" + s, "bias" + s, "mean" + s, "var" + s}, {"b" + s},
           ir::BatchNormAttrs{1e-5f}, {{2, c, 4, 4}});
    b.node("Relu", {"b" + s}, {"f" + std::to_string(k + 1)}, ir::ActivationAttrs{{ir::ActKind::kRelu}},
           {{2, c, 4, 4}});
    feats.push_back("f" + std::to_string(k + 1));
    c += c;
    b.node("Concat", feats, {"c" + std::to_string(k + 1)}, ir::ConcatAttrs{1}, {{2, c, 4, 4}});
  }
  b.output("c3");
  if (side_reader) b.node("Relu", {"c1"}, {"side"}, ir::ActivationAttrs{{ir::ActKind::kRelu}}, {{2, 16, 4, 4}}).output("side");
  return b.build();
}

const OpInstance& op_writing(const std::vector<OpInstance>& ops, const std::string& out) {
  for (const auto& op : ops)
    if (op.output == out) return op;
  ADD_FAILURE() << "no op writes " << out;
  return ops.front();
}

TEST(CudaConcatViews, ABlockSharesItsLastConcatAndCopiesEachFeatureOnce) {
  const ir::Graph g = dense_block(false);
  std::vector<OpInstance> ops = cuda::schedule_ops(g, {});
  const auto views = cuda::plan_concat_views(g, ops, true);
  EXPECT_EQ(views, (cuda::ConcatViews{{"c1", {"c3", 0}}, {"c2", {"c3", 0}}}));
  EXPECT_EQ(op_writing(ops, "c1").in_place, (std::vector<bool>{false, false}));
  EXPECT_EQ(op_writing(ops, "c2").in_place, (std::vector<bool>{true, true, false}));  // put there by c1's Concat
  EXPECT_EQ(op_writing(ops, "c3").in_place, (std::vector<bool>{true, true, true, false}));

  const cuda::ArenaPlan with = cuda::plan_arena(g, ops, tensor_bytes, 2, views);
  const cuda::ArenaPlan without = cuda::plan_arena(g, ops, tensor_bytes, 2);
  EXPECT_FALSE(with.offsets.count("c1"));
  EXPECT_FALSE(with.offsets.count("c2"));
  EXPECT_TRUE(without.offsets.count("c2"));
  // c3 lives from c1's Concat on: nothing alive meanwhile overlaps it.
  const size_t c3 = with.offsets.at("c3"), c3_end = c3 + tensor_bytes(g, "c3", 2);
  for (const char* t : {"f1", "f2", "f3"}) {
    const size_t off = with.offsets.at(t), end = off + tensor_bytes(g, t, 2);
    EXPECT_TRUE(end <= c3 || off >= c3_end) << t << " overlaps the shared concat";
  }
}

TEST(CudaConcatViews, AConcatReadByAnOpThatTakesNoViewsKeepsItsBuffer) {
  const ir::Graph g = dense_block(true);
  std::vector<OpInstance> ops = cuda::schedule_ops(g, {});
  const auto views = cuda::plan_concat_views(g, ops, true);
  EXPECT_EQ(views, (cuda::ConcatViews{{"c2", {"c3", 0}}}));
  EXPECT_EQ(op_writing(ops, "c2").in_place, (std::vector<bool>{false, false, false}));
  EXPECT_EQ(op_writing(ops, "c3").in_place, (std::vector<bool>{true, true, true, false}));
}

TEST(CudaConcatViews, OffForOtherAxesAndGraphOutputs) {
  GraphBuilder b;
  b.input("x", {2, 8, 4, 4});
  b.node("Relu", {"x"}, {"f1"}, ir::ActivationAttrs{{ir::ActKind::kRelu}}, {{2, 8, 4, 4}});
  b.node("Concat", {"x", "f1"}, {"c1"}, ir::ConcatAttrs{2}, {{2, 8, 8, 4}});
  b.node("Concat", {"x", "f1", "x"}, {"c2"}, ir::ConcatAttrs{2}, {{2, 8, 12, 4}});
  b.node("Concat", {"x", "f1"}, {"d1"}, ir::ConcatAttrs{1}, {{2, 16, 4, 4}});
  b.node("Concat", {"x", "f1", "x"}, {"d2"}, ir::ConcatAttrs{1}, {{2, 24, 4, 4}});
  b.output("c1").output("c2").output("d1").output("d2");
  const ir::Graph g = b.build();
  std::vector<OpInstance> ops = cuda::schedule_ops(g, {});
  EXPECT_TRUE(cuda::plan_concat_views(g, ops, true).empty());
}

// An Inception block: four branches, three of them Convs that only the Concat reads.
ir::Graph inception_block() {
  GraphBuilder b;
  b.input("x", {2, 8, 4, 4});
  const ir::ConvAttrs one_by_one{{1, 1}, {1, 1}, {0, 0, 0, 0}, {1, 1}, 1};
  for (const char* w : {"w1", "w2", "w3"}) b.weight(w, {16, 8, 1, 1});
  b.node("Conv", {"x", "w1"}, {"a"}, one_by_one, {{2, 16, 4, 4}});
  b.node("Conv", {"x", "w2"}, {"p"}, one_by_one, {{2, 16, 4, 4}});
  b.node("Relu", {"p"}, {"b"}, ir::ActivationAttrs{{ir::ActKind::kRelu}}, {{2, 16, 4, 4}});  // fused into the Conv
  b.node("Conv", {"x", "w3"}, {"c"}, one_by_one, {{2, 16, 4, 4}});
  b.node("Sigmoid", {"c"}, {"d"}, ir::ActivationAttrs{{ir::ActKind::kSigmoid}}, {{2, 16, 4, 4}});  // not a Relu
  b.node("Relu", {"a"}, {"e"}, ir::ActivationAttrs{{ir::ActKind::kRelu}}, {{2, 16, 4, 4}});
  b.weight("w4", {8, 8, 1, 1});  // a residual block's last Conv: x added in its epilogue
  b.node("Conv", {"x", "w4"}, {"r"}, one_by_one, {{2, 8, 4, 4}});
  b.node("Add", {"r", "x"}, {"g"}, ir::BinaryAttrs{}, {{2, 8, 4, 4}});
  b.node("Concat", {"x", "b", "d", "a", "e", "g"}, {"y"}, ir::ConcatAttrs{1}, {{2, 80, 4, 4}});
  b.output("y");
  return b.build();
}

TEST(CudaConcatViews, ConvBranchesWriteTheirChannelsInPlace) {
  const ir::Graph g = inception_block();
  std::vector<OpInstance> ops = cuda::schedule_ops(g, {});
  const auto views = cuda::plan_concat_views(g, ops, true);
  // b: a Conv + Relu, read only here, at channel 8; g: a Conv + residual Add at channel 72. Not x
  // (a graph input), d (a Sigmoid after the Conv), a (read by the Relu too) or e (a Relu of its
  // own, not a Conv).
  EXPECT_EQ(views, (cuda::ConcatViews{{"b", {"y", 8}}, {"g", {"y", 72}}}));
  EXPECT_EQ(op_writing(ops, "y").in_place, (std::vector<bool>{false, true, false, false, false, true}));
  const cuda::ArenaPlan arena = cuda::plan_arena(g, ops, tensor_bytes, 2, views);
  EXPECT_FALSE(arena.offsets.count("b"));
  // NCHW units (fp32, tf32) write no slices.
  std::vector<OpInstance> nchw = cuda::schedule_ops(g, {});
  EXPECT_TRUE(cuda::plan_concat_views(g, nchw, false).empty());
}

// DenseNet's features come from Convs: each is written once, in place, where every Concat of the
// chain reads it.
TEST(CudaConcatViews, FeaturesThatEveryConcatOfAChainPlacesAlikeAreWrittenInPlace) {
  GraphBuilder b;
  b.input("x", {2, 8, 4, 4});
  const ir::ConvAttrs one_by_one{{1, 1}, {1, 1}, {0, 0, 0, 0}, {1, 1}, 1};
  b.weight("w1", {8, 8, 1, 1}).weight("w2", {8, 16, 1, 1});
  b.node("Conv", {"x", "w1"}, {"f1"}, one_by_one, {{2, 8, 4, 4}});
  b.node("Concat", {"x", "f1"}, {"c1"}, ir::ConcatAttrs{1}, {{2, 16, 4, 4}});
  for (const char* p : {"scale", "bias", "mean"}) b.weight(p, {16});
  b.weight("var", {16}, 0.5f, 1.5f);
  b.node("BatchNormalization", {"c1", "scale", "bias", "mean", "var"}, {"n1"}, ir::BatchNormAttrs{1e-5f}, {{2, 16, 4, 4}});
  b.node("Conv", {"n1", "w2"}, {"f2"}, one_by_one, {{2, 8, 4, 4}});
  b.node("Concat", {"x", "f1", "f2"}, {"c2"}, ir::ConcatAttrs{1}, {{2, 24, 4, 4}}).output("c2");
  const ir::Graph g = b.build();
  std::vector<OpInstance> ops = cuda::schedule_ops(g, {});
  const auto views = cuda::plan_concat_views(g, ops, true);
  EXPECT_EQ(views, (cuda::ConcatViews{{"c1", {"c2", 0}}, {"f1", {"c2", 8}}, {"f2", {"c2", 16}}}));
  EXPECT_EQ(op_writing(ops, "c1").in_place, (std::vector<bool>{false, true}));
  EXPECT_EQ(op_writing(ops, "c2").in_place, (std::vector<bool>{true, true, true}));
}

}  // namespace
}  // namespace tandem
