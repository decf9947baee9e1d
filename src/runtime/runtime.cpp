#include "runtime/runtime.h"

#include <algorithm>

#include "plan/cuts.h"
#include "runtime/runtime_impl.h"

namespace tandem::runtime {

Result<std::unique_ptr<Runtime>> Runtime::create(std::vector<plan::Unit> units, plan::Plan plan,
                                                 plan::GraphForBatch graphs, RuntimeOptions options) {
  if (units.empty()) return invalid_argument("the runtime needs at least one unit");
  if (!graphs) return invalid_argument("the runtime needs the model's graphs");
  if (options.max_in_flight < 1) return invalid_argument("max_in_flight must be >= 1");
  for (const plan::Stage& st : plan.stages())
    for (const plan::StageUnit& su : st.units) {
      auto idx = plan::find_unit(units, su.unit);
      if (!idx) return idx.status();
    }
  for (const auto& [name, n] : options.fail_unit_after) {
    auto idx = plan::find_unit(units, name);
    if (!idx) return idx.status().with_context("fail_unit_after");
  }
  auto rt = std::make_unique<detail::RuntimeImpl>(std::move(units), std::move(plan), std::move(graphs),
                                                  std::move(options));
  rt->start_workers();
  return std::unique_ptr<Runtime>(std::move(rt));
}

namespace detail {

namespace {

std::vector<const Backend*> backends_of(const std::vector<plan::Unit>& units) {
  std::vector<const Backend*> v;
  for (const auto& u : units) v.push_back(u.backend.get());
  return v;
}

}  // namespace

RuntimeImpl::RuntimeImpl(std::vector<plan::Unit> units, plan::Plan plan, plan::GraphForBatch graphs,
                         RuntimeOptions options)
    : units_(std::move(units)),
      plan_(std::move(plan)),
      graphs_(std::move(graphs)),
      options_(std::move(options)),
      fail_after_(units_.size(), -1),
      pool_(backends_of(units_)),
      failed_(units_.size()) {
  std::vector<std::shared_ptr<const Backend>> backends;
  for (const plan::Unit& u : units_) backends.push_back(u.backend);
  output_pool_ = TensorPool::create(std::move(backends), options_.output_pool_bytes);
  for (const plan::Unit& u : units_) {
    poll_next_ |= u.backend->max_runs_in_flight() > 1;
    std::shared_ptr<const Backend> backend = u.backend;
    const UnitOptions options = u.options();
    device_pools_.push_back(std::make_unique<BufferPool>(
        [backend, options](size_t bytes) { return backend->allocate_device_memory(options, bytes); },
        [backend, options](void* p) { backend->free_device_memory(options, p); }));
  }
  for (const auto& [name, n] : options_.fail_unit_after)
    if (auto idx = plan::find_unit(units_, name)) fail_after_[*idx] = n;
  reset_report();
}

void RuntimeImpl::start_workers() {
  for (size_t u = 0; u < units_.size(); ++u) workers_.push_back(std::make_unique<UnitWorker>(*this, u));
}

RuntimeImpl::~RuntimeImpl() {
  {
    std::unique_lock<std::mutex> lock(mu_);
    done_cv_.wait(lock, [&] {
      return std::all_of(batches_.begin(), batches_.end(), [](const auto& b) { return b->done; });
    });
  }
  for (auto& w : workers_) w->stop();
  workers_.clear();
  for (auto& b : batches_) {
    release_buffers(b->input_buffers);
    release_buffers(b->output_buffers);
  }
}

Result<std::shared_ptr<BatchGraph>> RuntimeImpl::batch_graph(int64_t rows) {
  std::lock_guard<std::mutex> lock(graphs_mu_);
  auto it = batch_graphs_.find(rows);
  if (it != batch_graphs_.end()) return it->second;
  TANDEM_ASSIGN_OR_RETURN(auto graph, graphs_(rows));
  auto bound = plan::bind_plan(plan_, *graph, units_);
  if (!bound) return bound.status().with_context("plan at batch " + std::to_string(rows));
  auto bg = std::make_shared<BatchGraph>(BatchGraph{graph, std::move(*bound), {}});
  bg->segments.resize(bg->bound.stages.size());
  batch_graphs_[rows] = bg;
  return bg;
}

Result<std::shared_ptr<const ir::Graph>> RuntimeImpl::segment(int stage, int64_t rows) {
  TANDEM_ASSIGN_OR_RETURN(auto bg, batch_graph(rows));
  std::lock_guard<std::mutex> lock(graphs_mu_);
  auto& seg = bg->segments[static_cast<size_t>(stage)];
  if (!seg) {
    const plan::BoundStage& bs = bg->bound.stages[static_cast<size_t>(stage)];
    TANDEM_ASSIGN_OR_RETURN(auto g, plan::extract_segment(*bg->graph, bs.begin, bs.end));
    seg = std::make_shared<const ir::Graph>(std::move(g));
  }
  return seg;
}

Status RuntimeImpl::check_inputs(const std::vector<Tensor>& inputs, const BatchGraph& bg) const {
  const ir::Graph& g = *bg.graph;
  if (inputs.size() != g.inputs.size())
    return invalid_argument("the model takes " + std::to_string(g.inputs.size()) + " inputs, got " +
                            std::to_string(inputs.size()));
  for (size_t i = 0; i < inputs.size(); ++i) {
    const ir::ValueInfo* vi = g.info(g.inputs[i]);
    if (!vi) continue;
    if (inputs[i].dtype() != vi->dtype || inputs[i].shape() != vi->shape)
      return invalid_argument("input '" + g.inputs[i] + "': expected " + dtype_name(vi->dtype) + " " +
                              shape_to_string(vi->shape) + ", got " + dtype_name(inputs[i].dtype()) + " " +
                              shape_to_string(inputs[i].shape()));
  }
  return Status::ok();
}

Status RuntimeImpl::submit(std::vector<Tensor> inputs) {
  if (inputs.empty() || inputs[0].shape().empty() || inputs[0].shape()[0] < 1)
    return invalid_argument("a batch needs inputs whose dim 0 (the batch) is >= 1");
  const int64_t rows = inputs[0].shape()[0];
  for (const Tensor& t : inputs)
    if (t.shape().empty() || t.shape()[0] != rows)
      return invalid_argument("all inputs of a batch must have the same dim 0 (the batch), got " +
                              shape_to_string(inputs[0].shape()) + " and " + shape_to_string(t.shape()));
  TANDEM_ASSIGN_OR_RETURN(auto bg, batch_graph(rows));
  TANDEM_RETURN_IF_ERROR(check_inputs(inputs, *bg));
  Batch* b = nullptr;
  {
    std::unique_lock<std::mutex> lock(mu_);
    space_cv_.wait(lock, [&] { return batches_.size() < static_cast<size_t>(options_.max_in_flight); });
    auto batch = std::make_unique<Batch>();
    batch->seq = next_seq_++;
    batch->rows = rows;
    batch->bg = bg;
    batch->inputs = std::move(inputs);
    b = batch.get();
    batches_.push_back(std::move(batch));
    if (!window_started_) {
      window_started_ = true;
      window_start_ = Clock::now();
    }
  }
  start_stage(*b, 0);
  return Status::ok();
}

Result<std::vector<Tensor>> RuntimeImpl::next() {
  std::unique_ptr<Batch> b;
  {
    std::unique_lock<std::mutex> lock(mu_);
    if (batches_.empty()) return invalid_argument("next(): no batch was submitted");
    if (!batches_.front()->done && poll_next_) {
      const uint64_t seen = finished_.load(std::memory_order_acquire);
      lock.unlock();
      poll_briefly(finished_, seen, std::chrono::microseconds(200));
      lock.lock();
    }
    done_cv_.wait(lock, [&] { return batches_.front()->done; });
    b = std::move(batches_.front());
    batches_.pop_front();
  }
  space_cv_.notify_all();
  if (!b->error.is_ok()) return b->error;
  return std::move(b->outputs);
}

Result<std::vector<Tensor>> RuntimeImpl::run(std::vector<Tensor> inputs) {
  TANDEM_RETURN_IF_ERROR(submit(std::move(inputs)));
  return next();
}

Result<std::vector<std::vector<Tensor>>> RuntimeImpl::run_all(const std::vector<std::vector<Tensor>>& batches) {
  std::vector<std::vector<Tensor>> out;
  size_t submitted = 0;
  Status first_error;
  while (out.size() < batches.size()) {
    while (first_error.is_ok() && submitted < batches.size() &&
           submitted - out.size() < static_cast<size_t>(options_.max_in_flight)) {
      first_error = submit(batches[submitted]);
      if (first_error.is_ok()) ++submitted;
    }
    if (out.size() == submitted) break;  // nothing left in flight (a submit failed)
    auto r = next();
    if (!r && first_error.is_ok()) first_error = r.status();
    if (r) out.push_back(std::move(*r));
    else out.emplace_back();
    if (!first_error.is_ok() && out.size() == submitted) break;
  }
  if (!first_error.is_ok()) return first_error;
  return out;
}

}  // namespace detail
}  // namespace tandem::runtime
