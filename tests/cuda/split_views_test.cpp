// The CUDA backend's split views (split_views.h). Planning (CudaSplitViews.*): which Split
// outputs become views of their input, which the Split still copies, and that views take no arena
// space; no device is needed, so these run on CI too. Values (CudaSplitViewValues.*, skipped with
// one line without a GPU): the same graphs in fp32, tf32 and fp16, with the views and with
// "split-views" off, against the reference backend on fresh random inputs.
#include <gtest/gtest.h>

#include "backends/cuda/cuda_schedule.h"
#include "backends/cuda/split_views.h"
#include "ops/op_test_util.h"

namespace tandem {
namespace {

using cuda::ConcatView;
using cuda::OpInstance;
using optest::GraphBuilder;

size_t tensor_bytes(const ir::Graph& g, const std::string& name, int elem_size) {
  return size_t(shape_numel(g.info(name)->shape)) * size_t(elem_size);
}

const ir::ConvAttrs kOneByOne{{1, 1}, {1, 1}, {0, 0, 0, 0}, {1, 1}, 1};
const ir::ConvAttrs kThreeByThree{{3, 3}, {1, 1}, {1, 1, 1, 1}, {1, 1}, 1};
ir::ActivationAttrs relu() { return {ir::Epilogue{ir::ActKind::kRelu}}; }

// The transformer's qkv: [3, B, heads, N, d] split along dim 0, each piece squeezed into
// attention; one piece is also a graph output.
ir::Graph qkv_graph() {
  GraphBuilder b;
  b.input("x", {2, 5, 24}).constant("s", Tensor::from_vector<int64_t>({5}, DType::kInt64, {2, 5, 3, 2, 4}));
  b.node("Reshape", {"x", "s"}, {"r"}, ir::ReshapeAttrs{false, {2, 5, 3, 2, 4}}, {{2, 5, 3, 2, 4}});
  b.node("Transpose", {"r"}, {"t"}, ir::TransposeAttrs{{2, 0, 3, 1, 4}}, {{3, 2, 2, 5, 4}});
  b.node("Split", {"t"}, {"q", "k", "v"}, ir::SplitAttrs{0, {1, 1, 1}}, {{1, 2, 2, 5, 4}, {1, 2, 2, 5, 4}, {1, 2, 2, 5, 4}});
  for (const char* p : {"q", "k", "v"})
    b.node("Squeeze", {p}, {std::string(p) + "s"}, ir::SqueezeAttrs{false, {0}}, {{2, 2, 5, 4}});
  b.node("FusedAttention", {"qs", "ks", "vs"}, {"y"}, ir::AttentionAttrs{0.5f}, {{2, 2, 5, 4}});
  return b.output("y").output("v").build();
}

// CSP-DarkNet's stage: the Conv's output split along the channels; one half straight into the
// Concat (a view), the other through a Conv (a packed copy).
ir::Graph csp_graph(int64_t batch) {
  GraphBuilder b;
  b.input("x", {batch, 8, 6, 6}).weight("w1", {16, 8, 1, 1}, -0.3f, 0.3f).weight("w2", {8, 8, 3, 3}, -0.2f, 0.2f);
  b.node("Conv", {"x", "w1"}, {"c"}, kOneByOne, {{batch, 16, 6, 6}});
  b.node("Split", {"c"}, {"a", "p"}, ir::SplitAttrs{1, {8, 8}}, {{batch, 8, 6, 6}, {batch, 8, 6, 6}});
  b.node("Conv", {"p", "w2"}, {"q"}, kThreeByThree, {{batch, 8, 6, 6}});
  b.node("Relu", {"q"}, {"bq"}, relu(), {{batch, 8, 6, 6}});
  b.node("Concat", {"a", "bq"}, {"y"}, ir::ConcatAttrs{1}, {{batch, 16, 6, 6}});
  return b.output("y").build();
}

// Res2Net's block: four pieces; s0 into a Conv, s1 added in that Conv's epilogue (a residual),
// s2 squared by a Mul and normalised by a BatchNormalization, s3 straight into the Concat.
ir::Graph res2net_graph() {
  GraphBuilder b;
  b.input("x", {2, 16, 5, 5}).weight("w0", {4, 4, 3, 3}, -0.3f, 0.3f).weight("w1", {4, 4, 3, 3}, -0.3f, 0.3f);
  for (const char* p : {"scale", "bias", "mean"}) b.weight(p, {4});
  b.weight("var", {4}, 0.5f, 1.5f);
  b.node("Split", {"x"}, {"s0", "s1", "s2", "s3"}, ir::SplitAttrs{1, {4, 4, 4, 4}},
         {{2, 4, 5, 5}, {2, 4, 5, 5}, {2, 4, 5, 5}, {2, 4, 5, 5}});
  b.node("Conv", {"s0", "w0"}, {"o0"}, kThreeByThree, {{2, 4, 5, 5}});
  b.node("Add", {"o0", "s1"}, {"sp"}, ir::BinaryAttrs{ir::BinaryOp::kAdd}, {{2, 4, 5, 5}});
  b.node("Conv", {"sp", "w1"}, {"o1"}, kThreeByThree, {{2, 4, 5, 5}});
  b.node("Mul", {"s2", "s2"}, {"m"}, ir::BinaryAttrs{ir::BinaryOp::kMul}, {{2, 4, 5, 5}});
  b.node("BatchNormalization", {"s2", "scale", "bias", "mean", "var"}, {"n"}, ir::BatchNormAttrs{1e-5f}, {{2, 4, 5, 5}});
  b.node("Concat", {"o0", "o1", "m", "n", "s3"}, {"y"}, ir::ConcatAttrs{1}, {{2, 20, 5, 5}});
  return b.output("y").build();
}

// A batch split of NHWC data (packed pieces), one piece a graph output, the other activated.
ir::Graph batch_split_graph() {
  GraphBuilder b;
  b.input("x", {4, 8, 5, 5});
  b.node("Relu", {"x"}, {"rx"}, relu(), {{4, 8, 5, 5}});
  b.node("Split", {"rx"}, {"a", "b"}, ir::SplitAttrs{0, {1, 3}}, {{1, 8, 5, 5}, {3, 8, 5, 5}});
  b.node("Sigmoid", {"a"}, {"sa"}, ir::ActivationAttrs{{ir::ActKind::kSigmoid}}, {{1, 8, 5, 5}});
  return b.output("sa").output("b").build();
}

struct Planned {
  std::vector<OpInstance> ops;
  cuda::ConcatViews views;
};

Planned plan(const ir::Graph& g, bool channels_last) {
  Planned p{cuda::schedule_ops(g, {}), {}};
  p.views = cuda::plan_concat_views(g, p.ops, channels_last);
  cuda::plan_split_views(g, p.ops, channels_last, p.views);
  return p;
}

const OpInstance& split_op(const std::vector<OpInstance>& ops) {
  for (const auto& op : ops)
    if (op.node->op_type == "Split") return op;
  ADD_FAILURE() << "no Split";
  return ops.front();
}

TEST(CudaSplitViews, QkvPiecesArePackedViewsOfTheInput) {
  const ir::Graph g = qkv_graph();
  const Planned p = plan(g, true);
  EXPECT_EQ(p.views, (cuda::ConcatViews{{"q", {"t", 0, 0, true}}, {"k", {"t", 1, 0, true}}, {"v", {"t", 2, 0, true}}}));
  EXPECT_EQ(split_op(p.ops).in_place, (std::vector<bool>{true, true, true}));
  const cuda::ArenaPlan arena = cuda::plan_arena(g, p.ops, tensor_bytes, 2, p.views);
  for (const char* t : {"q", "k", "v"}) EXPECT_FALSE(arena.offsets.count(t)) << t;
  // "v" is a graph output: t stays alive to the end, so nothing placed after the Split overlaps it.
  const size_t t0 = arena.offsets.at("t"), t1 = t0 + tensor_bytes(g, "t", 2);
  for (const char* later : {"qs", "ks", "vs", "y"}) {
    const size_t off = arena.offsets.at(later), end = off + tensor_bytes(g, later, 2);
    EXPECT_TRUE(end <= t0 || off >= t1) << later << " overlaps the split input";
  }
}

TEST(CudaSplitViews, ChannelPieceReadOnlyByAConcatIsAView) {
  for (bool nhwc : {true, false}) {
    SCOPED_TRACE(nhwc ? "NHWC" : "NCHW");
    const ir::Graph g = csp_graph(2);
    const Planned p = plan(g, nhwc);
    EXPECT_EQ(p.views.at("a"), (ConcatView{"c", 0, 1, false}));
    EXPECT_FALSE(p.views.count("p"));  // read by a Conv
    EXPECT_EQ(split_op(p.ops).in_place, (std::vector<bool>{true, false}));
    EXPECT_FALSE(cuda::plan_arena(g, p.ops, tensor_bytes, 2, p.views).offsets.count("a"));
  }
}

TEST(CudaSplitViews, OneImageChannelPiecesArePackedInNchwOnly) {
  const ir::Graph g = csp_graph(1);
  EXPECT_EQ(plan(g, false).views, (cuda::ConcatViews{{"a", {"c", 0, 1, true}}, {"p", {"c", 8, 1, true}}}));
  // In NHWC the Conv + Relu writes its channels of the Concat in place too (concat_views.h).
  EXPECT_EQ(plan(g, true).views, (cuda::ConcatViews{{"a", {"c", 0, 1, false}}, {"bq", {"y", 8}}}));
}

TEST(CudaSplitViews, PiecesReadByAddsConcatsAndNormsAreViews) {
  const ir::Graph g = res2net_graph();
  const Planned p = plan(g, true);
  // s0: a Conv's input; s1: read by the Add (o0 is read by the Concat too, so the Add stays an
  // op of its own); s2: the Mul and the BatchNormalization; s3: the Concat. o1 is a Concat slice.
  EXPECT_EQ(p.views, (cuda::ConcatViews{{"s1", {"x", 4, 1, false}}, {"s2", {"x", 8, 1, false}},
                                        {"s3", {"x", 12, 1, false}}, {"o1", {"y", 4}}}));
  EXPECT_EQ(split_op(p.ops).in_place, (std::vector<bool>{false, true, true, true}));
}

TEST(CudaSplitViews, APieceAddedInAConvsEpilogueKeepsItsCopy) {
  GraphBuilder b;
  b.input("x", {2, 8, 5, 5}).weight("w", {4, 4, 3, 3}, -0.3f, 0.3f);
  b.node("Split", {"x"}, {"s0", "s1"}, ir::SplitAttrs{1, {4, 4}}, {{2, 4, 5, 5}, {2, 4, 5, 5}});
  b.node("Conv", {"s0", "w"}, {"o"}, kThreeByThree, {{2, 4, 5, 5}});
  b.node("Add", {"o", "s1"}, {"y"}, ir::BinaryAttrs{ir::BinaryOp::kAdd}, {{2, 4, 5, 5}});
  const ir::Graph g = b.output("y").build();
  const Planned p = plan(g, true);
  ASSERT_EQ(p.ops.size(), 2u);  // the Split, and the Conv with s1 as its residual
  EXPECT_EQ(p.ops[1].residual, "s1");
  EXPECT_TRUE(p.views.empty());
}

TEST(CudaSplitViews, BatchSplitPiecesArePackedEvenAsGraphOutputs) {
  const ir::Graph g = batch_split_graph();
  EXPECT_EQ(plan(g, true).views, (cuda::ConcatViews{{"a", {"rx", 0, 0, true}}, {"b", {"rx", 1, 0, true}}}));
}

TEST(CudaSplitViews, NotOfConstantsOrOtherAxes) {
  GraphBuilder b;
  b.input("x", {2, 4, 6, 6}).weight("c", {2, 4, 6, 6});
  b.node("Split", {"x"}, {"a", "b"}, ir::SplitAttrs{2, {3, 3}}, {{2, 4, 3, 6}, {2, 4, 3, 6}});  // along H
  b.node("Split", {"c"}, {"e", "f"}, ir::SplitAttrs{0, {1, 1}}, {{1, 4, 6, 6}, {1, 4, 6, 6}});  // a constant
  b.node("Concat", {"a", "b"}, {"y"}, ir::ConcatAttrs{1}, {{2, 8, 3, 6}});
  b.node("Concat", {"e", "f"}, {"z"}, ir::ConcatAttrs{1}, {{1, 8, 6, 6}});
  const ir::Graph g = b.output("y").output("z").build();
  EXPECT_TRUE(plan(g, true).views.empty());
}

// ---- values on the GPU ----

class CudaSplitViewValues : public ::testing::Test {
 protected:
  void SetUp() override {
    auto b = make_backend("cuda");
    if (!b.is_ok()) GTEST_SKIP() << "cuda: " << b.status().message();
    backend_ = std::move(*b);
  }
  // Every precision the unit claims, views on and off, against the reference on fresh inputs.
  void check(const ir::Graph& g) {
    SCOPED_TRACE(ir::graph_to_string(g));
    const auto inputs = optest::random_inputs(g, 1234);
    auto ref = optest::run_on("reference", g, inputs);
    ASSERT_TRUE(ref.is_ok()) << ref.status().message();
    for (Precision prec : {Precision::kFloat32, Precision::kTF32, Precision::kFloat16}) {
      for (bool off : {false, true}) {
        UnitOptions o;
        o.precision = prec;
        if (off) o.diagnostics.features_off = {"split-views"};
        auto got = optest::run_on(*backend_, g, inputs, o);
        ASSERT_TRUE(got.is_ok()) << got.status().message();
        const std::string what = std::string(prec == Precision::kFloat32 ? "fp32" : prec == Precision::kTF32 ? "tf32" : "fp16") +
                                 (off ? " (split-views off)" : "");
        for (size_t i = 0; i < g.outputs.size(); ++i)
          EXPECT_TRUE(optest::within(optest::tolerance(prec, optest::OpClass::kArithmetic), (*ref)[i], (*got)[i],
                                     what + " '" + g.outputs[i] + "'"));
      }
    }
  }
  std::unique_ptr<Backend> backend_;
};

TEST_F(CudaSplitViewValues, Qkv) { check(qkv_graph()); }
TEST_F(CudaSplitViewValues, CspChannelSplit) {
  check(csp_graph(2));
  check(csp_graph(1));
}
TEST_F(CudaSplitViewValues, Res2NetPieces) { check(res2net_graph()); }
TEST_F(CudaSplitViewValues, BatchSplit) { check(batch_split_graph()); }

}  // namespace
}  // namespace tandem
