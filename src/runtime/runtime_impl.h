// Internals of the Runtime (runtime.h): batches in flight, slice tasks, unit workers.
// Lock order: RuntimeImpl::mu_ -> UnitWorker queue mutex; Batch::mu is taken alone.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "runtime/buffer_pool.h"
#include "runtime/tensor_pool.h"
#include "runtime/runtime.h"

namespace tandem::runtime::detail {

using Clock = std::chrono::steady_clock;

// Polls `counter` until it moves past `seen` or `limit` passes: a batch-1 run takes a few
// hundred microseconds, and a futex wake-up costs tens of them on each hand-over.
inline void poll_briefly(const std::atomic<uint64_t>& counter, uint64_t seen, std::chrono::microseconds limit) {
  const auto until = Clock::now() + limit;
  while (counter.load(std::memory_order_acquire) == seen && Clock::now() < until) {
#if defined(__x86_64__)
    __builtin_ia32_pause();
#endif
  }
}

// The model at one batch size, with the plan bound to it; segments extracted on first use.
struct BatchGraph {
  std::shared_ptr<const ir::Graph> graph;
  plan::BoundPlan bound;
  std::vector<std::shared_ptr<const ir::Graph>> segments;  // per stage; guarded by graphs_mu_
};

// One submitted batch. `stage`, `inputs`, `outputs` and the buffers are written only by the
// thread that starts a stage (before it queues that stage's slices) and read by the slices.
struct Batch {
  uint64_t seq = 0;
  int64_t rows = 0;
  std::shared_ptr<BatchGraph> bg;  // the model at this batch's size
  int stage = 0;
  std::vector<Tensor> inputs;   // the current stage's inputs, whole batch
  std::vector<Tensor> outputs;  // the current stage's outputs, whole batch
  // Pool buffers behind `inputs` (none for stage 0) and `outputs` (none for the last stage).
  std::vector<std::pair<BufferPool*, void*>> input_buffers;
  std::vector<std::pair<BufferPool*, void*>> output_buffers;
  // Non-empty while `inputs` or `outputs` are in device memory: the backend (name) whose units
  // alone may run this batch's current stage (re-routing included).
  std::string device_backend_in, device_backend_out;
  std::mutex mu;                // guards pending, error
  int pending = 0;              // slices of the current stage not yet finished
  Status error;
  bool done = false;            // guarded by RuntimeImpl::mu_
};

struct SliceTask {
  Batch* batch = nullptr;
  int stage = 0;
  int64_t first_row = 0;
  int64_t rows = 0;
};

class RuntimeImpl;

// One thread per unit, running slices from a queue that prefers later stages, then older batches.
// A slice larger than the unit's row limit runs as consecutive chunks. Up to the backend's
// max_runs_in_flight() chunks are outstanding at once (run_async, completed in order by wait()),
// so a GPU unit uploads the next chunk while it computes the current one.
class UnitWorker {
 public:
  UnitWorker(RuntimeImpl& rt, size_t unit);
  ~UnitWorker();  // stops and joins; the queue must be empty
  UnitWorker(const UnitWorker&) = delete;
  UnitWorker& operator=(const UnitWorker&) = delete;

  void push(const SliceTask& task);
  void stop();

 private:
  // A slice being run: its chunks outstanding, and whether it has been reported failed.
  struct SliceState {
    SliceTask task;
    int outstanding = 0;
    bool all_started = false;
    bool failed = false;
  };
  // One started chunk.
  struct InFlight {
    std::shared_ptr<SliceState> slice;
    Executable* exe = nullptr;
    int64_t rows = 0;
    std::string segment;
    Clock::time_point start;
  };

  void loop();
  void process(const SliceTask& task);
  // Compiles (once) the stage's segment for `rows` rows. Sets `unit_fault` when the unit, not the
  // plan or graph, is to blame.
  Result<Executable*> executable(const SliceTask& task, bool& unit_fault);
  // Compiles (cached) and starts one chunk of a slice.
  Status start_chunk(const SliceTask& part, const std::shared_ptr<SliceState>& slice, bool& unit_fault);
  // Completes the oldest started chunk; reports its slice when that was its last chunk.
  void finish_oldest();
  void fail_slice(SliceState& slice, const Status& why, bool unit_fault);

  RuntimeImpl& rt_;
  const size_t unit_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<SliceTask> queue_;
  bool stop_ = false;
  std::atomic<uint64_t> pushed_{0};  // tasks ever pushed: polled before sleeping (GPU units)
  // Worker thread only:
  int depth_ = 1;
  std::deque<InFlight> in_flight_;
  Clock::time_point last_finish_{};
  std::map<std::pair<int, int64_t>, std::unique_ptr<Executable>> executables_;
  int64_t runs_ = 0;
  std::thread thread_;
};

class RuntimeImpl final : public Runtime {
 public:
  RuntimeImpl(std::vector<plan::Unit> units, plan::Plan plan, plan::GraphForBatch graphs, RuntimeOptions options);
  ~RuntimeImpl() override;
  void start_workers();

  Status submit(std::vector<Tensor> inputs) override;
  Result<std::vector<Tensor>> next() override;
  Result<std::vector<Tensor>> run(std::vector<Tensor> inputs) override;
  Result<std::vector<std::vector<Tensor>>> run_all(const std::vector<std::vector<Tensor>>& batches) override;
  RunReport report() const override;
  void reset_report() override;
  const plan::Plan& plan() const override { return plan_; }
  const std::vector<plan::Unit>& units() const override { return units_; }

  // --- for UnitWorker ---
  const plan::Unit& unit(size_t u) const { return units_[u]; }
  // The segment of `stage` specialised for `rows` rows.
  Result<std::shared_ptr<const ir::Graph>> segment(int stage, int64_t rows);
  // Called once per slice; the last slice of a stage starts the next one or finishes the batch.
  void slice_done(const SliceTask& task, const Status& status);
  // Marks the unit failed (once) and re-runs the slice elsewhere, or fails the slice.
  void unit_failed(size_t unit, const SliceTask& task, const Status& why);
  bool is_failed(size_t unit);
  int fail_after(size_t unit) const;  // -1: no injected failure
  void record_run(size_t unit, int stage, int64_t rows, double busy_s);

 private:
  Result<std::shared_ptr<BatchGraph>> batch_graph(int64_t rows);
  Status check_inputs(const std::vector<Tensor>& inputs, const BatchGraph& bg) const;
  void start_stage(Batch& b, int stage);
  void finish_batch(Batch& b);
  // Live units for `stage` of `b` with their rows; empty when none can run it.
  std::vector<std::pair<size_t, int64_t>> assign(const Batch& b, int stage);
  // A live unit other than `exclude` that can run the stage; units of the stage first.
  int pick_rerun_unit(const Batch& b, int stage, size_t exclude);
  bool can_run(size_t unit, const Batch& b, int stage) const;
  // The one unit that reads stage `stage`'s outputs when they should stay in its device memory
  // (every live unit of `stage` and of the next is of that unit's backend, which offers device
  // memory); -1 for host staging.
  int gather_unit(const Batch& b, int stage) const;
  void release_buffers(std::vector<std::pair<BufferPool*, void*>>& buffers);

  std::vector<plan::Unit> units_;
  const plan::Plan plan_;
  plan::GraphForBatch graphs_;
  const RuntimeOptions options_;
  std::vector<int> fail_after_;  // per unit, from options_.fail_unit_after; -1: none
  BufferPool pool_;
  std::vector<std::unique_ptr<BufferPool>> device_pools_;  // per unit: its device memory
  std::shared_ptr<TensorPool> output_pool_;                // the last stage's outputs
  std::vector<std::unique_ptr<UnitWorker>> workers_;

  std::mutex graphs_mu_;
  std::map<int64_t, std::shared_ptr<BatchGraph>> batch_graphs_;

  mutable std::mutex mu_;
  std::condition_variable done_cv_;   // a batch finished
  std::atomic<uint64_t> finished_{0};  // batches finished: next() polls it briefly before sleeping
  // Whether next() polls at all: only with a unit that keeps several runs in flight (a GPU, whose
  // hand-overs at batch 1 take microseconds). A thread polling beside CPU units takes a core from
  // their compute (and, in a server, from the threads that read requests).
  bool poll_next_ = false;
  std::condition_variable space_cv_;  // next() took a batch
  std::deque<std::unique_ptr<Batch>> batches_;  // submitted, not yet taken; submit order
  uint64_t next_seq_ = 0;
  std::vector<std::string> failed_;   // per unit: why it failed ("" = live)
  // Report window.
  RunReport stats_;
  bool window_started_ = false;
  Clock::time_point window_start_, window_end_;
};

}  // namespace tandem::runtime::detail
