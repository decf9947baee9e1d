// Thousands of small batches through random plans: every output must match its own input's
// reference, in order, none lost or duplicated. Run under ThreadSanitizer too (build-tsan).
#include <gtest/gtest.h>

#include <random>
#include <thread>

#include "plan/cuts.h"
#include "plans/plan_test_util.h"
#include "runtime/runtime.h"

namespace tandem::runtime {
namespace {

plan::Plan random_plan(std::mt19937& rng, const std::vector<std::string>& cut_tensors,
                       const std::vector<std::string>& unit_names) {
  std::uniform_int_distribution<int> nstages_dist(1, static_cast<int>(cut_tensors.size()) + 1);
  const int nstages = std::min<int>(nstages_dist(rng), 3);
  std::vector<std::string> ends = cut_tensors;
  std::shuffle(ends.begin(), ends.end(), rng);
  ends.resize(static_cast<size_t>(nstages - 1));
  std::sort(ends.begin(), ends.end(), [&](const std::string& a, const std::string& b) {
    return std::find(cut_tensors.begin(), cut_tensors.end(), a) < std::find(cut_tensors.begin(), cut_tensors.end(), b);
  });
  std::vector<plan::Stage> stages;
  std::uniform_real_distribution<double> share(0.0, 1.0);
  for (int s = 0; s < nstages; ++s) {
    plan::Stage st{"s" + std::to_string(s), s + 1 < nstages ? ends[static_cast<size_t>(s)] : "", {}};
    double total = 0;
    for (const std::string& u : unit_names) {
      if (rng() % 3 == 0 && !st.units.empty()) continue;  // leave some units out
      double v = rng() % 4 == 0 ? 0.0 : share(rng);       // and give some a zero share
      st.units.push_back({u, v});
      total += v;
    }
    if (total == 0) st.units[0].share = total = 1.0;
    for (auto& u : st.units) u.share /= total;
    stages.push_back(std::move(st));
  }
  auto p = plan::Plan::make(stages);
  EXPECT_TRUE(p.is_ok()) << p.status().to_string();
  return *p;
}

TEST(Stress, ThousandsOfBatchesThroughRandomPlans) {
  auto model = plan_test::tiny_mlp();
  auto graphs = plan_test::graphs_for(model, {1, 16});
  auto units = plan_test::units("reference:0, reference:1, reference");
  std::vector<std::string> names;
  for (const auto& u : units) names.push_back(u.name());
  std::vector<std::string> cut_tensors;
  for (const auto& c : plan::find_cuts(*plan_test::at_batch(graphs, 1))) cut_tensors.push_back(c.tensor);
  ASSERT_GE(cut_tensors.size(), 2u);

  std::mt19937 rng(1234);
  constexpr int kMaxBatch = 6;
  // Reference outputs: the whole model on one unit, per batch size (rows are independent).
  int total_batches = 0;
  for (int round = 0; round < 20; ++round) {
    plan::Plan p = random_plan(rng, cut_tensors, names);
    SCOPED_TRACE(plan::plan_to_short_string(p));
    RuntimeOptions o;
    o.max_in_flight = 1 + static_cast<int>(rng() % 6);
    auto rt = Runtime::create(units, p, graphs, o);
    ASSERT_TRUE(rt.is_ok()) << rt.status().to_string();
    std::vector<std::vector<Tensor>> inputs;
    for (int i = 0; i < 120; ++i) {
      int64_t b = 1 + static_cast<int64_t>(rng() % kMaxBatch);
      inputs.push_back({plan_test::random_tensor({b, 16}, static_cast<uint32_t>(rng()), -2, 2)});
    }
    auto outs = (*rt)->run_all(inputs);
    ASSERT_TRUE(outs.is_ok()) << outs.status().to_string();
    ASSERT_EQ(outs->size(), inputs.size());
    for (size_t i = 0; i < inputs.size(); ++i) {
      auto g = plan_test::at_batch(graphs, inputs[i][0].shape()[0]);
      auto ref = plan_test::run_whole(units[0], *g, inputs[i]);
      ASSERT_TRUE(ref.is_ok());
      ASSERT_LE(plan_test::max_scaled_diff((*outs)[i][0], (*ref)[0]), 1e-5) << "round " << round << " batch " << i;
    }
    RunReport r = (*rt)->report();
    EXPECT_EQ(r.batches, static_cast<int64_t>(inputs.size()));
    total_batches += static_cast<int>(inputs.size());
  }
  EXPECT_EQ(total_batches, 2400);
}

// A producer thread submits while a consumer thread takes results: the stream stays in order.
TEST(Stress, ProducerAndConsumerThreads) {
  auto graphs = plan_test::graphs_for(plan_test::tiny_mlp(), {1, 16});
  auto units = plan_test::units("reference:0, reference:1");
  auto p = plan::parse_plan("a@a0: reference:0=0.5, reference:1=0.5 | b: reference:1=0.3, reference:0=0.7");
  auto rt = Runtime::create(units, *p, graphs, RuntimeOptions{.max_in_flight = 3});
  ASSERT_TRUE(rt.is_ok());
  constexpr int kBatches = 600;
  std::vector<std::vector<Tensor>> inputs;
  for (int i = 0; i < kBatches; ++i)
    inputs.push_back({plan_test::random_tensor({1 + i % 5, 16}, 900 + static_cast<uint32_t>(i), -2, 2)});
  std::thread producer([&] {
    for (auto& in : inputs) ASSERT_TRUE((*rt)->submit(in).is_ok());
  });
  for (int i = 0; i < kBatches; ++i) {
    auto out = (*rt)->next();
    while (!out.is_ok() && out.status().message().find("no batch was submitted") != std::string::npos) {
      std::this_thread::yield();
      out = (*rt)->next();
    }
    ASSERT_TRUE(out.is_ok()) << out.status().to_string();
    auto g = plan_test::at_batch(graphs, inputs[static_cast<size_t>(i)][0].shape()[0]);
    auto ref = plan_test::run_whole(units[0], *g, inputs[static_cast<size_t>(i)]);
    ASSERT_LE(plan_test::max_scaled_diff((*out)[0], (*ref)[0]), 1e-5) << "batch " << i;
  }
  producer.join();
}

}  // namespace
}  // namespace tandem::runtime
