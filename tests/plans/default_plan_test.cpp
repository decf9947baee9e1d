#include <gtest/gtest.h>

#include "plan/default_plan.h"
#include "plans/plan_test_util.h"

namespace tandem::plan {
namespace {

// Fake calibration: throughput from the unit's name, so shares are known exactly.
DefaultPlanOptions fake_speeds(std::map<std::string, double> speeds) {
  DefaultPlanOptions o;
  o.measure = [speeds](const Unit& u, const ir::Graph& segment) -> Result<double> {
    EXPECT_FALSE(segment.nodes.empty());
    return speeds.at(u.name());
  };
  return o;
}

class DefaultPlan : public ::testing::Test {
 protected:
  void SetUp() override {
    graphs_ = plan_test::graphs_for(plan_test::small_cnn(), {8, 3, 8, 8});
    graph_ = plan_test::at_batch(graphs_, 8);
    ASSERT_TRUE(graph_);
  }
  Plan plan_for(const std::string& spec, const DefaultPlanOptions& o) {
    auto units = plan_test::units(spec);
    auto p = default_plan(*graph_, units, graphs_, o);
    EXPECT_TRUE(p.is_ok()) << p.status().to_string();
    if (p) {
      EXPECT_TRUE(bind_plan(*p, *graph_, units).is_ok());
    }
    return p.is_ok() ? *p : Plan::single_unit("?");
  }
  GraphForBatch graphs_;
  std::shared_ptr<const ir::Graph> graph_;
};

TEST_F(DefaultPlan, OneUnitRunsEverything) {
  EXPECT_EQ(plan_to_short_string(plan_for("reference", {})), "all:reference");
}

TEST_F(DefaultPlan, AllCapableUnitsShareTheWholeModelByThroughput) {
  auto p = plan_for("reference:0, reference:1", fake_speeds({{"reference:0-0", 300}, {"reference:1-1", 100}}));
  EXPECT_EQ(plan_to_short_string(p), "all:reference:0-0=0.75,reference:1-1=0.25");
}

TEST_F(DefaultPlan, RestrictedUnitMovesTheCut) {
  // The DLA-like unit cannot run Gemm: front ends at the last cut before it ('flat').
  auto p = plan_for("reference:0, reference:1/no=Gemm", fake_speeds({{"reference:0-0", 100}, {"reference:1-1", 100}}));
  EXPECT_EQ(plan_to_short_string(p), "front@flat:reference:0-0=0.5,reference:1-1=0.5 | tail:reference:0-0");
  // Refusing GlobalAveragePool moves it further up, to 'r1'.
  auto q = plan_for("reference:1/no=GlobalAveragePool, reference:0",
                    fake_speeds({{"reference:0-0", 100}, {"reference:1-1", 300}}));
  EXPECT_EQ(plan_to_short_string(q), "front@r1:reference:1-1=0.75,reference:0-0=0.25 | tail:reference:0-0");
}

TEST_F(DefaultPlan, EmptyFrontRunsTheWholeModelOnTheFirstCapableUnit) {
  auto p = plan_for("reference:1/no=Conv, reference:0", fake_speeds({}));
  EXPECT_EQ(plan_to_short_string(p), "all:reference:0-0");
}

TEST_F(DefaultPlan, NoUnitCanRunTheModel) {
  auto units = plan_test::units("reference:0/no=Conv, reference:1/no=Gemm+Conv");
  auto p = default_plan(*graph_, units, graphs_, fake_speeds({}));
  ASSERT_FALSE(p.is_ok());
  EXPECT_NE(p.status().message().find("no unit can run the whole model"), std::string::npos) << p.status().message();
}

TEST_F(DefaultPlan, RealCalibrationGivesPositiveShares) {
  DefaultPlanOptions o;
  o.calibration_runs = 1;
  auto p = plan_for("reference:0, reference:1/no=Softmax", o);
  ASSERT_EQ(p.stages().size(), 2u);
  EXPECT_EQ(p.stages()[0].end, "logits");
  for (const auto& u : p.stages()[0].units) EXPECT_GT(u.share, 0.0);
}

}  // namespace
}  // namespace tandem::plan
