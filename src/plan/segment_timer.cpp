#include "plan/segment_timer.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <memory>
#include <thread>

#include "plan/measured_choice.h"

namespace tandem::plan {
namespace {

using Clock = std::chrono::steady_clock;

// A segment compiled on a unit with zero-filled inputs and outputs; built and run on one thread.
class SegmentRun {
 public:
  // `sets`: input/output buffer sets, one per run that may be in flight (see pipelined()).
  // `elsewhere`: the cores an unpinned unit's thread is kept on (unclaimed_cores(), as the
  // runtime keeps its worker), so that a GPU's thread does not slow a CPU unit timed beside it.
  Status prepare(const Unit& unit, const ir::Graph& segment, int sets = 1, const std::vector<int>& elsewhere = {}) {
    (void)pin_this_thread(unit.options().cpus.empty() ? elsewhere : unit.options().cpus);  // best effort: timing only
    TANDEM_RETURN_IF_ERROR(unit.backend->bind_thread(unit.options()));
    TANDEM_ASSIGN_OR_RETURN(exe_, unit.backend->compile(segment, unit.options()));
    ins_.resize(static_cast<size_t>(std::max(sets, 1)));
    outs_.resize(ins_.size());
    for (size_t k = 0; k < ins_.size(); ++k) {
      TANDEM_RETURN_IF_ERROR(zeros(unit, segment, segment.inputs, ins_[k]));
      TANDEM_RETURN_IF_ERROR(zeros(unit, segment, segment.outputs, outs_[k]));
    }
    return exe_->run(ins_[0], outs_[0]);  // warm-up
  }
  // Seconds of one run.
  Result<double> run() {
    auto t0 = Clock::now();
    TANDEM_RETURN_IF_ERROR(exe_->run(ins_[0], outs_[0]));
    return std::chrono::duration<double>(Clock::now() - t0).count();
  }
  // Seconds per run of `n` runs started back to back with up to one per buffer set in flight, as
  // the runtime's worker runs consecutive batches: a GPU unit's uploads and downloads then
  // overlap the previous run's compute.
  Result<double> pipelined(int n) {
    const size_t sets = ins_.size();
    size_t in_flight = 0;
    auto t0 = Clock::now();
    for (int i = 0; i < n; ++i) {
      if (in_flight == sets) {
        TANDEM_RETURN_IF_ERROR(exe_->wait());
        --in_flight;
      }
      const size_t k = static_cast<size_t>(i) % sets;
      TANDEM_RETURN_IF_ERROR(exe_->run_async(ins_[k], outs_[k]));
      ++in_flight;
    }
    for (; in_flight > 0; --in_flight) TANDEM_RETURN_IF_ERROR(exe_->wait());
    return std::chrono::duration<double>(Clock::now() - t0).count() / std::max(n, 1);
  }

 private:
  // Zeroed buffers in the unit's fastest host memory (plan::host_tensor: page-locked for a GPU,
  // as `tandem run`'s Engine::make_tensor), else ordinary memory.
  Status zeros(const Unit& unit, const ir::Graph& g, const std::vector<std::string>& names,
               std::vector<TensorView>& views) {
    for (const std::string& name : names) {
      const ir::ValueInfo* vi = g.info(name);
      if (!vi || !vi->fully_known()) return internal_error("profiling: tensor '" + name + "' has no known shape");
      tensors_.push_back(std::make_unique<Tensor>(host_tensor(std::span(&unit, 1), vi->shape, vi->dtype)));
      std::memset(tensors_.back()->data(), 0, tensors_.back()->nbytes());
      views.push_back(tensors_.back()->view());
    }
    return Status::ok();
  }
  std::unique_ptr<Executable> exe_;
  std::vector<std::unique_ptr<Tensor>> tensors_;
  std::vector<std::vector<TensorView>> ins_, outs_;
};

}  // namespace

Result<double> time_segment(const Unit& unit, const ir::Graph& segment, int runs) {
  Result<double> r = 0.0;
  std::thread t([&] {
    SegmentRun s;
    const int sets = std::clamp(unit.backend->max_runs_in_flight(), 1, 4);
    if (Status st = s.prepare(unit, segment, sets); !st.is_ok()) {
      r = st;
      return;
    }
    std::vector<double> times;
    for (int i = 0; i < std::max(runs, 1); ++i) {
      // One run at a time where runs cannot overlap; else rounds of back-to-back runs (the
      // first fills the pipeline), each giving its time per run.
      auto one = sets == 1 ? s.run() : s.pipelined(4 * sets);
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
  std::vector<const Unit*> all;
  for (const Unit& u : units) all.push_back(&u);
  const std::vector<int> elsewhere = unclaimed_cores(all);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < n; ++i)
    threads.emplace_back([&, i] {
      SegmentRun s;
      status[i] = s.prepare(units[i], *segments[i], 1, elsewhere);
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
