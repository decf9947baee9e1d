#include <gtest/gtest.h>

#include "plan/default_plan.h"
#include "plans/plan_test_util.h"
#include "runtime/buffer_pool.h"
#include "runtime/runtime.h"
#include "runtime/scatter.h"
#include "runtime/tensor_pool.h"

namespace tandem::runtime {
namespace {

using plan_test::max_abs_diff;
using plan_test::max_scaled_diff;

TEST(SplitRows, LargestRemainderCoversTheBatch) {
  EXPECT_EQ(split_rows(10, {0.5, 0.5}), (std::vector<int64_t>{5, 5}));
  EXPECT_EQ(split_rows(7, {0.5, 0.5}), (std::vector<int64_t>{4, 3}));
  EXPECT_EQ(split_rows(1, {0.5, 0.5}), (std::vector<int64_t>{1, 0}));
  EXPECT_EQ(split_rows(10, {0.0, 1.0}), (std::vector<int64_t>{0, 10}));
  EXPECT_EQ(split_rows(5, {1.0 / 3, 1.0 / 3, 1.0 / 3}), (std::vector<int64_t>{2, 2, 1}));
  EXPECT_EQ(split_rows(3, {0.7, 0.0, 0.3}), (std::vector<int64_t>{2, 0, 1}));
  EXPECT_EQ(split_rows(2, {0.05, 0.05, 0.9}), (std::vector<int64_t>{0, 0, 2}));
  for (int64_t b = 1; b < 50; ++b) {
    auto r = split_rows(b, {0.1, 0.0, 0.27, 0.63});
    EXPECT_EQ(r[0] + r[1] + r[2] + r[3], b);
    EXPECT_EQ(r[1], 0);
  }
}

// A plan as it runs at one batch size: the seed's front/tail split at batch 1 is the GPU alone.
TEST(PlanAtBatch, UnitsWithoutRowsLeaveAndSameUnitStagesMerge) {
  auto seed = plan::parse_plan("front@t5: gpu:0=0.85, cpu:1-15=0.15 | tail: gpu:0");
  ASSERT_TRUE(seed.is_ok()) << seed.status().message();
  EXPECT_EQ(plan_at_batch(*seed, 1), plan::Plan::single_unit("gpu:0"));
  // At batch 16 the CPU gets 2 rows (13.6 and 2.4 round to 14 and 2): both stages stay.
  auto at16 = plan_at_batch(*seed, 16);
  ASSERT_EQ(at16.stages().size(), 2u);
  ASSERT_EQ(at16.stages()[0].units.size(), 2u);
  EXPECT_EQ(split_rows(16, {at16.stages()[0].units[0].share, at16.stages()[0].units[1].share}),
            split_rows(16, {0.85, 0.15}));
  EXPECT_EQ(at16.stages()[0].end, "t5");
  // A data-parallel split where only the small unit is dropped keeps the rest of the stage.
  auto three = plan::parse_plan("all: a=0.6, b=0.38, c=0.02");
  ASSERT_TRUE(three.is_ok());
  auto at10 = plan_at_batch(*three, 10);
  ASSERT_EQ(at10.stages().size(), 1u);
  ASSERT_EQ(at10.stages()[0].units.size(), 2u);
  EXPECT_DOUBLE_EQ(at10.stages()[0].units[0].share, 0.6);
  EXPECT_DOUBLE_EQ(at10.stages()[0].units[1].share, 0.4);
  // Three stages on x, x, y: the first two merge and keep the second one's end.
  auto chain = plan::parse_plan("a@t1: x=0.9, y=0.1 | b@t2: x | c: y");
  ASSERT_TRUE(chain.is_ok());
  auto merged = plan_at_batch(*chain, 1);
  ASSERT_EQ(merged.stages().size(), 2u);
  EXPECT_EQ(merged.stages()[0].name, "a");
  EXPECT_EQ(merged.stages()[0].end, "t2");
  EXPECT_EQ(merged.stages()[1].units[0].unit, "y");
  // A plan already as it runs comes back unchanged.
  EXPECT_EQ(plan_at_batch(*chain, 100), plan_at_batch(plan_at_batch(*chain, 100), 100));
}

TEST(BufferPoolTest, ReusesReleasedBuffers) {
  BufferPool pool;
  void* a = pool.acquire(1000);
  void* b = pool.acquire(1000);
  EXPECT_NE(a, b);
  pool.release(a);
  EXPECT_EQ(pool.acquire(900), a);
  pool.release(b);
  EXPECT_NE(pool.acquire(100), b);  // far smaller: does not pin a big buffer
  EXPECT_EQ(pool.allocations(), 3u);
}

TEST(BufferPoolTest, HoldsAtMostItsCapEvictingFreeBuffersFirst) {
  BufferPool pool({}, 3000);
  void* a = pool.acquire(1000);
  void* b = pool.acquire(1000);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(pool.acquire(1500), nullptr);  // 3500 bytes would be held, and nothing is free
  pool.release(a);
  void* c = pool.acquire(1500);            // a (too small to serve it) is freed to make room
  EXPECT_NE(c, nullptr);
  EXPECT_EQ(pool.allocations(), 2u);
}

TEST(TensorPoolTest, ADroppedTensorsBufferServesTheNextOne) {
  auto pool = TensorPool::create({}, size_t{1} << 20);
  const void* first = nullptr;
  {
    Tensor t = pool->make({4, 8}, DType::kFloat32);
    first = t.data();
  }
  Tensor again = pool->make({4, 8}, DType::kFloat32);
  EXPECT_EQ(again.data(), first);
  Tensor big = pool->make({1 << 20}, DType::kFloat32);  // over the cap: an ordinary tensor
  EXPECT_EQ(big.numel(), int64_t{1} << 20);
}

// Runs `batches` through a runtime with `plan_text` and checks every output against the whole
// model run on the first unit alone at that batch size.
void expect_matches_single_unit(const std::string& unit_spec, const std::string& plan_text,
                                const std::vector<int64_t>& batch_sizes, RunReport* report_out = nullptr) {
  SCOPED_TRACE(unit_spec + " / " + plan_text);
  auto model = plan_test::small_cnn();
  auto graphs = plan_test::graphs_for(model, {1, 3, 8, 8});
  auto units = plan_test::units(unit_spec);
  ASSERT_FALSE(units.empty());
  auto p = plan::parse_plan(plan_text);
  ASSERT_TRUE(p.is_ok()) << p.status().to_string();
  auto rt = Runtime::create(units, *p, graphs, RuntimeOptions{.max_in_flight = 3});
  ASSERT_TRUE(rt.is_ok()) << rt.status().to_string();
  std::vector<std::vector<Tensor>> inputs;
  for (size_t i = 0; i < batch_sizes.size(); ++i)
    inputs.push_back({plan_test::random_tensor({batch_sizes[i], 3, 8, 8}, 17 + static_cast<uint32_t>(i), -2, 2)});
  auto outs = (*rt)->run_all(inputs);
  ASSERT_TRUE(outs.is_ok()) << outs.status().to_string();
  ASSERT_EQ(outs->size(), inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    auto g = plan_test::at_batch(graphs, batch_sizes[i]);
    auto ref = plan_test::run_whole(units[0], *g, inputs[i]);
    ASSERT_TRUE(ref.is_ok()) << ref.status().to_string();
    ASSERT_EQ((*outs)[i].size(), 1u);
    EXPECT_LE(max_scaled_diff((*outs)[i][0], (*ref)[0]), 1e-5) << "batch " << i << " of " << batch_sizes[i];
  }
  RunReport r = (*rt)->report();
  int64_t total = 0;
  for (int64_t b : batch_sizes) total += b;
  EXPECT_EQ(r.images, total);
  EXPECT_EQ(r.batches, static_cast<int64_t>(batch_sizes.size()));
  // Every stage saw every image exactly once, summed over units.
  for (size_t s = 0; s < p->stages().size(); ++s) {
    int64_t seen = 0;
    for (const UnitReport& u : r.units) seen += u.images_per_stage[s];
    EXPECT_EQ(seen, total) << "stage " << s;
  }
  if (report_out) *report_out = r;
}

class CoExecution : public ::testing::TestWithParam<std::string> {
 protected:
  // Two core-group units of the backend under test, plus a restricted one.
  std::string u0() const { return GetParam() + ":0"; }
  std::string u1() const { return GetParam() + ":1"; }
  void SetUp() override {
    if (GetParam() == "cpu") {  // the oneDNN backend must claim the model's ops to be tested here
      auto units = plan_test::units("cpu:0");
      auto g = plan_test::at_batch(plan_test::graphs_for(plan_test::small_cnn(), {1, 3, 8, 8}), 1);
      if (units.empty() || !g || !units[0].supports_range(*g, 0, static_cast<int>(g->nodes.size())).is_ok())
        GTEST_SKIP() << "cpu backend does not run the small CNN yet";
    }
  }
};

TEST_P(CoExecution, TwoStages) {
  expect_matches_single_unit(u0() + "," + u1(), "front@flat: " + u0() + "=0.5, " + u1() + "=0.5 | tail: " + u0(),
                             {4, 7, 1, 16, 3});
}

TEST_P(CoExecution, ThreeStagesUnevenShares) {
  expect_matches_single_unit(u0() + "," + u1(),
                             "a@r0: " + u0() + "=0.7, " + u1() + "=0.3 | b@pool: " + u1() + " | c: " + u0() + "=0.2, " +
                                 u1() + "=0.8",
                             {5, 9, 1, 2, 11});
}

TEST_P(CoExecution, ZeroShareGetsNoWork) {
  RunReport r;
  expect_matches_single_unit(u0() + "," + u1(), "all: " + u0() + "=1, " + u1() + "=0", {4, 3}, &r);
  EXPECT_EQ(r.units[1].images, 0);
  EXPECT_EQ(r.units[1].slices, 0);
  EXPECT_EQ(r.units[0].images, 7);
}

TEST_P(CoExecution, BatchOneAndIndivisibleBatches) {
  const std::string spec = u0() + "," + u1() + "," + GetParam();
  expect_matches_single_unit(spec, "all: " + u0() + ", " + u1() + ", " + GetParam(), {1, 2, 4, 5, 7, 10});
}

TEST_P(CoExecution, RestrictedUnitMovesTheCut) {
  // u1 cannot run Gemm or Softmax: the default plan's front ends at 'flat'; tail on u0.
  const std::string spec = u0() + "," + u1() + "/no=Gemm+Softmax";
  auto units = plan_test::units(spec);
  auto graphs = plan_test::graphs_for(plan_test::small_cnn(), {1, 3, 8, 8});
  auto g = plan_test::at_batch(graphs, 6);
  plan::DefaultPlanOptions o;
  o.calibration_runs = 1;
  auto p = plan::default_plan(*g, units, graphs, o);
  ASSERT_TRUE(p.is_ok()) << p.status().to_string();
  ASSERT_EQ(p->stages().size(), 2u);
  EXPECT_EQ(p->stages()[0].end, "flat");
  expect_matches_single_unit(spec, plan::plan_to_short_string(*p), {6, 1, 13});
}

INSTANTIATE_TEST_SUITE_P(Backends, CoExecution, ::testing::Values("reference", "cpu"));

TEST(Runtime, InputErrors) {
  auto graphs = plan_test::graphs_for(plan_test::small_cnn(), {1, 3, 8, 8});
  auto rt = Runtime::create(plan_test::units("reference"), plan::Plan::single_unit("reference"), graphs);
  ASSERT_TRUE(rt.is_ok());
  auto r = (*rt)->run({plan_test::random_tensor({2, 4, 8, 8}, 1)});
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("input 'x'"), std::string::npos) << r.status().message();
  EXPECT_FALSE((*rt)->run({}).is_ok());
  EXPECT_FALSE((*rt)->next().is_ok());  // nothing pending
  // Still usable afterwards.
  EXPECT_TRUE((*rt)->run({plan_test::random_tensor({2, 3, 8, 8}, 1)}).is_ok());
}

TEST(Runtime, CreateErrors) {
  auto graphs = plan_test::graphs_for(plan_test::small_cnn(), {1, 3, 8, 8});
  auto p = plan::Plan::single_unit("cuda:0");
  auto rt = Runtime::create(plan_test::units("reference"), p, graphs);
  ASSERT_FALSE(rt.is_ok());
  EXPECT_NE(rt.status().message().find("'cuda:0'"), std::string::npos);
  // A plan that does not fit the graph fails at the first submit, with the stage named.
  auto bad = plan::parse_plan("front@x: reference | tail: reference");  // x: no node produces it
  auto rt2 = Runtime::create(plan_test::units("reference"), *bad, graphs);
  ASSERT_TRUE(rt2.is_ok());
  auto r = (*rt2)->run({plan_test::random_tensor({2, 3, 8, 8}, 1)});
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("stage 'front' ends at 'x'"), std::string::npos) << r.status().message();
}

TEST(Runtime, ReportJson) {
  RunReport r;
  expect_matches_single_unit("reference:0,reference:1", "all: reference:0=0.5, reference:1=0.5", {4, 4}, &r);
  EXPECT_GT(r.wall_s, 0);
  EXPECT_GT(r.images_per_s, 0);
  EXPECT_EQ(r.units[0].images + r.units[1].images, 8);
  std::string j = r.to_json();
  EXPECT_NE(j.find("\"images_per_s\""), std::string::npos);
  EXPECT_NE(j.find("\"reference:0-0\""), std::string::npos);
  EXPECT_NE(r.to_string().find("reference:1-1"), std::string::npos);
}

}  // namespace
}  // namespace tandem::runtime

namespace tandem::runtime {
namespace {

TEST(Runtime, StagingBuffersAreReused) {
  auto graphs = plan_test::graphs_for(plan_test::tiny_mlp(), {1, 16});
  auto units = plan_test::units("reference:0, reference:1");
  auto p = plan::parse_plan("a@a0: reference:0=0.5, reference:1=0.5 | b@a1: reference:1 | c: reference:0");
  auto rt = Runtime::create(units, *p, graphs, RuntimeOptions{.max_in_flight = 3});
  ASSERT_TRUE(rt.is_ok());
  std::vector<std::vector<Tensor>> inputs;
  for (int i = 0; i < 200; ++i) inputs.push_back({plan_test::random_tensor({4, 16}, static_cast<uint32_t>(i))});
  ASSERT_TRUE((*rt)->run_all(inputs).is_ok());
  const int64_t warm = (*rt)->report().staging_buffers;
  EXPECT_GT(warm, 0);
  EXPECT_LE(warm, 2 * 3);  // two stage boundaries x batches in flight, at most
  ASSERT_TRUE((*rt)->run_all(inputs).is_ok());
  EXPECT_LE((*rt)->report().staging_buffers, 2 * 3);  // 400 batches, still bounded by what is in flight
}

}  // namespace
}  // namespace tandem::runtime
