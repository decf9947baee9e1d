// run_passes (the pipeline), its options, count_ops, and the equivalence checker itself.
#include <gtest/gtest-spi.h>

#include "ir/passes/passes.h"
#include "pass_test_util.h"

namespace tandem::ir {
namespace {

using pass_test::act;
using pass_test::conv_attrs;
using pass_test::epilogue_of;
using pass_test::expect_same_outputs;
using pass_test::GraphBuilder;

// Two independent branches: x -> Conv -> BN -> Identity -> Clip(0,6) -> "f", and
// a -> MatMul -> Add(bias) -> Relu -> "logits".
Graph small_net() {
  GraphBuilder b;
  b.input("x", {1, 3, 6, 6}).weight("w", {4, 3, 3, 3});
  b.weight("bn_scale", {4}, 0.5f, 1.5f).weight("bn_shift", {4}).weight("bn_mean", {4}).weight("bn_var", {4}, 0.5f, 1.5f);
  b.node("Conv", {"x", "w"}, "c", {1, 4, 4, 4}, conv_attrs(3));
  b.node("BatchNormalization", {"c", "bn_scale", "bn_shift", "bn_mean", "bn_var"}, "n", {1, 4, 4, 4},
         BatchNormAttrs{1e-5f});
  b.node("Identity", {"n"}, "i", {1, 4, 4, 4}, IdentityAttrs{});
  b.node("Clip", {"i"}, "f", {1, 4, 4, 4}, act(ActKind::kClip, 0.0f, 6.0f));
  b.input("a", {2, 8}).weight("fc_w", {8, 3}).weight("fc_b", {3});
  b.node("MatMul", {"a", "fc_w"}, "mm", {2, 3}, MatMulAttrs{});
  b.binary("Add", {"mm", "fc_b"}, "z", {2, 3});
  b.node("Relu", {"z"}, "logits", {2, 3}, act(ActKind::kRelu));
  b.output("f").output("logits");
  return b.build();
}

TEST(PipelinePass, RunPassesFoldsAndFusesEverything) {
  Graph before = small_net();
  Graph after = before;
  ASSERT_TRUE(run_passes(after).is_ok());
  EXPECT_EQ(count_ops(after), (std::map<std::string, int>{{"Conv", 1}, {"Gemm", 1}}));
  EXPECT_EQ(epilogue_of(after, "Conv"), (Epilogue{ActKind::kClip, 0.0f, 6.0f}));
  EXPECT_EQ(epilogue_of(after, "Gemm").kind, ActKind::kRelu);
  EXPECT_EQ(after.outputs, before.outputs);
  expect_same_outputs(before, after);
}

// disable_pass by name: each name clears its own flag (all of them together: every flag), and an
// unknown name is an error that lists the known ones.
TEST(PipelinePass, DisablePassByName) {
  PassOptions all_off;
  for (const std::string& name : pass_names()) ASSERT_TRUE(disable_pass(all_off, name).is_ok()) << name;
  EXPECT_EQ(all_off, (PassOptions{false, false, false, false, false, false, false, false, false, false}));
  for (const std::string& name : pass_names()) {
    PassOptions one;
    ASSERT_TRUE(disable_pass(one, name).is_ok());
    EXPECT_NE(one, PassOptions{}) << name << " changed no flag";
  }
  PassOptions opts;
  ASSERT_TRUE(disable_pass(opts, "fuse_activations").is_ok());
  Graph g = small_net();
  ASSERT_TRUE(run_passes(g, opts).is_ok());
  EXPECT_EQ(count_ops(g).count("Relu"), 1u);
  Status bad = disable_pass(opts, "fuse_everything");
  ASSERT_FALSE(bad.is_ok());
  EXPECT_NE(bad.message().find("unknown pass 'fuse_everything'"), std::string::npos) << bad.message();
  EXPECT_NE(bad.message().find("merge_parallel_convs"), std::string::npos) << bad.message();
}

TEST(PipelinePass, OptionsTurnFusionOff) {
  Graph before = small_net();
  Graph after = before;
  PassOptions opts;
  opts.fuse_activations = false;
  opts.matmul_add_to_gemm = false;
  ASSERT_TRUE(run_passes(after, opts).is_ok());
  EXPECT_EQ(count_ops(after),
            (std::map<std::string, int>{{"Add", 1}, {"Clip", 1}, {"Conv", 1}, {"MatMul", 1}, {"Relu", 1}}));
  EXPECT_TRUE(epilogue_of(after, "Conv").is_none());
  expect_same_outputs(before, after);

  Graph untouched = before;
  ASSERT_TRUE(run_passes(untouched, PassOptions{false, false, false, false}).is_ok());
  EXPECT_EQ(count_ops(untouched), count_ops(before));
}

TEST(PipelinePass, RunPassesIsIdempotent) {
  Graph g = small_net();
  ASSERT_TRUE(run_passes(g).is_ok());
  const std::string once = graph_to_string(g);
  ASSERT_TRUE(run_passes(g).is_ok());
  EXPECT_EQ(graph_to_string(g), once);
}

TEST(PipelinePass, MalformedGraphIsAClearError) {
  Graph g = small_net();
  g.nodes[0].inputs[1] = "no_such_weight";
  Status st = run_passes(g);
  ASSERT_FALSE(st.is_ok());
  EXPECT_NE(st.message().find("no_such_weight"), std::string::npos) << st.message();
}

TEST(PipelinePass, CountOps) {
  EXPECT_EQ(count_ops(small_net()), (std::map<std::string, int>{{"Add", 1}, {"BatchNormalization", 1}, {"Clip", 1},
                                                                 {"Conv", 1}, {"Identity", 1}, {"MatMul", 1},
                                                                 {"Relu", 1}}));
  EXPECT_TRUE(count_ops(Graph{}).empty());
}

// The checker must be able to fail: a changed epilogue changes the outputs.
TEST(PipelinePass, EquivalenceCheckerCatchesAChange) {
  Graph before = small_net();
  Graph broken = before;
  std::get<ConvAttrs>(broken.nodes[0].attrs).epilogue = Epilogue{ActKind::kSigmoid};
  EXPECT_NONFATAL_FAILURE(expect_same_outputs(before, broken), "elements differ");
}

}  // namespace
}  // namespace tandem::ir
