#include "plan/segment_timer.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <thread>

#include "plan/measured_choice.h"

namespace tandem::plan {
namespace {

using Clock = std::chrono::steady_clock;

// A segment compiled on a unit with zero-filled inputs and outputs; built and run on one thread.
class SegmentRun {
 public:
  Status prepare(const Unit& unit, const ir::Graph& segment) {
    (void)pin_this_thread(unit.options().cpus);  // best effort: timing only
    TANDEM_RETURN_IF_ERROR(unit.backend->bind_thread(unit.options()));
    TANDEM_ASSIGN_OR_RETURN(exe_, unit.backend->compile(segment, unit.options()));
    TANDEM_RETURN_IF_ERROR(zeros(segment, segment.inputs, ins_));
    TANDEM_RETURN_IF_ERROR(zeros(segment, segment.outputs, outs_));
    return exe_->run(ins_, outs_);  // warm-up
  }
  // Seconds of one run.
  Result<double> run() {
    auto t0 = Clock::now();
    TANDEM_RETURN_IF_ERROR(exe_->run(ins_, outs_));
    return std::chrono::duration<double>(Clock::now() - t0).count();
  }

 private:
  Status zeros(const ir::Graph& g, const std::vector<std::string>& names, std::vector<TensorView>& views) {
    for (const std::string& name : names) {
      const ir::ValueInfo* vi = g.info(name);
      if (!vi || !vi->fully_known()) return internal_error("profiling: tensor '" + name + "' has no known shape");
      tensors_.push_back(std::make_unique<Tensor>(Tensor::zeros(vi->shape, vi->dtype)));
      views.push_back(tensors_.back()->view());
    }
    return Status::ok();
  }
  std::unique_ptr<Executable> exe_;
  std::vector<std::unique_ptr<Tensor>> tensors_;
  std::vector<TensorView> ins_, outs_;
};

}  // namespace

Result<double> time_segment(const Unit& unit, const ir::Graph& segment, int runs) {
  Result<double> r = 0.0;
  std::thread t([&] {
    SegmentRun s;
    if (Status st = s.prepare(unit, segment); !st.is_ok()) {
      r = st;
      return;
    }
    std::vector<double> times;
    for (int i = 0; i < std::max(runs, 1); ++i) {
      auto one = s.run();
      if (!one) {
        r = one.status();
        return;
      }
      times.push_back(*one);
    }
    r = median(times);
  });
  t.join();
  return r;
}

Result<std::vector<double>> time_segments_together(const std::vector<Unit>& units,
                                                   const std::vector<const ir::Graph*>& segments, int runs) {
  const size_t n = units.size();
  if (n == 0 || segments.size() != n) return invalid_argument("time_segments_together: one segment per unit");
  std::vector<Status> status(n);
  std::vector<std::vector<double>> times(n);
  std::atomic<size_t> ready{0}, done{0};
  std::atomic<bool> failed{false};
  std::vector<std::thread> threads;
  for (size_t i = 0; i < n; ++i)
    threads.emplace_back([&, i] {
      SegmentRun s;
      status[i] = s.prepare(units[i], *segments[i]);
      if (!status[i].is_ok()) failed = true;
      ready.fetch_add(1);
      while (ready.load() < n) std::this_thread::yield();
      bool counted = false;
      while (!failed.load() && done.load() < n) {
        auto one = s.run();
        if (!one) {
          status[i] = one.status();
          failed = true;
          break;
        }
        times[i].push_back(*one);
        if (!counted && static_cast<int>(times[i].size()) >= std::max(runs, 1)) {
          counted = true;
          done.fetch_add(1);
        }
      }
    });
  for (auto& t : threads) t.join();
  std::vector<double> out;
  for (size_t i = 0; i < n; ++i) {
    if (!status[i].is_ok()) return status[i].with_context("unit '" + units[i].name() + "' running beside the others");
    out.push_back(median(times[i]));
  }
  return out;
}

}  // namespace tandem::plan
