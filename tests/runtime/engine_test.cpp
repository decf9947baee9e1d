// The plan-based Engine on a real model: co-executed outputs equal the single-unit outputs.
#include <gtest/gtest.h>

#include <cstring>

#include "plans/plan_test_util.h"
#include "tandem/engine.h"

namespace tandem {
namespace {

const std::string kModel = std::string(TANDEM_MODELS_DIR) + "/mobilenet_v2.onnx";

std::unique_ptr<Engine> load(const std::string& units, const std::string& plan = "", bool measure_plan = false) {
  EngineOptions o;
  o.units = units;
  o.plan = plan;
  o.measure_plan = measure_plan;
  auto e = Engine::load(kModel, o);
  EXPECT_TRUE(e.is_ok()) << units << " " << plan << ": " << e.status().to_string();
  return e.is_ok() ? std::move(*e) : nullptr;
}

TEST(PlanEngine, MakeTensorGivesUsableInputMemory) {  // cpu units: ordinary memory, same results
  auto e = load("cpu:0");
  ASSERT_TRUE(e);
  Tensor x = plan_test::random_tensor({2, 3, 224, 224}, 11);
  Tensor m = e->make_tensor(x.shape(), DType::kFloat32);
  ASSERT_EQ(m.shape(), x.shape());
  ASSERT_EQ(m.dtype(), DType::kFloat32);
  std::memcpy(m.data(), x.data(), x.nbytes());
  auto a = e->run({x});
  auto b = e->run({m});
  ASSERT_TRUE(a.is_ok() && b.is_ok());
  EXPECT_EQ(plan_test::max_abs_diff((*a)[0], (*b)[0]), 0.0);
}

TEST(PlanEngine, DefaultPlanWithRestrictedUnitMatchesOneUnit) {
  auto single = load("cpu:0");
  auto co = load("cpu:0, cpu:1/no=Gemm+GlobalAveragePool");
  ASSERT_TRUE(single && co);
  std::vector<std::vector<Tensor>> batches;
  for (int64_t b : {3, 1, 5}) batches.push_back({plan_test::random_tensor({b, 3, 224, 224}, 7 + static_cast<uint32_t>(b))});
  auto got = co->run_many(batches);
  ASSERT_TRUE(got.is_ok()) << got.status().to_string();
  for (size_t i = 0; i < batches.size(); ++i) {
    auto ref = single->run(batches[i]);
    ASSERT_TRUE(ref.is_ok()) << ref.status().to_string();
    EXPECT_LE(plan_test::max_scaled_diff((*got)[i][0], (*ref)[0]), 1e-5) << "batch " << i;
  }
  // The default plan puts the front on both units and the tail (from GlobalAveragePool on) on cpu:0.
  EXPECT_NE(co->plan_description().find("| tail:cpu:0-0"), std::string::npos) << co->plan_description();
  EXPECT_NE(co->plan_details().find("stage 1 'tail'"), std::string::npos) << co->plan_details();
  EXPECT_NE(co->report_json().find("\"images\": 9"), std::string::npos) << co->report_json();
}

// With measure_plan, each batch size gets the fastest of the seed's plan and each unit alone; the
// outputs do not depend on which won, and the details name the candidates that were timed.
TEST(PlanEngine, MeasuredPlanIsOneOfTheCandidatesAndMatches) {
  auto single = load("cpu:0");
  auto co = load("cpu:0, cpu:1", "", /*measure_plan=*/true);
  ASSERT_TRUE(single && co);
  for (int64_t b : {1, 4}) {
    std::vector<Tensor> x{plan_test::random_tensor({b, 3, 224, 224}, 11 + static_cast<uint32_t>(b))};
    auto got = co->run(x);
    auto ref = single->run(x);
    ASSERT_TRUE(got.is_ok() && ref.is_ok());
    EXPECT_LE(plan_test::max_scaled_diff((*got)[0], (*ref)[0]), 1e-5) << "batch " << b;
    const std::string d = co->plan_details();
    EXPECT_NE(d.find("chosen by measurement at batch " + std::to_string(b)), std::string::npos) << d;
    EXPECT_NE(d.find("all:cpu:0-0:"), std::string::npos) << d;
    EXPECT_NE(d.find("all:cpu:1-1:"), std::string::npos) << d;
    const std::string p = co->plan_description();
    EXPECT_TRUE(p == "all:cpu:0-0" || p == "all:cpu:1-1" || p.find("cpu:0-0=") != std::string::npos) << p;
  }
}

// A unit with a row limit runs a larger slice in chunks; the outputs do not change.
TEST(PlanEngine, MaxBatchRunsChunksWithTheSameOutputs) {
  auto single = load("cpu:0");
  auto chunked = load("cpu:0/max_batch=2");
  ASSERT_TRUE(single && chunked);
  std::vector<Tensor> x{plan_test::random_tensor({5, 3, 224, 224}, 21)};
  auto got = chunked->run(x);
  auto ref = single->run(x);
  ASSERT_TRUE(got.is_ok() && ref.is_ok()) << got.status().to_string();
  EXPECT_LE(plan_test::max_scaled_diff((*got)[0], (*ref)[0]), 1e-5);
  EXPECT_NE(chunked->report_json().find("\"slices\": 3"), std::string::npos) << chunked->report_json();
  EXPECT_FALSE(Engine::load(kModel, EngineOptions{"cpu:0/max_batch=0", ""}).is_ok());
}

TEST(PlanEngine, GivenPlanAndErrors) {
  EngineOptions o;
  o.units = "cpu:0, cpu:1";
  o.plan = "all: cuda:0";
  auto e = Engine::load(kModel, o);
  ASSERT_FALSE(e.is_ok());
  EXPECT_NE(e.status().message().find("'cuda:0'"), std::string::npos) << e.status().message();
  o.plan = "front: cpu:0=2";
  EXPECT_FALSE(Engine::load(kModel, o).is_ok());
  o.units = "cpu/thread=2";
  o.plan = "";
  e = Engine::load(kModel, o);
  ASSERT_FALSE(e.is_ok());
  EXPECT_NE(e.status().message().find("unknown option 'thread'"), std::string::npos);
  auto single = load("cpu:0", "all: cpu:0");
  ASSERT_TRUE(single);
  auto r = single->run({plan_test::random_tensor({2, 3, 224, 224}, 3)});
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  EXPECT_EQ(single->plan_description(), "all:cpu:0");
}

}  // namespace
}  // namespace tandem
