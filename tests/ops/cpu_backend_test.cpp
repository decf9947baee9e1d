// The CPU backend's own contract: what it refuses (with a reason), what its own ops refuse and
// the reference fallback takes over (the claim note says why), bad run() arguments, and thread
// binding. Numerical agreement with the reference is in backend_ops_test.cpp.
#include <gtest/gtest.h>
#include <sched.h>

#include <cstring>
#include <thread>

#include "backends/cpu/concat_norm.h"
#include "ops/op_test_util.h"

namespace tandem {
namespace {

using optest::GraphBuilder;

std::unique_ptr<Backend> cpu_backend() {
  auto b = make_backend("cpu");
  EXPECT_TRUE(b.is_ok()) << b.status().to_string();
  return std::move(b).value();
}

// supports() of the graph's only node: unsupported, with `reason` in the message.
void expect_refused(const ir::Graph& g, const std::string& reason) {
  auto cpu = cpu_backend();
  Status st = cpu->supports(g, g.nodes.at(0));
  EXPECT_EQ(st.code(), StatusCode::kUnsupported) << st.to_string();
  EXPECT_NE(st.message().find(reason), std::string::npos) << st.message();
  // compile() refuses the same node and names it.
  auto exe = cpu->compile(g, {});
  ASSERT_FALSE(exe.is_ok());
  EXPECT_NE(exe.status().message().find(g.nodes.at(0).name), std::string::npos) << exe.status().message();
}

ir::Graph resize(const std::string& mode, const std::string& coord, const std::string& nearest, Shape out) {
  ir::ResizeAttrs a;
  a.mode = mode;
  a.coordinate_transformation_mode = coord;
  a.nearest_mode = nearest;
  for (size_t i = 0; i < out.size(); ++i) a.scales.push_back(static_cast<float>(out[i]) / (i < 2 ? out[i] : 4));
  a.sizes = out;
  return GraphBuilder().input("x", {1, 2, 4, 4}).node("Resize", {"x"}, {"y"}, a, {out}).output("y").build();
}

// A node the cpu's own entry refuses but the reference kernel runs: claimed through the reference
// fallback, the note naming the own entry's reason, and the results equal the reference backend's.
void expect_fallback(const ir::Graph& g, const std::string& reason, const std::vector<Tensor>& inputs) {
  auto cpu = cpu_backend();
  Status st = cpu->supports(g, g.nodes.at(0));
  EXPECT_TRUE(st.is_ok()) << st.to_string();
  const std::string note = cpu->claim_note(g, g.nodes.at(0));
  EXPECT_NE(note.find("reference kernel"), std::string::npos) << note;
  EXPECT_NE(note.find(reason), std::string::npos) << note;
  EXPECT_TRUE(optest::compare_backends(g, "cpu", inputs));
}
void expect_fallback(const ir::Graph& g, const std::string& reason) { expect_fallback(g, reason, optest::random_inputs(g)); }

TEST(CpuBackend, ResizeModesItCannotMatch) {
  // Neither oneDNN nor the reference kernel has cubic.
  expect_refused(resize("cubic", "half_pixel", "round_prefer_floor", {1, 2, 8, 8}), "mode 'cubic'");
  expect_fallback(resize("linear", "align_corners", "round_prefer_floor", {1, 2, 8, 8}), "align_corners");
  expect_fallback(resize("nearest", "asymmetric", "round_prefer_floor", {1, 2, 8, 8}), "nearest_mode");
  expect_fallback(resize("nearest", "asymmetric", "floor", {1, 2, 6, 6}), "non-integer");
}

TEST(CpuBackend, NonFloatRunsOnTheReferenceKernel) {
  ir::Graph g = GraphBuilder()
                    .input("x", {2, 3}, DType::kInt64)
                    .input("z", {2, 3}, DType::kInt64)
                    .value("y", {2, 3}, DType::kInt64)
                    .node("Add", {"x", "z"}, {"y"}, ir::BinaryAttrs{}, {})
                    .output("y")
                    .build();
  auto ints = [](std::vector<int64_t> v) { return Tensor::from_vector<int64_t>({2, 3}, DType::kInt64, v); };
  expect_fallback(g, "float32 only", {ints({1, -2, 3, 1LL << 40, 5, 6}), ints({7, 8, -9, 10, 11, 12})});
}

TEST(CpuBackend, BroadcastsOneDnnCannotExpressRunOnTheReferenceKernel) {
  auto bin = [](ir::BinaryOp op, const char* name, Shape a, Shape b, Shape out) {
    return GraphBuilder().input("a", a).input("b", b).node(name, {"a", "b"}, {"y"}, ir::BinaryAttrs{op}, {out}).output("y").build();
  };
  expect_fallback(bin(ir::BinaryOp::kDiv, "Div", {2, 1, 1}, {2, 3, 4}, {2, 3, 4}), "first input broadcasts");
  expect_fallback(bin(ir::BinaryOp::kAdd, "Add", {2, 1, 4}, {2, 3, 1}, {2, 3, 4}), "both inputs broadcast");
}

TEST(CpuBackend, RuntimeWeightsRunOnTheReferenceKernelAndUnknownOpsAreRefused) {
  ir::ConvAttrs a;
  a.kernel_shape = {1, 1}, a.strides = {1, 1}, a.pads = {0, 0, 0, 0}, a.dilations = {1, 1};
  expect_fallback(GraphBuilder()
                      .input("x", {1, 2, 3, 3}).input("w", {4, 2, 1, 1})
                      .node("Conv", {"x", "w"}, {"y"}, a, {{1, 4, 3, 3}})
                      .output("y")
                      .build(),
                  "weights must be a constant");
  // A Gather without indices: no kernel here, and the reference refuses it too.
  expect_refused(GraphBuilder()
                     .input("x", {1, 2})
                     .node("Gather", {"x"}, {"y"}, ir::GatherAttrs{}, {{1, 2}})
                     .output("y")
                     .build(),
                 "the reference kernel cannot take it over either");
}

TEST(CpuBackend, AveragePoolIncludePadPastTheEndRunsOnTheReferenceKernel) {
  ir::PoolAttrs a;
  a.kind = ir::PoolKind::kAverage;
  a.kernel_shape = {3, 3}, a.strides = {2, 2}, a.pads = {0, 0, 0, 0}, a.dilations = {1, 1};
  a.ceil_mode = true;
  a.count_include_pad = true;
  expect_fallback(GraphBuilder().input("x", {1, 1, 6, 6}).node("AveragePool", {"x"}, {"y"}, a, {{1, 1, 3, 3}}).output("y").build(),
                  "count_include_pad");
}

ir::Graph relu_graph() {
  return GraphBuilder()
      .input("x", {2, 8})
      .node("Relu", {"x"}, {"y"}, ir::ActivationAttrs{{ir::ActKind::kRelu}}, {{2, 8}})
      .output("y")
      .build();
}

TEST(CpuBackend, RunRejectsWrongShapesAndCounts) {
  auto cpu = cpu_backend();
  auto exe = cpu->compile(relu_graph(), {});
  ASSERT_TRUE(exe.is_ok()) << exe.status().to_string();
  Tensor bad({2, 9}, DType::kFloat32), out({2, 8}, DType::kFloat32);
  std::vector<TensorView> in{bad.view()}, outs{out.view()};
  Status st = (*exe)->run(in, outs);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("compiled for float32[2, 8]"), std::string::npos) << st.message();
  EXPECT_EQ((*exe)->run({}, outs).code(), StatusCode::kInvalidArgument);
}

TEST(CpuBackend, BindThreadPinsAndRuns) {
  auto cpu = cpu_backend();
  UnitOptions options;
  options.cpus = {0};
  options.threads = 1;
  ir::Graph g = relu_graph();
  auto exe = cpu->compile(g, options);
  ASSERT_TRUE(exe.is_ok()) << exe.status().to_string();
  Status bound;
  int cpus_after = -1;
  std::vector<Tensor> outs;
  std::thread worker([&] {
    bound = cpu->bind_thread(options);
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof(set), &set) == 0) cpus_after = CPU_COUNT(&set);
    auto r = optest::run_on(*cpu, g, optest::random_inputs(g), options);
    if (r.is_ok()) outs = std::move(r).value();
  });
  worker.join();
  EXPECT_TRUE(bound.is_ok()) << bound.to_string();
  EXPECT_EQ(cpus_after, 1);
  ASSERT_EQ(outs.size(), 1u);
  auto ref = optest::run_on("reference", g, optest::random_inputs(g));
  ASSERT_TRUE(ref.is_ok()) << ref.status().to_string();
  EXPECT_TRUE(optest::all_close((*ref)[0], outs[0], "y"));
}

// 3x3 stride-1 convs through oneDNN's Winograd kernel (forced, and as the measured choice picks)
// agree with the reference; forced, the results differ in the last bits from the direct
// kernel's on a machine with avx512 (so Winograd really ran). oneDNN 2.6's Winograd takes no
// Clip post-op: forced there, the direct kernel runs.
TEST(CpuBackend, WinogradConvsMatchTheReference) {
  struct Case {
    int64_t n, c, oc, h, w;
    ir::ActKind act;
    bool bias, winograd;
  };
  const std::vector<Case> cases{{2, 16, 16, 14, 14, ir::ActKind::kRelu, true, true},
                                {1, 32, 48, 9, 13, ir::ActKind::kNone, false, true},
                                {3, 64, 32, 8, 7, ir::ActKind::kRelu, true, true},
                                {2, 32, 32, 7, 7, ir::ActKind::kClip, true, false}};
  auto cpu = cpu_backend();
  for (const auto& c : cases) {
    ir::ConvAttrs a;
    a.kernel_shape = {3, 3}, a.strides = {1, 1}, a.pads = {1, 1, 1, 1}, a.dilations = {1, 1};
    a.epilogue = {c.act, 0.0f, 6.0f};
    GraphBuilder b;
    b.input("x", {c.n, c.c, c.h, c.w}).weight("w", {c.oc, c.c, 3, 3}, -0.2f, 0.2f);
    std::vector<std::string> ins{"x", "w"};
    if (c.bias) {
      b.weight("b", {c.oc});
      ins.push_back("b");
    }
    const ir::Graph g = b.node("Conv", ins, {"y"}, a, {{c.n, c.oc, c.h, c.w}}).output("y").build();
    const auto inputs = optest::random_inputs(g);
    auto ref = optest::run_on("reference", g, inputs);
    ASSERT_TRUE(ref.is_ok()) << ref.status().to_string();
    std::vector<Tensor> direct;
    for (const char* plan : {"direct", "winograd", ""}) {
      UnitOptions options;
      options.diagnostics.force_conv_plan = plan;
      auto got = optest::run_on(*cpu, g, inputs, options);
      ASSERT_TRUE(got.is_ok()) << plan << ": " << got.status().to_string();
      EXPECT_TRUE(optest::all_close((*ref)[0], (*got)[0], std::string("y, plan '") + plan + "', c " + std::to_string(c.c)));
      if (std::string(plan) == "direct") direct = *got;
      if (std::string(plan) == "winograd" && c.winograd && __builtin_cpu_supports("avx512f"))
        EXPECT_NE(std::memcmp(direct[0].data(), (*got)[0].data(), direct[0].nbytes()), 0)
            << "forced Winograd gave the direct kernel's bits (c " << c.c << "): it did not run";
    }
  }
}

// Convs in oneDNN's nChw16c blocked layout (forced, and as the measured layout choice picks) next
// to channels-last ones, a depthwise conv, a residual Add and a Concat with the unblocked input:
// every output as the reference's.
TEST(CpuBackend, BlockedConvLayoutsMatchTheReference) {
  auto conv = [](int64_t k, int64_t group, ir::ActKind act) {
    ir::ConvAttrs a;
    a.kernel_shape = {k, k}, a.strides = {1, 1}, a.dilations = {1, 1}, a.group = group;
    a.pads = k == 3 ? std::vector<int64_t>{1, 1, 1, 1} : std::vector<int64_t>{0, 0, 0, 0};
    a.epilogue = {act};
    return a;
  };
  const ir::Graph g = GraphBuilder()
                          .input("x", {2, 16, 9, 9})
                          .weight("w1", {32, 16, 3, 3}, -0.3f, 0.3f)
                          .weight("w2", {32, 1, 3, 3}, -0.3f, 0.3f)
                          .weight("w3", {16, 32, 1, 1}, -0.3f, 0.3f)
                          .weight("w4", {8, 32, 1, 1}, -0.3f, 0.3f)
                          .node("Conv", {"x", "w1"}, {"a"}, conv(3, 1, ir::ActKind::kRelu), {{2, 32, 9, 9}})
                          .node("Conv", {"a", "w2"}, {"b"}, conv(3, 32, ir::ActKind::kRelu), {{2, 32, 9, 9}})
                          .node("Conv", {"b", "w3"}, {"c"}, conv(1, 1, ir::ActKind::kNone), {{2, 16, 9, 9}})
                          .node("Add", {"c", "x"}, {"d"}, ir::BinaryAttrs{ir::BinaryOp::kAdd}, {{2, 16, 9, 9}})
                          .node("Concat", {"d", "x"}, {"e"}, ir::ConcatAttrs{1}, {{2, 32, 9, 9}})
                          .node("Conv", {"e", "w4"}, {"f"}, conv(1, 1, ir::ActKind::kNone), {{2, 8, 9, 9}})
                          .output("a").output("e").output("f")
                          .build();
  const auto inputs = optest::random_inputs(g);
  auto ref = optest::run_on("reference", g, inputs);
  ASSERT_TRUE(ref.is_ok()) << ref.status().to_string();
  auto cpu = cpu_backend();
  for (int forced = 0; forced < 2; ++forced) {
    UnitOptions options;
    if (forced) options.diagnostics.features_on = {"blocked-layout"};
    auto got = optest::run_on(*cpu, g, inputs, options);
    ASSERT_TRUE(got.is_ok()) << got.status().to_string();
    for (size_t i = 0; i < g.outputs.size(); ++i)
      EXPECT_TRUE(optest::all_close((*ref)[i], (*got)[i], g.outputs[i] + (forced ? ", blocked" : ", measured")));
  }
}

// Concat along channels -> BatchNormalization (+ Relu) runs as one pass (concat_norm.h): in
// nChw16c (blocked convs feed it), channels-last (channels not in blocks of 16), and as the two
// ops (concat-norm off); every output as the reference's, the normalised concat a graph output too.
TEST(CpuBackend, ConcatNormMatchesTheReference) {
  auto conv = [](int64_t k) {
    ir::ConvAttrs a;
    a.kernel_shape = {k, k}, a.strides = {1, 1}, a.dilations = {1, 1};
    a.pads = k == 3 ? std::vector<int64_t>{1, 1, 1, 1} : std::vector<int64_t>{0, 0, 0, 0};
    a.epilogue = {ir::ActKind::kRelu};
    return a;
  };
  struct Case {
    int64_t c_in, c_a;
    ir::ActKind act;
  };
  for (const Case& k : {Case{16, 32, ir::ActKind::kRelu}, Case{3, 20, ir::ActKind::kNone}}) {
    const int64_t ct = k.c_in + k.c_a + 16;
    ir::BatchNormAttrs bn;
    bn.epilogue = {k.act};
    const ir::Graph g = GraphBuilder()
                            .input("x", {2, k.c_in, 9, 9})
                            .weight("w1", {k.c_a, k.c_in, 3, 3}, -0.3f, 0.3f)
                            .weight("w2", {16, k.c_a, 1, 1}, -0.3f, 0.3f)
                            .weight("w3", {8, ct, 1, 1}, -0.3f, 0.3f)
                            .weight("scale", {ct}, 0.5f, 1.5f)
                            .weight("bias", {ct}, -0.5f, 0.5f)
                            .weight("mean", {ct}, -0.5f, 0.5f)
                            .weight("var", {ct}, 0.5f, 1.5f)
                            .node("Conv", {"x", "w1"}, {"a"}, conv(3), {{2, k.c_a, 9, 9}})
                            .node("Conv", {"a", "w2"}, {"b"}, conv(1), {{2, 16, 9, 9}})
                            .node("Concat", {"x", "a", "b"}, {"cat"}, ir::ConcatAttrs{1}, {{2, ct, 9, 9}})
                            .node("BatchNormalization", {"cat", "scale", "bias", "mean", "var"}, {"n"}, bn,
                                  {{2, ct, 9, 9}})
                            .node("Conv", {"n", "w3"}, {"f"}, conv(1), {{2, 8, 9, 9}})
                            .output("n").output("f")
                            .build();
    ASSERT_EQ(cpu::find_concat_norms(g).size(), 1u);
    const auto inputs = optest::random_inputs(g);
    auto ref = optest::run_on("reference", g, inputs);
    ASSERT_TRUE(ref.is_ok()) << ref.status().to_string();
    auto cpu = cpu_backend();
    for (const char* way : {"blocked", "channels-last", "unfused"}) {
      UnitOptions options;
      if (std::string(way) == "blocked") options.diagnostics.features_on = {"blocked-layout"};
      else options.diagnostics.features_off = {"layout-choice"};
      if (std::string(way) == "unfused") options.diagnostics.features_off.push_back("concat-norm");
      auto got = optest::run_on(*cpu, g, inputs, options);
      ASSERT_TRUE(got.is_ok()) << way << ": " << got.status().to_string();
      for (size_t i = 0; i < g.outputs.size(); ++i)
        EXPECT_TRUE(optest::all_close((*ref)[i], (*got)[i], g.outputs[i] + ", " + way + ", c_in " + std::to_string(k.c_in)));
    }
  }
}

TEST(CpuBackend, BindThreadRejectsBadCore) {
  auto cpu = cpu_backend();
  UnitOptions options;
  options.cpus = {-1};
  Status st;
  std::thread worker([&] { st = cpu->bind_thread(options); });
  worker.join();
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace tandem
