// UnitWorker: one thread per unit; runs slices of stages on the unit's backend.
#include <pthread.h>
#include <sched.h>

#include <algorithm>

#include "runtime/runtime_impl.h"

namespace tandem::runtime::detail {
namespace {

// rows [first_row, first_row + rows) of `full`, shaped like the segment's tensor `name`.
Result<TensorView> slice_view(const Tensor& full, int64_t batch_rows, int64_t first_row, int64_t rows,
                              const ir::Graph& segment, const std::string& name) {
  const ir::ValueInfo* vi = segment.info(name);
  if (!vi || !vi->fully_known()) return internal_error("segment tensor '" + name + "' has no known shape");
  const size_t row_bytes = full.nbytes() / static_cast<size_t>(batch_rows);
  TensorView v{static_cast<std::byte*>(const_cast<void*>(full.data())) + row_bytes * static_cast<size_t>(first_row),
               vi->shape, vi->dtype};
  if (v.nbytes() != row_bytes * static_cast<size_t>(rows) || vi->dtype != full.dtype())
    return invalid_argument("tensor '" + name + "' " + shape_to_string(full.shape()) +
                            " does not split along dim 0 into slices of " + std::to_string(rows) +
                            " rows (the slice graph has " + shape_to_string(vi->shape) +
                            "); give its stage to one unit");
  return v;
}

// The cores for a unit that names none (a GPU's worker, which feeds the device): those of this
// process that no unit of `p` with a share of the work claims, so the worker is not preempted by a
// CPU unit's compute threads. Empty (no pinning) when no such unit claims cores, or when they
// claim them all. A plan that leaves the CPU out pins nothing: its engine then runs exactly like
// the GPU alone.
std::vector<int> unclaimed_cores(const std::vector<plan::Unit>& units, const plan::Plan& p) {
  std::vector<const plan::Unit*> taking_part;
  for (const plan::Stage& st : p.stages())
    for (const plan::StageUnit& su : st.units) {
      auto idx = plan::find_unit(units, su.unit);
      if (idx.is_ok() && su.share > 0) taking_part.push_back(&units[*idx]);
    }
  return plan::unclaimed_cores(taking_part);
}

// Whether some output of `segment` has a data-dependent shape (open dims).
bool dynamic_outputs(const ir::Graph& segment) {
  for (const std::string& name : segment.outputs)
    if (const ir::ValueInfo* vi = segment.info(name); !vi || !vi->fully_known()) return true;
  return false;
}

}  // namespace

UnitWorker::UnitWorker(RuntimeImpl& rt, size_t unit) : rt_(rt), unit_(unit) {
  thread_ = std::thread([this] { loop(); });
}

UnitWorker::~UnitWorker() {
  stop();
  if (thread_.joinable()) thread_.join();
}

void UnitWorker::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
}

void UnitWorker::push(const SliceTask& task) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.push_back(task);
  }
  pushed_.fetch_add(1, std::memory_order_release);
  cv_.notify_one();
}

void UnitWorker::loop() {
  const plan::Unit& unit = rt_.unit(unit_);
  depth_ = std::max(1, unit.backend->max_runs_in_flight());
  if (unit.options().cpus.empty()) (void)plan::pin_this_thread(unclaimed_cores(rt_.units(), rt_.plan()));  // best effort
  Status bound = unit.bind_this_thread();
  bool bind_failed = !bound.is_ok();
  for (;;) {
    SliceTask task;
    bool have_task = false;
    {
      std::unique_lock<std::mutex> lock(mu_);
      if (in_flight_.empty() && queue_.empty() && !stop_ && depth_ > 1) {
        // A GPU unit's worker polls a moment before sleeping (a CPU unit's would steal a core
        // from its own compute threads).
        const uint64_t seen = pushed_.load(std::memory_order_acquire);
        lock.unlock();
        poll_briefly(pushed_, seen, std::chrono::microseconds(200));
        lock.lock();
      }
      if (in_flight_.empty()) cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
      if (!queue_.empty() && in_flight_.size() < size_t(depth_)) {
        // Later stages first (drains the pipeline, frees buffers), then older batches.
        auto best = std::min_element(queue_.begin(), queue_.end(), [](const SliceTask& a, const SliceTask& b) {
          if (a.stage != b.stage) return a.stage > b.stage;
          return a.batch->seq < b.batch->seq;
        });
        task = *best;
        queue_.erase(best);
        have_task = true;
      } else if (in_flight_.empty()) {
        return;  // stopping, nothing left
      }
    }
    if (!have_task) {  // nothing new to start (or no room): complete the oldest chunk
      finish_oldest();
      continue;
    }
    if (bind_failed) {
      rt_.unit_failed(unit_, task, bound.with_context("binding the worker thread"));
      continue;
    }
    process(task);
  }
}

void UnitWorker::process(const SliceTask& task) {
  if (rt_.is_failed(unit_)) {  // the unit died with slices still queued: they go elsewhere
    rt_.unit_failed(unit_, task, unavailable("the unit had failed before this slice ran"));
    return;
  }
  // A slice larger than the unit's row limit runs as consecutive chunks of (nearly) equal size:
  // 1059 rows at a limit of 1024 run as 530 + 529, not 1024 + a slow, separately compiled 35
  // (each chunk size is compiled once and cached like any slice size).
  const plan::Unit& unit = rt_.unit(unit_);
  const int64_t limit = unit.options().max_batch > 0 ? unit.options().max_batch : unit.backend->max_batch();
  auto seg = rt_.segment(task.stage, task.rows);
  // Outputs of data-dependent shape come whole from one run (their rows are not per image).
  const bool whole = seg && dynamic_outputs(**seg);
  const int64_t pieces = limit > 0 && !whole ? (task.rows + limit - 1) / limit : 1;
  const int64_t chunk = std::max<int64_t>(1, (task.rows + pieces - 1) / pieces);
  auto slice = std::make_shared<SliceState>();
  slice->task = task;
  for (int64_t first = 0; first < task.rows; first += chunk) {
    while (in_flight_.size() >= size_t(depth_)) finish_oldest();
    if (slice->failed) return;  // an earlier chunk failed; the slice has been reported
    SliceTask part = task;
    part.first_row = task.first_row + first;
    part.rows = std::min(chunk, task.rows - first);
    bool unit_fault = false;
    Status st = start_chunk(part, slice, unit_fault);
    if (!st.is_ok()) {
      while (!in_flight_.empty()) finish_oldest();  // report what was started before, in order
      fail_slice(*slice, st, unit_fault);
      return;
    }
  }
  slice->all_started = true;
  if (slice->outstanding == 0 && !slice->failed) rt_.slice_done(task, Status::ok());  // (zero rows)
}

void UnitWorker::fail_slice(SliceState& slice, const Status& why, bool unit_fault) {
  if (slice.failed) return;
  slice.failed = true;
  if (unit_fault) rt_.unit_failed(unit_, slice.task, why);
  else rt_.slice_done(slice.task, why);
}

Result<Executable*> UnitWorker::executable(const SliceTask& task, bool& unit_fault) {
  auto key = std::make_pair(task.stage, task.rows);
  auto it = executables_.find(key);
  if (it != executables_.end()) return it->second.get();
  auto seg = rt_.segment(task.stage, task.rows);
  if (!seg) return seg.status();
  const plan::Unit& unit = rt_.unit(unit_);
  auto exe = unit.backend->compile(**seg, unit.options());
  if (!exe) {
    unit_fault = true;
    return exe.status().with_context("unit '" + unit.name() + "' compiling " + (*seg)->name);
  }
  Executable* p = exe->get();
  executables_[key] = std::move(*exe);
  return p;
}

Status UnitWorker::start_chunk(const SliceTask& part, const std::shared_ptr<SliceState>& slice, bool& unit_fault) {
  TANDEM_ASSIGN_OR_RETURN(Executable * exe, executable(part, unit_fault));
  TANDEM_ASSIGN_OR_RETURN(auto seg, rt_.segment(part.stage, part.rows));  // cached after executable()
  const ir::Graph& segment = *seg;
  Batch& b = *part.batch;
  std::vector<TensorView> ins, outs;
  for (size_t i = 0; i < segment.inputs.size(); ++i) {
    TANDEM_ASSIGN_OR_RETURN(auto v, slice_view(b.inputs[i], b.rows, part.first_row, part.rows, segment, segment.inputs[i]));
    ins.push_back(v);
  }
  const bool dynamic = dynamic_outputs(segment);
  if (dynamic && (part.first_row != 0 || part.rows != b.rows))
    return internal_error("a stage with data-dependent output shapes must run as one slice of the whole batch");
  for (size_t i = 0; i < segment.outputs.size() && !dynamic; ++i) {
    TANDEM_ASSIGN_OR_RETURN(auto v, slice_view(b.outputs[i], b.rows, part.first_row, part.rows, segment, segment.outputs[i]));
    outs.push_back(v);
  }
  const plan::Unit& unit = rt_.unit(unit_);
  const int fail_after = rt_.fail_after(unit_);
  if (fail_after >= 0 && runs_ >= fail_after) {
    unit_fault = true;
    return unavailable("unit '" + unit.name() + "' failed (injected after " + std::to_string(fail_after) + " runs)");
  }
  InFlight f{slice, exe, part.rows, segment.name, Clock::now()};
  Status st;
  if (dynamic) {  // the one slice of the stage: it alone writes the batch's outputs
    auto got = exe->run_dynamic(ins);
    if (got && got->size() != b.outputs.size()) got = internal_error("run_dynamic gave the wrong number of outputs");
    if (got) b.outputs = std::move(*got);
    st = got.status();
  } else {
    st = exe->run_async(ins, outs);
  }
  if (!st.is_ok()) {
    unit_fault = true;
    return st.with_context("unit '" + unit.name() + "' running " + segment.name);
  }
  ++runs_;
  ++slice->outstanding;
  in_flight_.push_back(std::move(f));
  return Status::ok();
}

void UnitWorker::finish_oldest() {
  InFlight f = std::move(in_flight_.front());
  in_flight_.pop_front();
  Status st = f.exe->wait();
  // Busy time without double counting overlapped runs: from this run's start or the previous
  // completion, whichever is later, to this completion.
  const Clock::time_point now = Clock::now();
  const double busy = std::chrono::duration<double>(now - std::max(f.start, last_finish_)).count();
  last_finish_ = now;
  SliceState& slice = *f.slice;
  --slice.outstanding;
  if (!st.is_ok()) {
    fail_slice(slice, st.with_context("unit '" + rt_.unit(unit_).name() + "' running " + f.segment), true);
    return;
  }
  rt_.record_run(unit_, slice.task.stage, f.rows, busy);
  if (slice.all_started && slice.outstanding == 0 && !slice.failed) rt_.slice_done(slice.task, Status::ok());
}

}  // namespace tandem::runtime::detail
