// fuse_add_layer_norm: the residual Add feeding a LayerNormalization becomes one AddLayerNorm
// that also writes the sum when something else reads it (the pre-norm transformer block); near
// misses are left alone. Values are checked on the reference backend before and after.
#include "ir/passes/passes.h"
#include "pass_test_util.h"

namespace tandem::ir {
namespace {

using pass_test::GraphBuilder;

const Shape kTokens{2, 5, 8};

LayerNormAttrs ln_attrs() { return LayerNormAttrs{2, 1e-5f, 1}; }

// x, h -> s = x + h -> y = LN(s) -> t = y * w -> out = s + t: a block and the next residual Add.
GraphBuilder block() {
  GraphBuilder b;
  b.input("x", kTokens).input("h", kTokens).weight("gamma", {8}, 0.5f, 1.5f).weight("beta", {8}).weight("w", {8});
  b.binary("Add", {"x", "h"}, "s", kTokens);
  b.node("LayerNormalization", {"s", "gamma", "beta"}, "y", kTokens, ln_attrs());
  b.binary("Mul", {"y", "w"}, "t", kTokens);
  b.binary("Add", {"s", "t"}, "out", kTokens);
  return b;
}

TEST(FuseAddLayerNormPass, SumReadByTheNextResidualAdd) {
  const Graph before = block().output("out").build();
  Graph g = before;
  ASSERT_TRUE(fuse_add_layer_norm(g).is_ok());
  EXPECT_EQ(count_ops(g), (std::map<std::string, int>{{"AddLayerNorm", 1}, {"Mul", 1}, {"Add", 1}})) << graph_to_string(g);
  const Node& f = g.nodes[0];
  EXPECT_EQ(f.op_type, "AddLayerNorm");
  EXPECT_EQ(f.name, "n_y");
  EXPECT_EQ(f.inputs, (std::vector<std::string>{"x", "h", "gamma", "beta"}));
  EXPECT_EQ(f.outputs, (std::vector<std::string>{"y", "s"}));
  EXPECT_EQ(std::get<LayerNormAttrs>(f.attrs).axis, 2);
  EXPECT_TRUE(g.verify().is_ok());
  pass_test::expect_same_outputs(before, g);
}

TEST(FuseAddLayerNormPass, SumReadOnlyByTheNormHasNoSecondOutput) {
  GraphBuilder b;
  b.input("x", kTokens).input("h", kTokens).weight("gamma", {8});
  b.binary("Add", {"h", "x"}, "s", kTokens);
  b.node("LayerNormalization", {"s", "gamma"}, "y", kTokens, ln_attrs());
  const Graph before = b.output("y").build();
  Graph g = before;
  ASSERT_TRUE(fuse_add_layer_norm(g).is_ok());
  ASSERT_EQ(count_ops(g), (std::map<std::string, int>{{"AddLayerNorm", 1}})) << graph_to_string(g);
  EXPECT_EQ(g.nodes[0].inputs, (std::vector<std::string>{"h", "x", "gamma"}));
  EXPECT_EQ(g.nodes[0].outputs, std::vector<std::string>{"y"});
  EXPECT_EQ(g.values.count("s"), 0u);
  pass_test::expect_same_outputs(before, g);
}

TEST(FuseAddLayerNormPass, SumThatIsAGraphOutputKeepsItsName) {
  const Graph before = block().output("out").output("s").build();
  Graph g = before;
  ASSERT_TRUE(fuse_add_layer_norm(g).is_ok());
  ASSERT_EQ(g.nodes[0].op_type, "AddLayerNorm");
  EXPECT_EQ(g.nodes[0].outputs, (std::vector<std::string>{"y", "s"}));
  pass_test::expect_same_outputs(before, g);
}

// Each of these stays as it is.
TEST(FuseAddLayerNormPass, NearMissesAreLeftAlone) {
  auto unchanged = [](const Graph& before) {
    Graph g = before;
    ASSERT_TRUE(fuse_add_layer_norm(g).is_ok());
    EXPECT_EQ(count_ops(g), count_ops(before)) << graph_to_string(g);
    EXPECT_EQ(count_ops(g).count("AddLayerNorm"), 0u);
  };
  {  // ViT's position embedding: a constant broadcast along the batch
    GraphBuilder b;
    b.input("x", kTokens).weight("pos", {1, 5, 8}).weight("gamma", {8});
    b.binary("Add", {"x", "pos"}, "s", kTokens);
    b.node("LayerNormalization", {"s", "gamma"}, "y", kTokens, ln_attrs());
    unchanged(b.output("y").build());
  }
  {  // a runtime operand that broadcasts
    GraphBuilder b;
    b.input("x", kTokens).input("h", {2, 1, 8}).weight("gamma", {8});
    b.binary("Add", {"x", "h"}, "s", kTokens);
    b.node("LayerNormalization", {"s", "gamma"}, "y", kTokens, ln_attrs());
    unchanged(b.output("y").build());
  }
  {  // the Scale is computed after the Add
    GraphBuilder b;
    b.input("x", kTokens).input("h", kTokens).input("g0", {8}).weight("one", {8});
    b.binary("Add", {"x", "h"}, "s", kTokens);
    b.binary("Mul", {"g0", "one"}, "gamma", {8});
    b.node("LayerNormalization", {"s", "gamma"}, "y", kTokens, ln_attrs());
    unchanged(b.output("y").build());
  }
  {  // the LayerNormalization's Mean is read
    GraphBuilder b;
    b.input("x", kTokens).input("h", kTokens).weight("gamma", {8});
    b.binary("Add", {"x", "h"}, "s", kTokens);
    b.node("LayerNormalization", {"s", "gamma"}, "y", kTokens, ln_attrs());
    Graph g = b.output("y").build();
    g.nodes.back().outputs.push_back("mean");
    g.values["mean"] = ValueInfo{DType::kFloat32, {2, 5, 1}, true};
    g.outputs.push_back("mean");
    unchanged(g);
  }
  {  // a Sub, not an Add
    GraphBuilder b;
    b.input("x", kTokens).input("h", kTokens).weight("gamma", {8});
    b.binary("Sub", {"x", "h"}, "s", kTokens);
    b.node("LayerNormalization", {"s", "gamma"}, "y", kTokens, ln_attrs());
    unchanged(b.output("y").build());
  }
}

// Two pre-norm blocks through the pipeline: each LayerNormalization absorbs its Add.
TEST(FuseAddLayerNormPass, TwoBlocksThroughRunPasses) {
  GraphBuilder b = block();
  b.input("h2", kTokens).weight("gamma2", {8}, 0.5f, 1.5f).weight("w2", {8});
  b.binary("Add", {"out", "h2"}, "s2", kTokens);
  b.node("LayerNormalization", {"s2", "gamma2"}, "y2", kTokens, ln_attrs());
  b.binary("Mul", {"y2", "w2"}, "t2", kTokens);
  b.binary("Add", {"s2", "t2"}, "out2", kTokens);
  const Graph before = b.output("out2").build();
  Graph g = before;
  ASSERT_TRUE(run_passes(g).is_ok());
  EXPECT_EQ(count_ops(g), (std::map<std::string, int>{{"AddLayerNorm", 2}, {"Mul", 2}, {"Add", 2}})) << graph_to_string(g);
  pass_test::expect_same_outputs(before, g);
  Graph off = before;
  PassOptions opts;
  opts.fuse_add_layer_norm = false;
  ASSERT_TRUE(run_passes(off, opts).is_ok());
  EXPECT_EQ(count_ops(off).count("AddLayerNorm"), 0u);
}

}  // namespace
}  // namespace tandem::ir
