// The cpu backend's reference fallback (src/backends/cpu/ops/reference_fallback.cpp): nodes its
// own ops do not claim run the reference kernel on plain buffers, in the middle of oneDNN
// segments, on any dtype the kernel handles. Every graph is compared with the reference backend.
#include <gtest/gtest.h>

#include "ops/op_test_util.h"

namespace tandem {
namespace {

using optest::compare_backends;
using optest::GraphBuilder;

std::unique_ptr<Backend> cpu_backend() {
  auto b = make_backend("cpu");
  EXPECT_TRUE(b.is_ok()) << b.status().to_string();
  return std::move(b).value();
}

ir::ConvAttrs conv3x3() {
  ir::ConvAttrs a;
  a.kernel_shape = {3, 3}, a.strides = {1, 1}, a.pads = {1, 1, 1, 1}, a.dilations = {1, 1};
  return a;
}

Tensor int64s(const Shape& shape, const std::vector<int64_t>& v) { return Tensor::from_vector<int64_t>(shape, DType::kInt64, v); }

// The node named `op` (the first of that type) is claimed through the fallback, with `reason`.
void expect_fallback(const ir::Graph& g, const std::string& op, const std::string& reason) {
  auto cpu = cpu_backend();
  for (const auto& n : g.nodes) {
    if (n.op_type != op) continue;
    Status st = cpu->supports(g, n);
    EXPECT_TRUE(st.is_ok()) << st.to_string();
    const std::string note = cpu->claim_note(g, n);
    EXPECT_NE(note.find("reference kernel"), std::string::npos) << note;
    EXPECT_NE(note.find(reason), std::string::npos) << note;
    return;
  }
  ADD_FAILURE() << "no " << op << " node";
}

// x -> Conv (16 channels: oneDNN keeps its output in a blocked layout) -> Gather on the channel
// axis (constant int64 indices, a negative and a repeated one) -> Conv -> y.
ir::Graph conv_gather_conv() {
  return GraphBuilder()
      .input("x", {2, 8, 10, 10})
      .weight("w0", {16, 8, 3, 3}).weight("b0", {16}).weight("w1", {4, 6, 3, 3})
      .constant("idx", int64s({6}, {15, 0, 3, 3, 8, -1}))
      .node("Conv", {"x", "w0", "b0"}, {"c0"}, conv3x3(), {{2, 16, 10, 10}})
      .node("Gather", {"c0", "idx"}, {"g"}, ir::GatherAttrs{1}, {{2, 6, 10, 10}})
      .node("Conv", {"g", "w1"}, {"y"}, conv3x3(), {{2, 4, 10, 10}})
      .output("y")
      .build();
}

TEST(CpuFallback, GatherAfterBlockedConvInsideConvNet) {
  ir::Graph g = conv_gather_conv();
  // cpu has its own Gather of constant indices now (a strided reorder): claimed without the fallback.
  for (const auto& n : g.nodes)
    if (n.op_type == "Gather") EXPECT_TRUE(cpu_backend()->supports(g, n).is_ok());
  // Conv's own entry still claims the convs.
  EXPECT_EQ(cpu_backend()->claim_note(g, g.nodes[0]), "");
  EXPECT_TRUE(compare_backends(g, "cpu"));
}

TEST(CpuFallback, GatheredTensorIsAlsoAnOutput) {
  ir::Graph g = conv_gather_conv();
  g.outputs.push_back("g");  // read by the second Conv and bound to the caller's buffer
  g.outputs.push_back("c0");
  EXPECT_TRUE(compare_backends(g, "cpu"));
}

TEST(CpuFallback, SliceWithNegativeStepBetweenConvs) {
  ir::SliceAttrs s;
  s.starts = {1, -3}, s.ends = {9, -100}, s.axes = {2, 3}, s.steps = {2, -1};  // rows 1,3,5,7; cols 7..0
  ir::ConvAttrs one = conv3x3();
  one.kernel_shape = {1, 1}, one.pads = {0, 0, 0, 0};
  ir::Graph g = GraphBuilder()
                    .input("x", {1, 4, 10, 10})
                    .weight("w0", {16, 4, 3, 3}).weight("w1", {8, 16, 1, 1})
                    .node("Conv", {"x", "w0"}, {"c0"}, conv3x3(), {{1, 16, 10, 10}})
                    .node("Slice", {"c0"}, {"s"}, s, {{1, 16, 4, 8}})
                    .node("Relu", {"s"}, {"r"}, ir::ActivationAttrs{{ir::ActKind::kRelu}}, {{1, 16, 4, 8}})
                    .node("Conv", {"r", "w1"}, {"y"}, one, {{1, 8, 4, 8}})
                    .output("y")
                    .build();
  expect_fallback(g, "Slice", "negative step");
  EXPECT_TRUE(compare_backends(g, "cpu"));
}

// float -> Cast(int64) -> Cast(float) between convs: the int64 tensor lives in a byte buffer,
// and is an int64 output of the segment too.
TEST(CpuFallback, CastThroughInt64) {
  ir::Graph g = GraphBuilder()
                    .input("x", {2, 3, 6, 6})
                    .weight("w0", {8, 3, 3, 3}, -3.0f, 3.0f).weight("w1", {4, 8, 3, 3})
                    .value("i", {2, 8, 6, 6}, DType::kInt64)
                    .node("Conv", {"x", "w0"}, {"c0"}, conv3x3(), {{2, 8, 6, 6}})
                    .node("Cast", {"c0"}, {"i"}, ir::CastAttrs{DType::kInt64}, {})
                    .node("Cast", {"i"}, {"f"}, ir::CastAttrs{DType::kFloat32}, {{2, 8, 6, 6}})
                    .node("Conv", {"f", "w1"}, {"y"}, conv3x3(), {{2, 4, 6, 6}})
                    .output("y")
                    .output("i")
                    .build();
  expect_fallback(g, "Cast", "no kernel for Cast");
  EXPECT_TRUE(compare_backends(g, "cpu"));
}

// An int64 graph input read by a fallback node (indices from the caller).
TEST(CpuFallback, Int64SegmentInput) {
  ir::Graph g = GraphBuilder()
                    .input("x", {2, 6})
                    .input("idx", {3}, DType::kInt64)
                    .node("Gather", {"x", "idx"}, {"g"}, ir::GatherAttrs{1}, {{2, 3}})
                    .node("Relu", {"g"}, {"y"}, ir::ActivationAttrs{{ir::ActKind::kRelu}}, {{2, 3}})
                    .output("y")
                    .build();
  std::vector<Tensor> in{optest::random_tensor({2, 6}, 5), int64s({3}, {5, -6, 2})};
  EXPECT_TRUE(compare_backends(g, "cpu", in));
}

// Gemm -> TopK (float values and int64 indices, largest and smallest) as segment outputs.
TEST(CpuFallback, TopKAfterGemm) {
  for (bool largest : {true, false}) {
    ir::GemmAttrs gemm;
    gemm.trans_b = true;
    ir::TopKAttrs t;
    t.axis = 1, t.k = 4, t.largest = largest;
    ir::Graph g = GraphBuilder()
                      .input("x", {3, 20})
                      .weight("w", {10, 20})
                      .value("idx", {3, 4}, DType::kInt64)
                      .node("Gemm", {"x", "w"}, {"h"}, gemm, {{3, 10}})
                      .node("TopK", {"h", "k"}, {"v", "idx"}, t, {{3, 4}})
                      .constant("k", int64s({1}, {4}))
                      .output("v")
                      .output("idx")
                      .build();
    expect_fallback(g, "TopK", "no kernel for TopK");
    EXPECT_TRUE(compare_backends(g, "cpu")) << "largest " << largest;
  }
}

// Relu -> GatherND (batch_dims 1: one element per row, a negative index) on the cpu.
TEST(CpuFallback, GatherNDAfterRelu) {
  ir::Graph g = GraphBuilder()
                    .input("x", {2, 5})
                    .constant("idx", int64s({2, 1}, {3, -1}))
                    .node("Relu", {"x"}, {"r"}, ir::ActivationAttrs{{ir::ActKind::kRelu}}, {{2, 5}})
                    .node("GatherND", {"r", "idx"}, {"y"}, ir::GatherNDAttrs{1}, {{2}})
                    .output("y")
                    .build();
  expect_fallback(g, "GatherND", "no kernel for GatherND");
  EXPECT_TRUE(compare_backends(g, "cpu"));
}

// A native entry that refuses a node hands it to the fallback, which says why.
TEST(CpuFallback, RefusedBroadcastRunsOnTheReferenceKernel) {
  ir::Graph g = GraphBuilder()
                    .input("a", {2, 1, 1})
                    .input("b", {2, 3, 4})
                    .node("Div", {"a", "b"}, {"y"}, ir::BinaryAttrs{ir::BinaryOp::kDiv}, {{2, 3, 4}})
                    .output("y")
                    .build();
  expect_fallback(g, "Div", "first input broadcasts");
  std::vector<Tensor> in{optest::random_tensor({2, 1, 1}, 1), optest::random_tensor({2, 3, 4}, 2, 0.5f, 2.0f)};
  EXPECT_TRUE(compare_backends(g, "cpu", in));
}

TEST(CpuFallback, RefusedByBothNamesBothReasons) {
  ir::Graph g = GraphBuilder()
                    .input("x", {1, 2})
                    .input("i", {1}, DType::kFloat32)
                    .node("Gather", {"x", "i"}, {"y"}, ir::GatherAttrs{}, {{1, 1}})
                    .output("y")
                    .build();
  auto cpu = cpu_backend();
  Status st = cpu->supports(g, g.nodes[0]);
  EXPECT_EQ(st.code(), StatusCode::kUnsupported);
  EXPECT_NE(st.message().find("Gather with run-time indices"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("indices of type float32"), std::string::npos) << st.message();
  auto exe = cpu->compile(g, {});
  ASSERT_FALSE(exe.is_ok());
  EXPECT_NE(exe.status().message().find(g.nodes[0].name), std::string::npos) << exe.status().message();
}

TEST(CpuFallback, RunsAgainWithOtherData) {  // handles are read at each run, not at compile
  ir::Graph g = conv_gather_conv();
  auto cpu = cpu_backend();
  auto exe = cpu->compile(g, {});
  ASSERT_TRUE(exe.is_ok()) << exe.status().to_string();
  for (uint32_t seed : {3u, 4u}) {
    std::vector<Tensor> in{optest::random_tensor({2, 8, 10, 10}, seed)};
    Tensor out({2, 4, 10, 10}, DType::kFloat32);
    std::vector<TensorView> ins = optest::views_of(in), outs{out.view()};
    ASSERT_TRUE((*exe)->run(ins, outs).is_ok());
    auto ref = optest::run_on("reference", g, in);
    ASSERT_TRUE(ref.is_ok()) << ref.status().to_string();
    EXPECT_TRUE(optest::all_close((*ref)[0], out, "y"));
  }
}

}  // namespace
}  // namespace tandem
