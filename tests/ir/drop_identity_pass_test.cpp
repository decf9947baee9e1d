#include "ir/passes/passes.h"
#include "pass_test_util.h"

namespace tandem::ir {
namespace {

using pass_test::conv_attrs;
using pass_test::expect_same_outputs;
using pass_test::GraphBuilder;

GraphBuilder conv_base() {
  GraphBuilder b;
  b.input("x", {1, 3, 6, 6}).weight("w", {4, 3, 3, 3}).weight("b", {4});
  b.node("Conv", {"x", "w", "b"}, "c", {1, 4, 4, 4}, conv_attrs(3));
  return b;
}

TEST(DropIdentityPass, RemovesIdentityAndRewiresConsumer) {
  GraphBuilder b = conv_base();
  b.node("Identity", {"c"}, "i", {1, 4, 4, 4}, IdentityAttrs{});
  b.node("Relu", {"i"}, "y", {1, 4, 4, 4}, pass_test::act(ActKind::kRelu));
  b.output("y");
  Graph before = b.build();
  Graph after = before;
  ASSERT_TRUE(drop_identity(after).is_ok());
  EXPECT_EQ(count_ops(after), (std::map<std::string, int>{{"Conv", 1}, {"Relu", 1}}));
  EXPECT_EQ(after.nodes[1].inputs[0], "c");
  EXPECT_EQ(after.values.count("i"), 0u);
  expect_same_outputs(before, after);
}

TEST(DropIdentityPass, GraphOutputNameSurvivesByRenamingProducer) {
  GraphBuilder b = conv_base();
  b.node("Relu", {"c"}, "r", {1, 4, 4, 4}, pass_test::act(ActKind::kRelu));
  b.node("Dropout", {"r"}, "y", {1, 4, 4, 4}, IdentityAttrs{});
  b.node("Sigmoid", {"r"}, "z", {1, 4, 4, 4}, pass_test::act(ActKind::kSigmoid));  // another reader of r
  b.output("y").output("z");
  Graph before = b.build();
  Graph after = before;
  ASSERT_TRUE(drop_identity(after).is_ok());
  EXPECT_EQ(count_ops(after).count("Dropout"), 0u);
  EXPECT_EQ(after.outputs, before.outputs);
  EXPECT_EQ(after.nodes[1].outputs[0], "y");  // the Relu now writes the output name
  EXPECT_EQ(after.nodes[2].inputs[0], "y");   // and the Sigmoid reads it
  EXPECT_EQ(after.values.count("r"), 0u);
  expect_same_outputs(before, after);
}

TEST(DropIdentityPass, ChainOfCopiesCollapses) {
  GraphBuilder b = conv_base();
  b.node("Identity", {"c"}, "i1", {1, 4, 4, 4}, IdentityAttrs{});
  b.node("Identity", {"i1"}, "i2", {1, 4, 4, 4}, IdentityAttrs{});
  b.node("Dropout", {"i2"}, "y", {1, 4, 4, 4}, IdentityAttrs{});
  b.output("y");
  Graph before = b.build();
  Graph after = before;
  ASSERT_TRUE(drop_identity(after).is_ok());
  EXPECT_EQ(count_ops(after), (std::map<std::string, int>{{"Conv", 1}}));
  EXPECT_EQ(after.nodes[0].outputs[0], "y");
  expect_same_outputs(before, after);
}

TEST(DropIdentityPass, KeepsIdentityBetweenGraphInputAndOutput) {
  GraphBuilder b;
  b.input("x", {2, 3}).node("Identity", {"x"}, "y", {2, 3}, IdentityAttrs{}).output("y");
  Graph g = b.build();
  ASSERT_TRUE(drop_identity(g).is_ok());
  EXPECT_EQ(count_ops(g)["Identity"], 1);
  EXPECT_EQ(g.outputs, std::vector<std::string>{"y"});
}

TEST(DropIdentityPass, KeepsIdentityBetweenTwoGraphOutputs) {
  GraphBuilder b = conv_base();
  b.node("Identity", {"c"}, "y", {1, 4, 4, 4}, IdentityAttrs{});
  b.output("c").output("y");
  Graph before = b.build();
  Graph after = before;
  ASSERT_TRUE(drop_identity(after).is_ok());
  EXPECT_EQ(count_ops(after)["Identity"], 1);
  expect_same_outputs(before, after);
}

TEST(DropIdentityPass, KeepsDropoutWhoseMaskIsRead) {
  GraphBuilder b = conv_base();
  b.node("Dropout", {"c"}, "d", {1, 4, 4, 4}, IdentityAttrs{});
  b.output("d");
  Graph g = b.build();
  g.nodes.back().outputs.push_back("mask");
  g.values["mask"] = ValueInfo{DType::kBool, {1, 4, 4, 4}, true};
  g.outputs.push_back("mask");
  ASSERT_TRUE(drop_identity(g).is_ok());
  EXPECT_EQ(count_ops(g)["Dropout"], 1);
}

TEST(DropIdentityPass, KeepsDropoutInTrainingMode) {
  GraphBuilder b = conv_base();
  b.constant("ratio", Tensor::from_vector<float>({}, DType::kFloat32, {0.5f}));
  b.constant("train", Tensor::from_vector<uint8_t>({}, DType::kBool, {1}));
  b.node("Dropout", {"c", "ratio", "train"}, "d", {1, 4, 4, 4}, IdentityAttrs{});
  b.output("d");
  Graph g = b.build();
  ASSERT_TRUE(drop_identity(g).is_ok());
  EXPECT_EQ(count_ops(g)["Dropout"], 1);

  // The same with a constant false training_mode is a copy and goes; its constants too.
  g.initializers["train"] = Tensor::from_vector<uint8_t>({}, DType::kBool, {0});
  Graph before = g;
  ASSERT_TRUE(drop_identity(g).is_ok());
  EXPECT_EQ(count_ops(g).count("Dropout"), 0u);
  EXPECT_EQ(g.initializers.count("train"), 0u);
  EXPECT_EQ(g.initializers.count("ratio"), 0u);
  expect_same_outputs(before, g);
}

TEST(DropIdentityPass, MalformedGraphIsAnError) {
  GraphBuilder b;
  b.input("x", {2}).node("Identity", {"missing"}, "y", {2}, IdentityAttrs{}).output("y");
  Graph g = b.build();
  Status st = drop_identity(g);
  EXPECT_FALSE(st.is_ok());
  EXPECT_NE(st.message().find("missing"), std::string::npos) << st.message();
}

}  // namespace
}  // namespace tandem::ir
