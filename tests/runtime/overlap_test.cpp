// Consecutive batches overlap: stage 2 of batch i runs while stage 1 of batch i+1 does. Proven
// without timing: stage 2's first run waits until stage 1 has started on the next batch — a
// runtime that ran batches one after another would never get there (the wait gives up after 20 s).
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>

#include "backends/reference/reference_backend.h"
#include "plans/plan_test_util.h"
#include "runtime/runtime.h"

namespace tandem::runtime {
namespace {

struct Probe {
  std::mutex mu;
  std::condition_variable cv;
  int front_runs = 0;
  bool saw_overlap = false;
  bool first_tail_done = false;
};

class ProbeExecutable final : public Executable {
 public:
  ProbeExecutable(std::unique_ptr<Executable> inner, bool is_front, Probe& probe)
      : inner_(std::move(inner)), is_front_(is_front), probe_(probe) {}
  Status run(std::span<const TensorView> in, std::span<const TensorView> out) override {
    std::unique_lock<std::mutex> lock(probe_.mu);
    if (is_front_) {
      ++probe_.front_runs;
      probe_.cv.notify_all();
    } else if (!probe_.first_tail_done) {
      probe_.saw_overlap = probe_.cv.wait_for(lock, std::chrono::seconds(20), [&] { return probe_.front_runs >= 2; });
      probe_.first_tail_done = true;
    }
    lock.unlock();
    return inner_->run(in, out);
  }

 private:
  std::unique_ptr<Executable> inner_;
  bool is_front_;
  Probe& probe_;
};

class ProbeBackend final : public Backend {
 public:
  explicit ProbeBackend(Probe& probe) : inner_(std::move(make_reference_backend().value())), probe_(probe) {}
  std::string_view name() const override { return "reference"; }
  Status supports(const ir::Graph& g, const ir::Node& n) const override { return inner_->supports(g, n); }
  Result<std::unique_ptr<Executable>> compile(const ir::Graph& segment, const UnitOptions& o) const override {
    TANDEM_ASSIGN_OR_RETURN(auto exe, inner_->compile(segment, o));
    const bool is_front = segment.name.find("[0:") != std::string::npos;
    return std::unique_ptr<Executable>(new ProbeExecutable(std::move(exe), is_front, probe_));
  }

 private:
  std::unique_ptr<Backend> inner_;
  Probe& probe_;
};

TEST(Pipelining, ConsecutiveBatchesOverlapAcrossStages) {
  Probe probe;
  auto backend = std::make_shared<ProbeBackend>(probe);
  auto specs = plan::parse_unit_spec("reference:0, reference:1");
  ASSERT_TRUE(specs.is_ok());
  std::vector<plan::Unit> units;
  for (auto& s : *specs) units.push_back(plan::Unit{s, backend});
  auto graphs = plan_test::graphs_for(plan_test::tiny_mlp(), {1, 16});
  auto p = plan::parse_plan("front@a0: reference:0 | tail: reference:1");
  auto rt = Runtime::create(units, *p, graphs, RuntimeOptions{.max_in_flight = 2});
  ASSERT_TRUE(rt.is_ok());
  std::vector<std::vector<Tensor>> inputs;
  for (int i = 0; i < 4; ++i) inputs.push_back({plan_test::random_tensor({2, 16}, static_cast<uint32_t>(i))});
  auto outs = (*rt)->run_all(inputs);
  ASSERT_TRUE(outs.is_ok()) << outs.status().to_string();
  EXPECT_TRUE(probe.saw_overlap) << "stage 'tail' of batch 0 never overlapped stage 'front' of batch 1";
  auto ref_units = plan_test::units("reference");
  for (size_t i = 0; i < inputs.size(); ++i) {
    auto ref = plan_test::run_whole(ref_units[0], *plan_test::at_batch(graphs, 2), inputs[i]);
    ASSERT_TRUE(ref.is_ok());
    EXPECT_LE(plan_test::max_scaled_diff((*outs)[i][0], (*ref)[0]), 1e-5);
  }
}

}  // namespace
}  // namespace tandem::runtime
