// RuntimeImpl: moving a batch through its stages (scatter, completion, re-routing) and the report.
#include <algorithm>

#include "runtime/runtime_impl.h"
#include "runtime/scatter.h"

namespace tandem::runtime::detail {
namespace {

double seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

}  // namespace

bool RuntimeImpl::can_run(size_t unit, const Batch& b, int stage) const {
  const std::string_view kind = units_[unit].backend->name();
  if ((!b.device_backend_in.empty() && kind != b.device_backend_in) ||
      (!b.device_backend_out.empty() && kind != b.device_backend_out))
    return false;  // the stage's inputs or outputs are in another backend's device memory
  const plan::BoundStage& bs = b.bg->bound.stages[static_cast<size_t>(stage)];
  return units_[unit].supports_range(*b.bg->graph, bs.begin, bs.end).is_ok();
}

int RuntimeImpl::gather_unit(const Batch& b, int stage) const {
  const auto& stages = b.bg->bound.stages;
  if (static_cast<size_t>(stage) + 1 >= stages.size()) return -1;
  auto live = [&](const plan::BoundStage& bs) {
    std::vector<size_t> out;
    for (size_t i = 0; i < bs.units.size(); ++i)
      if (bs.shares[i] > 0 && failed_[bs.units[i]].empty()) out.push_back(bs.units[i]);
    return out;
  };
  std::lock_guard<std::mutex> lock(mu_);
  const std::vector<size_t> readers = live(stages[static_cast<size_t>(stage) + 1]);
  if (readers.size() != 1) return -1;
  const std::string_view kind = units_[readers[0]].backend->name();
  if (!b.device_backend_in.empty() && b.device_backend_in != kind) return -1;
  for (size_t u : live(stages[static_cast<size_t>(stage)]))
    if (units_[u].backend->name() != kind) return -1;
  return static_cast<int>(readers[0]);
}

void RuntimeImpl::release_buffers(std::vector<std::pair<BufferPool*, void*>>& buffers) {
  for (auto& [pool, p] : buffers) pool->release(p);
  buffers.clear();
}

std::vector<std::pair<size_t, int64_t>> RuntimeImpl::assign(const Batch& b, int stage) {
  const plan::BoundStage& bs = b.bg->bound.stages[static_cast<size_t>(stage)];
  std::vector<size_t> live;
  std::vector<double> shares;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (size_t i = 0; i < bs.units.size(); ++i)
      if (bs.shares[i] > 0 && failed_[bs.units[i]].empty()) {
        live.push_back(bs.units[i]);
        shares.push_back(bs.shares[i]);
      }
  }
  if (live.empty()) {  // every unit of the stage failed: the whole stage on a live unit that can run it
    int u = pick_rerun_unit(b, stage, units_.size());
    if (u < 0) return {};
    return {{static_cast<size_t>(u), b.rows}};
  }
  std::vector<int64_t> rows = split_rows(b.rows, shares);
  std::vector<std::pair<size_t, int64_t>> out;
  for (size_t i = 0; i < live.size(); ++i)
    if (rows[i] > 0) out.emplace_back(live[i], rows[i]);
  return out;
}

int RuntimeImpl::pick_rerun_unit(const Batch& b, int stage, size_t exclude) {
  const plan::BoundStage& bs = b.bg->bound.stages[static_cast<size_t>(stage)];
  std::vector<size_t> order;
  for (size_t i = 0; i < bs.units.size(); ++i)
    if (bs.shares[i] > 0) order.push_back(bs.units[i]);
  for (size_t u = 0; u < units_.size(); ++u)
    if (std::find(order.begin(), order.end(), u) == order.end()) order.push_back(u);
  for (size_t u : order) {
    if (u == exclude) continue;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!failed_[u].empty()) continue;
    }
    if (can_run(u, b, stage)) return static_cast<int>(u);
  }
  return -1;
}

void RuntimeImpl::start_stage(Batch& b, int stage) {
  b.stage = stage;
  const plan::BoundStage& bs = b.bg->bound.stages[static_cast<size_t>(stage)];
  const bool last = static_cast<size_t>(stage) + 1 == b.bg->bound.stages.size();
  const ir::Graph& g = *b.bg->graph;
  b.outputs.clear();
  b.output_buffers.clear();
  b.device_backend_out.clear();
  const int gather = last ? -1 : gather_unit(b, stage);
  for (const std::string& name : bs.outputs) {
    const ir::ValueInfo* vi = g.info(name);
    Shape shape = vi ? vi->shape : Shape{};
    DType dtype = vi ? vi->dtype : DType::kFloat32;
    if (last && (!vi || !vi->fully_known())) {
      b.outputs.emplace_back();  // data-dependent: the stage's one slice sets it (run_dynamic)
    } else if (last) {
      b.outputs.push_back(output_pool_->make(shape, dtype));  // handed to the caller; recycled when dropped
    } else {
      const size_t bytes = static_cast<size_t>(shape_numel(shape)) * dtype_size(dtype);
      BufferPool* pool = &pool_;
      void* p = gather >= 0 ? device_pools_[static_cast<size_t>(gather)]->acquire(bytes) : nullptr;
      if (p) {
        pool = device_pools_[static_cast<size_t>(gather)].get();
        b.device_backend_out = std::string(units_[static_cast<size_t>(gather)].backend->name());
      } else {
        p = pool_.acquire(bytes);
      }
      b.output_buffers.emplace_back(pool, p);
      b.outputs.push_back(Tensor::wrap(TensorView{p, shape, dtype}));
    }
  }
  auto slices = assign(b, stage);
  if (slices.empty()) {
    std::string failed;
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (size_t u = 0; u < units_.size(); ++u)
        if (!failed_[u].empty()) failed += "; unit '" + units_[u].name() + "' failed (" + failed_[u] + ")";
    }
    b.error = unavailable("no live unit can run stage '" + bs.name + "'" + failed);
    finish_batch(b);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(b.mu);
    b.pending = static_cast<int>(slices.size());
  }
  int64_t row = 0;
  for (const auto& [unit, rows] : slices) {
    workers_[unit]->push(SliceTask{&b, stage, row, rows});
    row += rows;
  }
}

void RuntimeImpl::slice_done(const SliceTask& task, const Status& status) {
  Batch& b = *task.batch;
  {
    std::lock_guard<std::mutex> lock(b.mu);
    if (!status.is_ok() && b.error.is_ok()) b.error = status;
    if (--b.pending > 0) return;
  }
  // The last slice of the stage: this thread owns the batch until it queues the next stage.
  release_buffers(b.input_buffers);
  b.input_buffers = std::move(b.output_buffers);
  b.output_buffers.clear();
  b.device_backend_in = std::move(b.device_backend_out);
  b.device_backend_out.clear();
  b.inputs = std::move(b.outputs);
  b.outputs.clear();
  const bool last = static_cast<size_t>(b.stage) + 1 == b.bg->bound.stages.size();
  if (!b.error.is_ok() || last) {
    finish_batch(b);
    return;
  }
  start_stage(b, b.stage + 1);
}

void RuntimeImpl::finish_batch(Batch& b) {
  release_buffers(b.input_buffers);
  release_buffers(b.output_buffers);
  b.device_backend_in.clear();
  b.device_backend_out.clear();
  if (b.error.is_ok()) b.outputs = std::move(b.inputs);  // the last stage's outputs
  else b.outputs.clear();
  b.inputs.clear();
  {
    std::lock_guard<std::mutex> lock(mu_);
    b.done = true;
    if (b.error.is_ok()) {
      ++stats_.batches;
      stats_.images += b.rows;
    }
    window_end_ = Clock::now();
  }
  finished_.fetch_add(1, std::memory_order_release);
  done_cv_.notify_all();
}

void RuntimeImpl::unit_failed(size_t unit, const SliceTask& task, const Status& why) {
  Batch& b = *task.batch;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (failed_[unit].empty()) failed_[unit] = why.message().empty() ? "failed" : why.message();
  }
  int to = pick_rerun_unit(b, task.stage, unit);
  const std::string& stage_name = b.bg->bound.stages[static_cast<size_t>(task.stage)].name;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stats_.reruns.push_back(RerunRecord{b.seq, stage_name, task.first_row, task.rows, units_[unit].name(),
                                        to < 0 ? "" : units_[static_cast<size_t>(to)].name()});
  }
  if (to < 0) {
    slice_done(task, unavailable("unit '" + units_[unit].name() + "' failed (" + why.message() +
                                 ") and no other live unit can run stage '" + stage_name + "'"));
    return;
  }
  workers_[static_cast<size_t>(to)]->push(task);
}

bool RuntimeImpl::is_failed(size_t unit) {
  std::lock_guard<std::mutex> lock(mu_);
  return !failed_[unit].empty();
}

int RuntimeImpl::fail_after(size_t unit) const { return fail_after_[unit]; }

void RuntimeImpl::record_run(size_t unit, int stage, int64_t rows, double busy_s) {
  std::lock_guard<std::mutex> lock(mu_);
  UnitReport& r = stats_.units[unit];
  r.images += rows;
  r.slices += 1;
  r.busy_s += busy_s;
  if (r.images_per_stage.size() <= static_cast<size_t>(stage)) r.images_per_stage.resize(static_cast<size_t>(stage) + 1);
  r.images_per_stage[static_cast<size_t>(stage)] += rows;
}

RunReport RuntimeImpl::report() const {
  std::lock_guard<std::mutex> lock(mu_);
  RunReport r = stats_;
  r.wall_s = window_started_ ? seconds(window_end_ - window_start_) : 0.0;
  if (r.wall_s < 0) r.wall_s = 0;
  r.images_per_s = r.wall_s > 0 ? static_cast<double>(r.images) / r.wall_s : 0.0;
  r.staging_buffers = static_cast<int64_t>(pool_.allocations());
  r.device_buffers = 0;
  for (const auto& dp : device_pools_) r.device_buffers += static_cast<int64_t>(dp->allocations());
  for (size_t u = 0; u < r.units.size(); ++u) {
    r.units[u].utilisation = r.wall_s > 0 ? r.units[u].busy_s / r.wall_s : 0.0;
    r.units[u].failed = !failed_[u].empty();
    r.units[u].failure = failed_[u];
    r.units[u].images_per_stage.resize(plan_.stages().size());
  }
  return r;
}

void RuntimeImpl::reset_report() {
  std::lock_guard<std::mutex> lock(mu_);
  stats_ = RunReport{};
  for (const plan::Unit& u : units_) stats_.units.push_back(UnitReport{u.name(), 0, {}, 0, 0, 0, false, ""});
  window_started_ = false;
  window_start_ = window_end_ = Clock::now();
}

}  // namespace tandem::runtime::detail
