// Engine::submit()/next() (what the server streams batches through) on a real model: batches of
// different sizes (different runtimes) come back in submit order with the outputs run() gives, with
// a producer and a consumer thread; unit_usage() counts the images.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <semaphore>
#include <thread>

#include "tandem/engine.h"

namespace tandem {
namespace {

Tensor random_input(int64_t rows, uint32_t seed) {
  Tensor t({rows, 3, 8, 8}, DType::kFloat32);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1, 1);
  for (int64_t i = 0; i < t.numel(); ++i) t.data_as<float>()[i] = u(rng);
  return t;
}

void expect_same(const std::vector<Tensor>& a, const std::vector<Tensor>& b, size_t batch) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t o = 0; o < a.size(); ++o) {
    ASSERT_EQ(a[o].shape(), b[o].shape()) << "batch " << batch;
    for (int64_t i = 0; i < a[o].numel(); ++i)
      ASSERT_NEAR(a[o].data_as<float>()[i], b[o].data_as<float>()[i], 1e-5f) << "batch " << batch << " output " << o;
  }
}

void stream_in_order(const std::string& units) {
  auto engine = Engine::load(std::string(TANDEM_MODELS_DIR) + "/two_heads.onnx", {.units = units, .max_in_flight = 2});
  ASSERT_TRUE(engine.is_ok()) << engine.status().message();
  const std::vector<int64_t> sizes = {1, 4, 2, 4, 1, 8, 2, 2, 4, 1, 8, 8, 1, 2, 4, 1};
  std::vector<std::vector<Tensor>> inputs, expected;
  for (size_t i = 0; i < sizes.size(); ++i) {
    inputs.push_back({random_input(sizes[i], static_cast<uint32_t>(i))});
    auto r = (*engine)->run(inputs.back());
    ASSERT_TRUE(r.is_ok()) << r.status().message();
    expected.push_back(*r);
  }
  (*engine)->reset_report();
  std::vector<Result<std::vector<Tensor>>> got;
  std::counting_semaphore<64> submitted(0);  // next() only for a batch whose submit() returned
  std::thread consumer([&] {
    for (size_t i = 0; i < sizes.size(); ++i) {
      submitted.acquire();
      got.push_back((*engine)->next());
    }
  });
  for (size_t i = 0; i < sizes.size(); ++i) {
    const Status st = (*engine)->submit(inputs[i]);  // blocks while max_in_flight wait to be taken
    EXPECT_TRUE(st.is_ok()) << st.message();
    submitted.release();
  }
  consumer.join();
  for (size_t i = 0; i < sizes.size(); ++i) {
    ASSERT_TRUE(got[i].is_ok()) << got[i].status().message();
    expect_same(*got[i], expected[i], i);
  }
  int64_t images = 0;
  for (const UnitUsage& u : (*engine)->unit_usage()) images += u.images;
  int64_t rows = 0;
  for (int64_t s : sizes) rows += s;
  EXPECT_GE(images, rows);  // a two-stage plan counts an image once per stage
}

TEST(EngineStreamTest, OneUnitBatchesOfMixedSizesInOrder) { stream_in_order("cpu"); }

TEST(EngineStreamTest, TwoUnitsBatchesOfMixedSizesInOrder) { stream_in_order("cpu:0,cpu:1"); }

TEST(EngineStreamTest, NextWithoutSubmitIsAnError) {
  auto engine = Engine::load(std::string(TANDEM_MODELS_DIR) + "/two_heads.onnx", {.units = "cpu"});
  ASSERT_TRUE(engine.is_ok());
  EXPECT_FALSE((*engine)->next().is_ok());
}

}  // namespace
}  // namespace tandem
