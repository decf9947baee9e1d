// The micro-batcher over a fake engine whose output row i is a function of input row i alone, so a
// request answered with another's rows, a lost row or a reordered row shows.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <chrono>
#include <future>
#include <mutex>
#include <random>
#include <thread>

#include "serve/batcher.h"

namespace tandem::serve {
namespace {

// One input [N, 2] float32; outputs y = 2x + 1 [N, 2] and s = x0 + x1 [N]. Records batch sizes;
// can be told to fail a batch whose first value is negative.
class FakeEngine : public Engine {
 public:
  const std::vector<TensorInfo>& inputs() const override { return inputs_; }
  const std::vector<TensorInfo>& outputs() const override { return outputs_; }
  std::string plan_description() const override { return "fake"; }

  Result<std::vector<Tensor>> run(const std::vector<Tensor>& in) override {
    const Tensor& x = in[0];
    const int64_t n = x.shape()[0];
    {
      std::lock_guard<std::mutex> lock(mu_);
      sizes_.push_back(n);
    }
    if (delay_us_ > 0) std::this_thread::sleep_for(std::chrono::microseconds(delay_us_));
    if (x.data_as<float>()[0] < 0) return internal_error("fake failure");
    Tensor y({n, 2}, DType::kFloat32), s({n}, DType::kFloat32);
    for (int64_t i = 0; i < n; ++i) {
      const float a = x.data_as<float>()[2 * i], b = x.data_as<float>()[2 * i + 1];
      y.data_as<float>()[2 * i] = 2 * a + 1;
      y.data_as<float>()[2 * i + 1] = 2 * b + 1;
      s.data_as<float>()[i] = a + b;
    }
    return std::vector<Tensor>{y, s};
  }

  std::vector<int64_t> sizes() {
    std::lock_guard<std::mutex> lock(mu_);
    return sizes_;
  }
  Tensor make_tensor(Shape shape, DType dtype) override {
    ++made_;
    return Tensor(std::move(shape), dtype);
  }
  int delay_us_ = 0;
  std::atomic<int> made_{0};  // make_tensor() calls

 private:
  std::vector<TensorInfo> inputs_ = {{"x", DType::kFloat32, {-1, 2}}};
  std::vector<TensorInfo> outputs_ = {{"y", DType::kFloat32, {-1, 2}}, {"s", DType::kFloat32, {-1}}};
  std::mutex mu_;
  std::vector<int64_t> sizes_;
};

// A request of `rows` rows whose values start at `base`.
Tensor rows_from(float base, int64_t rows) {
  Tensor t({rows, 2}, DType::kFloat32);
  for (int64_t i = 0; i < 2 * rows; ++i) t.data_as<float>()[i] = base + static_cast<float>(i);
  return t;
}

// Expects the outputs of rows_from(base, rows).
void expect_outputs(const Result<std::vector<Tensor>>& r, float base, int64_t rows) {
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  ASSERT_EQ(r->size(), 2u);
  ASSERT_EQ((*r)[0].shape(), (Shape{rows, 2}));
  ASSERT_EQ((*r)[1].shape(), (Shape{rows}));
  for (int64_t i = 0; i < rows; ++i) {
    const float a = base + static_cast<float>(2 * i), b = a + 1;
    ASSERT_EQ((*r)[0].data_as<float>()[2 * i], 2 * a + 1) << "row " << i;
    ASSERT_EQ((*r)[0].data_as<float>()[2 * i + 1], 2 * b + 1) << "row " << i;
    ASSERT_EQ((*r)[1].data_as<float>()[i], a + b) << "row " << i;
  }
}

struct Waiter {
  std::promise<Result<std::vector<Tensor>>> promise;
  std::future<Result<std::vector<Tensor>>> future = promise.get_future();
  Completion completion() {
    return [this](Result<std::vector<Tensor>> r) { promise.set_value(std::move(r)); };
  }
};

TEST(BatcherTest, FullBatchGoesWithoutWaitingForTheDelay) {
  FakeEngine engine;
  MicroBatcher b(engine, {.max_batch = 4, .max_delay_us = 60'000'000, .max_queue = 16, .batch_sizes = {}}, nullptr);
  std::vector<std::unique_ptr<Waiter>> w;
  for (int i = 0; i < 4; ++i) {
    w.push_back(std::make_unique<Waiter>());
    ASSERT_TRUE(b.enqueue({rows_from(100.0f * static_cast<float>(i), 1)}, w.back()->completion()).is_ok());
  }
  for (int i = 0; i < 4; ++i) {
    ASSERT_EQ(w[static_cast<size_t>(i)]->future.wait_for(std::chrono::seconds(20)), std::future_status::ready);
    expect_outputs(w[static_cast<size_t>(i)]->future.get(), 100.0f * static_cast<float>(i), 1);
  }
  EXPECT_EQ(engine.sizes(), (std::vector<int64_t>{4}));
}

TEST(BatcherTest, PartialBatchGoesAfterTheDelay) {
  FakeEngine engine;
  MicroBatcher b(engine, {.max_batch = 64, .max_delay_us = 2000, .max_queue = 16, .batch_sizes = {}}, nullptr);
  Waiter w;
  ASSERT_TRUE(b.enqueue({rows_from(3.0f, 3)}, w.completion()).is_ok());
  ASSERT_EQ(w.future.wait_for(std::chrono::seconds(20)), std::future_status::ready);
  expect_outputs(w.future.get(), 3.0f, 3);
  EXPECT_EQ(engine.sizes(), (std::vector<int64_t>{3}));
}

TEST(BatcherTest, LargeRequestIsSplitAndRejoined) {
  FakeEngine engine;
  MicroBatcher b(engine, {.max_batch = 8, .max_delay_us = 100, .max_queue = 16, .batch_sizes = {2, 8}}, nullptr);
  Waiter w;
  ASSERT_TRUE(b.enqueue({rows_from(-0.0f + 1.0f, 21)}, w.completion()).is_ok());
  ASSERT_EQ(w.future.wait_for(std::chrono::seconds(20)), std::future_status::ready);
  expect_outputs(w.future.get(), 1.0f, 21);
  // 8 + 8 + 5 rows, the last padded to 8.
  EXPECT_EQ(engine.sizes(), (std::vector<int64_t>{8, 8, 8}));
}

// A request's rows of an output with a destination (shared memory) are written there, over the
// batches a split request takes; its neighbours in those batches keep buffers of their own. An
// output larger than its destination fails only that request.
TEST(BatcherTest, OutputDestinationsReceiveTheirRequestsRows) {
  FakeEngine engine;
  MicroBatcher b(engine, {.max_batch = 4, .max_delay_us = 1000, .max_queue = 16, .batch_sizes = {}}, nullptr);
  std::vector<float> y(2 * 7, -1.0f);
  std::vector<float> small(3, -1.0f);
  Waiter before, split, after, too_small;
  ASSERT_TRUE(b.enqueue({rows_from(50.0f, 1)}, before.completion()).is_ok());
  ASSERT_TRUE(b.enqueue({rows_from(1.0f, 7)}, split.completion(), {{y.data(), y.size() * sizeof(float)}, {}}).is_ok());
  ASSERT_TRUE(b.enqueue({rows_from(80.0f, 2)}, after.completion()).is_ok());
  ASSERT_TRUE(b.enqueue({rows_from(90.0f, 2)}, too_small.completion(), {{}, {small.data(), 7}}).is_ok());
  auto r = split.future.get();
  expect_outputs(r, 1.0f, 7);
  EXPECT_EQ((*r)[0].data(), static_cast<void*>(y.data()));  // in the destination, not a copy
  for (int64_t i = 0; i < 14; ++i) EXPECT_EQ(y[static_cast<size_t>(i)], 2 * (1.0f + static_cast<float>(i)) + 1) << i;
  expect_outputs(before.future.get(), 50.0f, 1);
  expect_outputs(after.future.get(), 80.0f, 2);
  auto bad = too_small.future.get();
  ASSERT_FALSE(bad.is_ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("output 's' of shape [2] needs 8 bytes, its shared memory holds 7"),
            std::string::npos)
      << bad.status().message();
}

TEST(BatcherTest, PadsToTheNextBatchSize) {
  FakeEngine engine;
  MicroBatcher b(engine, {.max_batch = 8, .max_delay_us = 100, .max_queue = 16, .batch_sizes = {1, 4, 8}}, nullptr);
  Waiter w;
  ASSERT_TRUE(b.enqueue({rows_from(5.0f, 3)}, w.completion()).is_ok());
  ASSERT_EQ(w.future.wait_for(std::chrono::seconds(20)), std::future_status::ready);
  expect_outputs(w.future.get(), 5.0f, 3);
  EXPECT_EQ(engine.sizes(), (std::vector<int64_t>{4}));
}

// Batch buffers come from Engine::make_tensor (page-locked with a GPU: slow to allocate and to
// free) once, then again and again from the batcher's spares.
TEST(BatcherTest, BatchBuffersAreReused) {
  FakeEngine engine;
  MicroBatcher b(engine, {.max_batch = 4, .max_delay_us = 0, .max_queue = 16, .batch_sizes = {4}}, nullptr);
  for (int i = 0; i < 30; ++i) {
    Waiter w;
    ASSERT_TRUE(b.enqueue({rows_from(static_cast<float>(i) * 8, 1 + i % 4)}, w.completion()).is_ok());
    expect_outputs(w.future.get(), static_cast<float>(i) * 8, 1 + i % 4);
  }
  EXPECT_EQ(engine.sizes().size(), 30u);
  EXPECT_LE(engine.made_.load(), 2);
}

// Batches of every padded size use the front of one buffer kind: sizes that vary (the latency
// controller's) allocate no buffer of their own, and reserve_buffers() allocates them all first.
TEST(BatcherTest, BatchesOfEverySizeShareBuffers) {
  for (bool reserve : {false, true}) {
    FakeEngine engine;
    MicroBatcher b(engine, {.max_batch = 8, .max_delay_us = 0, .max_queue = 16, .batch_sizes = {1, 2, 4, 8}}, nullptr);
    if (reserve) b.reserve_buffers();
    const int reserved = engine.made_.load();
    EXPECT_EQ(reserved, reserve ? BatcherOptions{}.max_in_flight + 1 : 0);
    for (int i = 0; i < 40; ++i) {
      Waiter w;
      const int64_t rows = 1 + (i * 5) % 8;
      ASSERT_TRUE(b.enqueue({rows_from(static_cast<float>(i) * 16, rows)}, w.completion()).is_ok());
      expect_outputs(w.future.get(), static_cast<float>(i) * 16, rows);
    }
    // Not reserved: one buffer, or two when a request's batch forms before the last batch's buffer
    // is back (its completion runs first); one per size (4) would be the old way.
    if (reserve) EXPECT_EQ(engine.made_.load(), reserved);
    else EXPECT_LE(engine.made_.load(), 2);
    std::vector<int64_t> sizes = engine.sizes();
    std::sort(sizes.begin(), sizes.end());
    sizes.erase(std::unique(sizes.begin(), sizes.end()), sizes.end());
    EXPECT_EQ(sizes, (std::vector<int64_t>{1, 2, 4, 8}));
  }
}

// The gather shared out over helper threads (copy_split_bytes tiny, so every batch is): still every
// request's own rows, in order, with requests split over batches.
TEST(BatcherTest, ParallelGatherKeepsEveryRow) {
  FakeEngine engine;
  MicroBatcher b(engine, {.max_batch = 16, .max_delay_us = 300, .max_queue = 1000, .batch_sizes = {4, 16},
                          .copy_threads = 3, .copy_split_bytes = 16}, nullptr);
  std::vector<std::unique_ptr<Waiter>> w;
  for (int i = 0; i < 60; ++i) {
    w.push_back(std::make_unique<Waiter>());
    ASSERT_TRUE(b.enqueue({rows_from(static_cast<float>(i) * 64, 1 + i % 7)}, w.back()->completion()).is_ok());
  }
  for (int i = 0; i < 60; ++i) expect_outputs(w[static_cast<size_t>(i)]->future.get(), static_cast<float>(i) * 64, 1 + i % 7);
}

TEST(BatcherTest, FullQueueRefusesAtOnce) {
  FakeEngine engine;
  MicroBatcher b(engine, {.max_batch = 100, .max_delay_us = 300'000, .max_queue = 2, .batch_sizes = {}}, nullptr);
  Waiter w1, w2;
  ASSERT_TRUE(b.enqueue({rows_from(1.0f, 1)}, w1.completion()).is_ok());
  ASSERT_TRUE(b.enqueue({rows_from(2.0f, 1)}, w2.completion()).is_ok());
  Status third = b.enqueue({rows_from(3.0f, 1)}, [](Result<std::vector<Tensor>>) { FAIL() << "refused, must not complete"; });
  EXPECT_EQ(third.code(), StatusCode::kUnavailable);
  EXPECT_NE(third.message().find("queue is full"), std::string::npos);
  expect_outputs(w1.future.get(), 1.0f, 1);
  expect_outputs(w2.future.get(), 2.0f, 1);
}

TEST(BatcherTest, FailedBatchFailsOnlyItsRequests) {
  FakeEngine engine;
  MicroBatcher b(engine, {.max_batch = 1, .max_delay_us = 0, .max_queue = 16, .batch_sizes = {}}, nullptr);
  Waiter bad, good;
  ASSERT_TRUE(b.enqueue({rows_from(-5.0f, 1)}, bad.completion()).is_ok());
  ASSERT_TRUE(b.enqueue({rows_from(5.0f, 1)}, good.completion()).is_ok());
  auto r = bad.future.get();
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("fake failure"), std::string::npos);
  expect_outputs(good.future.get(), 5.0f, 1);
}

TEST(BatcherTest, StopFinishesEveryAcceptedRequestAndRefusesLater) {
  FakeEngine engine;
  engine.delay_us_ = 2000;
  auto b = std::make_unique<MicroBatcher>(
      engine, BatcherOptions{.max_batch = 4, .max_delay_us = 60'000'000, .max_queue = 64, .batch_sizes = {}}, nullptr);
  std::vector<std::unique_ptr<Waiter>> w;
  for (int i = 0; i < 10; ++i) {
    w.push_back(std::make_unique<Waiter>());
    ASSERT_TRUE(b->enqueue({rows_from(10.0f * static_cast<float>(i), 1 + i % 3)}, w.back()->completion()).is_ok());
  }
  b->stop();  // the last batch goes without waiting 60 s
  for (int i = 0; i < 10; ++i) {
    ASSERT_EQ(w[static_cast<size_t>(i)]->future.wait_for(std::chrono::seconds(0)), std::future_status::ready);
    expect_outputs(w[static_cast<size_t>(i)]->future.get(), 10.0f * static_cast<float>(i), 1 + i % 3);
  }
  EXPECT_EQ(b->enqueue({rows_from(1.0f, 1)}, [](Result<std::vector<Tensor>>) {}).code(), StatusCode::kUnavailable);
}

// An engine whose submit() returns at once and whose batches finish in order on a thread of its own
// (like a pipelined plan): the batcher must keep several batches in it at once.
class PipelinedEngine : public FakeEngine {
 public:
  PipelinedEngine() {
    worker_ = std::thread([this] {
      for (;;) {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [&] { return stop_ || !todo_.empty(); });
        if (todo_.empty()) return;
        std::vector<Tensor> in = std::move(todo_.front());
        todo_.pop_front();
        lock.unlock();
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
        auto r = run(in);
        lock.lock();
        done_.push_back(std::move(r));
        cv_.notify_all();
      }
    });
  }
  ~PipelinedEngine() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    worker_.join();
  }
  Status submit(std::vector<Tensor> inputs) override {
    std::lock_guard<std::mutex> lock(mu_);
    todo_.push_back(std::move(inputs));
    max_outstanding_ = std::max(max_outstanding_, ++outstanding_);
    cv_.notify_all();
    return Status::ok();
  }
  Result<std::vector<Tensor>> next() override {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return !done_.empty(); });
    auto r = std::move(done_.front());
    done_.pop_front();
    --outstanding_;
    return r;
  }
  int max_outstanding() {
    std::lock_guard<std::mutex> lock(mu_);
    return max_outstanding_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::vector<Tensor>> todo_;
  std::deque<Result<std::vector<Tensor>>> done_;
  int outstanding_ = 0, max_outstanding_ = 0;
  bool stop_ = false;
  std::thread worker_;
};

TEST(BatcherTest, ConsecutiveBatchesOverlapInTheEngine) {
  PipelinedEngine engine;
  {
    MicroBatcher b(engine, {.max_batch = 1, .max_delay_us = 0, .max_queue = 64, .batch_sizes = {}}, nullptr);
    std::vector<std::unique_ptr<Waiter>> w;
    for (int i = 0; i < 20; ++i) {
      w.push_back(std::make_unique<Waiter>());
      ASSERT_TRUE(b.enqueue({rows_from(static_cast<float>(i) * 8, 1)}, w.back()->completion()).is_ok());
    }
    for (int i = 0; i < 20; ++i) expect_outputs(w[static_cast<size_t>(i)]->future.get(), static_cast<float>(i) * 8, 1);
  }
  // 20 batches of 2 ms each, queued at once: the batcher submits the next before the last returns.
  EXPECT_GE(engine.max_outstanding(), 2);
}

// With max_in_flight batches in the engine, the batcher sends no more: requests gather meanwhile
// into fuller batches instead of queueing inside the engine as batches of one.
TEST(BatcherTest, RequestsGatherWhileTheEngineIsBusy) {
  PipelinedEngine engine;
  {
    MicroBatcher b(engine, {.max_batch = 8, .max_delay_us = 0, .max_queue = 64, .max_in_flight = 1, .batch_sizes = {}},
                   nullptr);
    std::vector<std::unique_ptr<Waiter>> w;
    for (int i = 0; i < 16; ++i) {
      w.push_back(std::make_unique<Waiter>());
      ASSERT_TRUE(b.enqueue({rows_from(static_cast<float>(i) * 8, 1)}, w.back()->completion()).is_ok());
    }
    for (int i = 0; i < 16; ++i) expect_outputs(w[static_cast<size_t>(i)]->future.get(), static_cast<float>(i) * 8, 1);
  }
  EXPECT_EQ(engine.max_outstanding(), 1);
  EXPECT_LT(engine.sizes().size(), 16u);  // 16 back-to-back requests, 2 ms a batch: they gathered
}

// Many threads, random row counts (some larger than a batch), distinct values per request: every
// request gets exactly its own rows back.
TEST(BatcherTest, ConcurrentRequestsNoneLostNoneMixed) {
  FakeEngine engine;
  MicroBatcher b(engine, {.max_batch = 8, .max_delay_us = 500, .max_queue = 10000, .batch_sizes = {1, 2, 4, 8}}, nullptr);
  constexpr int kThreads = 16, kPerThread = 100;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      std::mt19937 rng(static_cast<unsigned>(t));
      for (int i = 0; i < kPerThread; ++i) {
        const int64_t rows = 1 + static_cast<int64_t>(rng() % 11);
        const float base = static_cast<float>((t * kPerThread + i) * 64);
        Waiter w;
        ASSERT_TRUE(b.enqueue({rows_from(base, rows)}, w.completion()).is_ok());
        expect_outputs(w.future.get(), base, rows);
        ++ok;
      }
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), kThreads * kPerThread);
  int64_t rows = 0;
  for (int64_t s : engine.sizes()) {
    EXPECT_TRUE(s == 1 || s == 2 || s == 4 || s == 8) << s;
    rows += s;
  }
  EXPECT_GE(rows, kThreads * kPerThread);
}

}  // namespace
}  // namespace tandem::serve
