// plan_host_tail: where the given units stop, which host unit takes the rest, the note, and the
// one-line error when no unit at all runs a node.
#include <gtest/gtest.h>

#include "plan/cuts.h"
#include "plan/host_tail.h"
#include "plans/plan_test_util.h"

namespace tandem::plan {
namespace {

class HostTail : public ::testing::Test {
 protected:
  void SetUp() override {
    graphs_ = plan_test::graphs_for(plan_test::small_cnn(), {4, 3, 8, 8});
    graph_ = plan_test::at_batch(graphs_, 4);
    ASSERT_TRUE(graph_);
  }
  Result<std::optional<plan::HostTail>> tail(const std::string& units, const std::string& hosts) {
    return plan_host_tail(*graph_, plan_test::units(units), plan_test::units(hosts));
  }
  GraphForBatch graphs_;
  std::shared_ptr<const ir::Graph> graph_;
};

TEST_F(HostTail, NoneWhenTheUnitsRunEverything) {
  auto t = tail("reference:0, reference:1/no=Gemm", "reference:1");
  ASSERT_TRUE(t.is_ok()) << t.status().to_string();
  EXPECT_FALSE(t->has_value());
}

TEST_F(HostTail, StartsAtTheLastCutBeforeTheFirstNodeNoUnitRuns) {
  auto t = tail("reference:0/no=Gemm", "reference:1");
  ASSERT_TRUE(t.is_ok()) << t.status().to_string();
  ASSERT_TRUE(t->has_value());
  EXPECT_EQ((*t)->front_end, "flat");
  EXPECT_EQ(graph_->nodes[static_cast<size_t>((*t)->position)].op_type, "Gemm");
  EXPECT_NE((*t)->note.find("host unit 'reference:1-1'"), std::string::npos) << (*t)->note;
  EXPECT_NE((*t)->note.find("cannot run Gemm (node 'logits_node')"), std::string::npos) << (*t)->note;
  EXPECT_EQ((*t)->note.find('\n'), std::string::npos);
}

TEST_F(HostTail, TakesTheFirstHostThatRunsTheWholeTail) {
  auto u = plan_host_tail(*graph_, plan_test::units("reference:0/no=Softmax"),
                          {plan_test::units("reference:1/no=Softmax")[0], plan_test::units("reference:0")[0]});
  ASSERT_TRUE(u.is_ok()) << u.status().to_string();
  ASSERT_TRUE(u->has_value());
  EXPECT_EQ((*u)->host, 1u);
  EXPECT_EQ((*u)->front_end, "logits");
}

TEST_F(HostTail, ANodeNoUnitRunsIsOneLineNamingEveryOne) {
  auto t = tail("reference:0/no=Gemm+Relu", "reference:1/no=Gemm+Relu");
  ASSERT_FALSE(t.is_ok());
  EXPECT_EQ(t.status().code(), StatusCode::kUnsupported);
  const std::string& m = t.status().message();
  EXPECT_NE(m.find("Gemm (node 'logits_node')"), std::string::npos) << m;
  EXPECT_NE(m.find("Relu (node 'r1_node')"), std::string::npos) << m;  // r0 is fused into its Conv
  EXPECT_EQ(m.find('\n'), std::string::npos) << m;
}

TEST_F(HostTail, TheWholeModelWhenNoSplitComesBefore) {
  auto t = tail("reference:0/no=Conv", "reference:1");
  ASSERT_TRUE(t.is_ok()) << t.status().to_string();
  ASSERT_TRUE(t->has_value());
  EXPECT_EQ((*t)->position, 0);
  EXPECT_NE((*t)->note.find("the whole model runs on the host unit"), std::string::npos) << (*t)->note;
}

// A split: where several batch-major tensors cross (the residual block's r0 and c1 before Add).
TEST_F(HostTail, SplitsWhereSeveralTensorsCross) {
  auto p = split_position(*graph_, "c1");
  ASSERT_TRUE(p.is_ok()) << p.status().to_string();
  EXPECT_EQ(crossing_tensors(*graph_, *p), (std::vector<std::string>{"r0", "c1"}));
  auto t = tail("reference:0/no=Add", "reference:1");
  ASSERT_TRUE(t.is_ok()) << t.status().to_string();
  ASSERT_TRUE(t->has_value());
  EXPECT_EQ((*t)->front_end, "c1");
  auto q = split_position(*graph_, "x");
  EXPECT_FALSE(q.is_ok());
}

}  // namespace
}  // namespace tandem::plan
