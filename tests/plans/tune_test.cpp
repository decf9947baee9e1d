// tune() on a synthetic profile with scripted measurements: it measures the top shapes and keeps
// the never-worse guarantee; without a measurement it simulates.
#include <gtest/gtest.h>

#include "plan/tune.h"
#include "plans/scripted_timing.h"
#include "plans/synthetic_profile.h"

namespace tandem::plan {
namespace {

using plan_test::scripted;

const std::string kA = "all:a", kB = "all:b", kCo = "all:a=0.5,b=0.5";

// The model says two equal units together double the throughput; measured, they do not: the
// tuner keeps the single unit and says why. Measured as predicted: it keeps the pair.
TEST(Tune, MeasuresTheTopShapesAndKeepsTheGuarantee) {
  Profile p = plan_test::synthetic_profile({plan_test::uniform_unit("a", 1, 0, 1e-3), plan_test::uniform_unit("b", 1, 0, 1e-3)}, 1);
  TuneOptions o;
  o.search.batches = {8};
  std::map<std::string, int> calls;
  auto slow = tune(p, scripted({{kA, {1000}}, {kB, {1000}}, {kCo, {900}}}, &calls), o);
  ASSERT_TRUE(slow.is_ok()) << slow.status().to_string();
  EXPECT_EQ(plan_to_short_string(slow->shapes[slow->chosen].plan).substr(0, 4), "all:");
  EXPECT_EQ(slow->shapes[slow->chosen].plan.stages()[0].units.size(), 1u) << slow->why;
  EXPECT_GT(calls[kCo], 0);
  auto good = tune(p, scripted({{kA, {1000}}, {kB, {1000}}, {kCo, {1950}}}), o);
  ASSERT_TRUE(good.is_ok());
  EXPECT_EQ(plan_to_short_string(good->shapes[good->chosen].plan), kCo) << good->why;
  EXPECT_NEAR(prediction_error(good->shapes[good->chosen]), 1950.0 / 2000 - 1, 1e-9);
  auto sim = tune(p, nullptr, o);
  ASSERT_TRUE(sim.is_ok());
  EXPECT_TRUE(sim->simulated);
  EXPECT_EQ(plan_to_short_string(sim->shapes[sim->chosen].plan), kCo);
}

// The prediction lets a plan under the latency bound; measured, it is over: the fastest measured
// plan within the bound is kept.
TEST(Tune, AMeasuredLatencyOverTheBoundLosesToOneWithin) {
  Profile p = plan_test::synthetic_profile({plan_test::uniform_unit("a", 1, 0, 1e-3), plan_test::uniform_unit("b", 1, 0, 1e-3)}, 1);
  TuneOptions o;
  o.search.batches = {8};
  o.search.latency_s = 0.02;
  MeasurePlanFn m = [](const Plan& pl, int64_t, double) -> Result<PlanTiming> {
    const bool co = pl.stages()[0].units.size() > 1;
    return PlanTiming{co ? 1950.0 : 1000.0, co ? 0.03 : 0.008, {}};  // the pair: 30 ms measured
  };
  auto r = tune(p, m, o);
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  EXPECT_EQ(r->shapes[r->chosen].plan.stages()[0].units.size(), 1u) << r->why;
  EXPECT_NE(r->why.find("bound"), std::string::npos) << r->why;
}

// Only the top prediction by rank, but the best of each kind is measured too: the data-parallel
// plan that measures fastest wins even when the model ranks a front/tail plan first.
TEST(Tune, TheBestOfEachKindIsMeasured) {
  Profile p = plan_test::synthetic_profile({plan_test::uniform_unit("a", 2, 0, 1e-3), plan_test::uniform_unit("b", 2, 0, 1e-3)}, 2);
  p.units[1].pieces[1] = LinearCost{0, 5e-3};  // b is slow on the tail: front/tail plans rank well
  TuneOptions o;
  o.search.batches = {8};
  o.measure_top = 1;
  std::map<std::string, int> kinds;
  MeasurePlanFn m = [&](const Plan& pl, int64_t, double) -> Result<PlanTiming> {
    const std::string kind = pl.stages().size() > 1 ? "staged" : pl.stages()[0].units.size() > 1 ? "dp" : "single";
    ++kinds[kind];
    return PlanTiming{kind == "dp" ? 1900.0 : kind == "staged" ? 1500.0 : 1000.0, 0.004, {}};
  };
  auto r = tune(p, m, o);
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  EXPECT_GT(kinds["dp"], 0);
  EXPECT_GT(kinds["staged"], 0);
  EXPECT_EQ(r->shapes[r->chosen].ranked.kind, "data-parallel") << r->why;
  o.measure_each_kind = false;
  kinds.clear();
  auto only_top = tune(p, m, o);
  ASSERT_TRUE(only_top.is_ok());
  EXPECT_EQ(kinds.size(), 2u);  // the top shape and the best single unit
}

}  // namespace
}  // namespace tandem::plan
