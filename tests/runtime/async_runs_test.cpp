// Units whose runs overlap (Backend::max_runs_in_flight() = 2, like a GPU that uploads the next
// chunk while computing the current one): the worker keeps two runs outstanding, completes them
// in order, and a run that fails in wait() re-routes its slice. The fake executable really runs
// asynchronously (a thread per run), so a worker that reused buffers too early or completed runs
// out of order would produce wrong outputs.
#include <gtest/gtest.h>

#include <atomic>
#include <deque>
#include <future>

#include "backends/reference/reference_backend.h"
#include "plans/plan_test_util.h"
#include "runtime/runtime.h"

namespace tandem::runtime {
namespace {

struct Counters {
  std::atomic<int> outstanding{0};
  std::atomic<int> max_outstanding{0};
  std::atomic<int> waits{0};
  int fail_wait_number = -1;  // this wait() (0-based, over all executables) fails
};

class AsyncExecutable final : public Executable {
 public:
  AsyncExecutable(std::unique_ptr<Executable> inner, Counters& c) : inner_(std::move(inner)), c_(c) {}
  ~AsyncExecutable() override {
    for (auto& f : runs_) f.wait();
  }
  Status run(std::span<const TensorView> in, std::span<const TensorView> out) override {
    TANDEM_RETURN_IF_ERROR(run_async(in, out));
    return wait();
  }
  Status run_async(std::span<const TensorView> in, std::span<const TensorView> out) override {
    const int now = ++c_.outstanding;
    int seen = c_.max_outstanding.load();
    while (now > seen && !c_.max_outstanding.compare_exchange_weak(seen, now)) {
    }
    std::vector<TensorView> ins(in.begin(), in.end()), outs(out.begin(), out.end());
    runs_.push_back(std::async(std::launch::async, [this, ins, outs] {
      std::lock_guard<std::mutex> lock(mu_);  // the inner executable is not thread-safe
      return inner_->run(ins, outs);
    }));
    return Status::ok();
  }
  Status wait() override {
    if (runs_.empty()) return Status::ok();
    Status st = runs_.front().get();
    runs_.pop_front();
    --c_.outstanding;
    if (c_.waits++ == c_.fail_wait_number) return unavailable("injected failure in wait()");
    return st;
  }

 private:
  std::unique_ptr<Executable> inner_;
  Counters& c_;
  std::mutex mu_;
  std::deque<std::future<Status>> runs_;
};

class AsyncBackend final : public Backend {
 public:
  explicit AsyncBackend(Counters& c) : inner_(std::move(make_reference_backend().value())), c_(c) {}
  std::string_view name() const override { return "reference"; }
  Status supports(const ir::Graph& g, const ir::Node& n) const override { return inner_->supports(g, n); }
  Result<std::unique_ptr<Executable>> compile(const ir::Graph& segment, const UnitOptions& o) const override {
    TANDEM_ASSIGN_OR_RETURN(auto exe, inner_->compile(segment, o));
    return std::unique_ptr<Executable>(new AsyncExecutable(std::move(exe), c_));
  }
  int max_runs_in_flight() const override { return 2; }

 private:
  std::unique_ptr<Backend> inner_;
  Counters& c_;
};

struct Fixture {
  Counters counters;
  std::shared_ptr<AsyncBackend> backend = std::make_shared<AsyncBackend>(counters);
  plan::GraphForBatch graphs = plan_test::graphs_for(plan_test::small_cnn(), {1, 3, 8, 8});
  std::vector<std::vector<Tensor>> inputs;

  explicit Fixture(int n) {
    for (int i = 0; i < n; ++i)
      inputs.push_back({plan_test::random_tensor({3 + i % 5, 3, 8, 8}, 70 + static_cast<uint32_t>(i), -2, 2)});
  }
  std::vector<plan::Unit> units(const std::string& spec) {
    auto specs = plan::parse_unit_spec(spec);
    EXPECT_TRUE(specs.is_ok()) << specs.status().to_string();
    std::vector<plan::Unit> u;
    for (auto& s : *specs) u.push_back(plan::Unit{s, backend});
    return u;
  }
  void expect_correct(const std::vector<std::vector<Tensor>>& outs) {
    auto ref_unit = plan_test::units("reference")[0];
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

TEST(AsyncRuns, ChunksOfOneSliceOverlapAndStayCorrect) {
  Fixture f(10);
  auto units = f.units("reference/max_batch=2");
  auto rt = Runtime::create(units, plan::Plan::single_unit(units[0].name()), f.graphs, RuntimeOptions{.max_in_flight = 3});
  ASSERT_TRUE(rt.is_ok()) << rt.status().to_string();
  auto outs = (*rt)->run_all(f.inputs);
  ASSERT_TRUE(outs.is_ok()) << outs.status().to_string();
  f.expect_correct(*outs);
  EXPECT_EQ(f.counters.max_outstanding.load(), 2) << "the worker never had two runs outstanding (or more than two)";
  EXPECT_EQ(f.counters.outstanding.load(), 0);
}

TEST(AsyncRuns, TwoStagesTwoUnitsStayCorrect) {
  Fixture f(16);
  auto units = f.units("reference:0, reference:1/max_batch=1");
  auto p = plan::parse_plan("front@flat: reference:0=0.4, reference:1=0.6 | tail: reference:1");
  ASSERT_TRUE(p.is_ok()) << p.status().to_string();
  auto rt = Runtime::create(units, *p, f.graphs, RuntimeOptions{.max_in_flight = 4});
  ASSERT_TRUE(rt.is_ok()) << rt.status().to_string();
  auto outs = (*rt)->run_all(f.inputs);
  ASSERT_TRUE(outs.is_ok()) << outs.status().to_string();
  f.expect_correct(*outs);
  EXPECT_LE(f.counters.max_outstanding.load(), 4);  // two per unit at most
}

TEST(AsyncRuns, FailureInWaitReRoutesTheSlice) {
  Fixture f(12);
  f.counters.fail_wait_number = 5;
  auto units = f.units("reference:0/max_batch=2, reference:1/max_batch=2");
  auto p = plan::parse_plan("all: reference:0=0.5, reference:1=0.5");
  ASSERT_TRUE(p.is_ok()) << p.status().to_string();
  auto rt = Runtime::create(units, *p, f.graphs, RuntimeOptions{.max_in_flight = 4});
  ASSERT_TRUE(rt.is_ok()) << rt.status().to_string();
  auto outs = (*rt)->run_all(f.inputs);
  ASSERT_TRUE(outs.is_ok()) << outs.status().to_string();
  f.expect_correct(*outs);
  RunReport r = (*rt)->report();
  int failed = 0;
  for (const auto& u : r.units) failed += u.failed ? 1 : 0;
  EXPECT_EQ(failed, 1) << "the unit whose wait() failed is reported failed";
}

}  // namespace
}  // namespace tandem::runtime
