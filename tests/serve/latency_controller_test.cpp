// choose_limits(): the batch size and delay for a p99 target, from measured batch times.
#include <gtest/gtest.h>

#include "serve/latency_controller.h"

namespace tandem::serve {
namespace {

// t(b) = 1 ms + 0.5 ms per row: 1: 1.5 ms, 2: 2 ms, 4: 3 ms, 8: 5 ms, 16: 9 ms, 32: 17 ms.
const std::vector<BatchTiming> kProfile = {{1, 1.5e-3}, {2, 2e-3}, {4, 3e-3}, {8, 5e-3}, {16, 9e-3}, {32, 17e-3}};

TEST(LatencyControllerTest, IdleTakesTheLargestBatchThatFitsAndNoDelay) {
  // Budget 0.8 x 25 ms = 20 ms: 2 x t(8) = 10 ms fits, 2 x t(16) = 18 ms fits, 2 x t(32) = 34 ms does not.
  BatchLimits l = choose_limits(kProfile, 25e-3, 0);
  EXPECT_EQ(l.max_batch, 16);
  EXPECT_EQ(l.max_delay_us, 0);
}

TEST(LatencyControllerTest, UnderLoadTheSmallestBatchThatCarriesTheRate) {
  // 1000 rows/s x 1.25: batch 2 carries 1000 rows/s (2 / 2 ms) < 1250; batch 4 carries 1333.
  BatchLimits l = choose_limits(kProfile, 25e-3, 1000);
  EXPECT_EQ(l.max_batch, 4);
  // Delay: what the budget leaves (20 - 6 ms), at most the fill time 4 / 1000 s = 4 ms.
  EXPECT_EQ(l.max_delay_us, 4000);
}

TEST(LatencyControllerTest, SaturatedUsesTheLargestThatFits) {
  BatchLimits l = choose_limits(kProfile, 25e-3, 1e9);
  EXPECT_EQ(l.max_batch, 16);
  EXPECT_EQ(l.max_delay_us, 0);  // at this rate the batch fills at once: no wait
  // Between: the budget's remainder caps the delay (20 ms - 2 x 9 ms = 2 ms < 16 / 2000 s).
  // 1500 rows/s x 1.25: no batch below 16 carries it (8 / 5 ms = 1600, 16 / 9 ms = 1778 rows/s).
  EXPECT_EQ(choose_limits(kProfile, 25e-3, 1500).max_batch, 16);
  EXPECT_EQ(choose_limits({{16, 9e-3}}, 25e-3, 2000).max_delay_us, 2000);
}

TEST(LatencyControllerTest, TargetBelowEveryBatchAnswersAtBatchOne) {
  BatchLimits l = choose_limits(kProfile, 1e-3, 5000);
  EXPECT_EQ(l.max_batch, 1);
  EXPECT_EQ(l.max_delay_us, 0);
}

TEST(LatencyControllerTest, SlackShrinksTheBudget) {
  // Half the budget (10 ms): 2 x t(4) = 6 ms fits, 2 x t(8) = 10 ms fits, 16 does not.
  EXPECT_EQ(choose_limits(kProfile, 25e-3, 0, 0.5).max_batch, 8);
}

// A latency above the target shrinks the slack; the batcher gets the new limits.
TEST(LatencyControllerTest, ObservedP99AboveTargetShrinksSlack) {
  struct NullEngine : Engine {
    std::vector<TensorInfo> io;
    const std::vector<TensorInfo>& inputs() const override { return io; }
    const std::vector<TensorInfo>& outputs() const override { return io; }
    std::string plan_description() const override { return ""; }
    Result<std::vector<Tensor>> run(const std::vector<Tensor>&) override { return std::vector<Tensor>{}; }
  } engine;
  MicroBatcher batcher(engine, {.max_batch = 32, .max_delay_us = 0, .max_queue = 8, .batch_sizes = {}}, nullptr);
  LatencyController c(batcher, kProfile, 25e-3, 10);
  EXPECT_EQ(batcher.max_batch(), 16);
  for (int round = 0; round < 20 && c.slack() > 0.5; ++round) {
    for (int i = 0; i < 50; ++i) c.observe(0.1);  // 100 ms, 4x the target
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
  }
  EXPECT_LE(c.slack(), 0.5);
  EXPECT_GE(c.slack(), 0.25);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_LT(batcher.max_batch(), 16);
}

}  // namespace
}  // namespace tandem::serve
