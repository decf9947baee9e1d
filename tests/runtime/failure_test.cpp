#include <gtest/gtest.h>

#include "plans/plan_test_util.h"
#include "runtime/runtime.h"

namespace tandem::runtime {
namespace {

struct Fixture {
  plan::GraphForBatch graphs = plan_test::graphs_for(plan_test::small_cnn(), {1, 3, 8, 8});
  std::vector<std::vector<Tensor>> inputs;
  explicit Fixture(int n) {
    for (int i = 0; i < n; ++i)
      inputs.push_back({plan_test::random_tensor({3 + i % 4, 3, 8, 8}, 50 + static_cast<uint32_t>(i), -2, 2)});
  }
  void expect_correct(const plan::Unit& ref_unit, const std::vector<std::vector<Tensor>>& outs) {
    ASSERT_EQ(outs.size(), inputs.size());
    for (size_t i = 0; i < inputs.size(); ++i) {
      auto g = plan_test::at_batch(graphs, inputs[i][0].shape()[0]);
      auto ref = plan_test::run_whole(ref_unit, *g, inputs[i]);
      ASSERT_TRUE(ref.is_ok());
      ASSERT_EQ(outs[i].size(), 1u) << "batch " << i << " has no output";
      EXPECT_LE(plan_test::max_scaled_diff(outs[i][0], (*ref)[0]), 1e-5) << "batch " << i;
    }
  }
};

TEST(UnitFailure, SlicesReRunOnAnotherUnit) {
  Fixture f(12);
  auto units = plan_test::units("reference:0, reference:1");
  auto p = plan::parse_plan("front@flat: reference:0=0.5, reference:1=0.5 | tail: reference:1");
  RuntimeOptions o;
  o.max_in_flight = 4;
  o.fail_unit_after = {{"reference:1", 3}};
  auto rt = Runtime::create(units, *p, f.graphs, o);
  ASSERT_TRUE(rt.is_ok()) << rt.status().to_string();
  auto outs = (*rt)->run_all(f.inputs);
  ASSERT_TRUE(outs.is_ok()) << outs.status().to_string();
  f.expect_correct(units[0], *outs);
  RunReport r = (*rt)->report();
  EXPECT_EQ(r.images, 3 + 4 + 5 + 6 + 3 + 4 + 5 + 6 + 3 + 4 + 5 + 6);
  EXPECT_FALSE(r.units[0].failed);
  EXPECT_TRUE(r.units[1].failed);
  EXPECT_NE(r.units[1].failure.find("injected"), std::string::npos) << r.units[1].failure;
  ASSERT_FALSE(r.reruns.empty());
  for (const RerunRecord& rr : r.reruns) {
    EXPECT_EQ(rr.failed_unit, "reference:1-1");
    EXPECT_EQ(rr.rerun_unit, "reference:0-0");
    EXPECT_GT(rr.images, 0);
  }
  EXPECT_EQ(r.units[1].slices, 3);  // it ran 3 slices, then every run failed
  EXPECT_NE(r.to_string().find("FAILED"), std::string::npos);
  EXPECT_NE(r.to_json().find("\"reruns\""), std::string::npos);
}

TEST(UnitFailure, ReroutesToAUnitOutsideTheStage) {
  Fixture f(6);
  auto units = plan_test::units("reference:0, reference:1, reference");
  auto p = plan::parse_plan("all: reference:0");
  RuntimeOptions o;
  o.fail_unit_after = {{"reference:0", 0}};  // fails at once
  auto rt = Runtime::create(units, *p, f.graphs, o);
  ASSERT_TRUE(rt.is_ok());
  auto outs = (*rt)->run_all(f.inputs);
  ASSERT_TRUE(outs.is_ok()) << outs.status().to_string();
  f.expect_correct(units[1], *outs);
  RunReport r = (*rt)->report();
  EXPECT_TRUE(r.units[0].failed);
  EXPECT_EQ(r.units[0].images, 0);
  EXPECT_EQ(r.units[1].images + r.units[2].images, r.images);
}

TEST(UnitFailure, NoUnitCanTakeTheSlice) {
  Fixture f(5);
  // reference:1 cannot run the tail (Gemm); the tail unit dies after 1 run.
  auto units = plan_test::units("reference:0, reference:1/no=Gemm");
  auto p = plan::parse_plan("front@flat: reference:0=0.5, reference:1=0.5 | tail: reference:0");
  RuntimeOptions o;
  o.max_in_flight = 2;
  o.fail_unit_after = {{"reference:0", 2}};
  auto rt = Runtime::create(units, *p, f.graphs, o);
  ASSERT_TRUE(rt.is_ok());
  auto outs = (*rt)->run_all(f.inputs);
  ASSERT_FALSE(outs.is_ok());
  EXPECT_EQ(outs.status().code(), StatusCode::kUnavailable);
  // Either a tail slice had no unit to go to, or the tail stage started after its unit had died.
  EXPECT_NE(outs.status().message().find("live unit can run stage 'tail'"), std::string::npos)
      << outs.status().message();
  EXPECT_NE(outs.status().message().find("reference:0-0"), std::string::npos) << outs.status().message();
  // Batches that completed before the failure were right; a later batch gives the error, not garbage.
  auto again = (*rt)->run(f.inputs[0]);
  EXPECT_FALSE(again.is_ok());
  RunReport r = (*rt)->report();
  EXPECT_TRUE(r.units[0].failed);
}

}  // namespace
}  // namespace tandem::runtime
