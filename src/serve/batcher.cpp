#include "serve/batcher.h"

#include <algorithm>
#include <cstring>
#include <optional>

namespace tandem::serve {

struct MicroBatcher::Request {
  std::vector<Tensor> inputs;
  int64_t rows = 0;
  Completion done;
  std::vector<OutputDestination> destinations;
  Clock::time_point arrival;
  std::optional<Clock::time_point> first_submit;  // written by the batch thread
  // Written by the completion thread only.
  std::vector<Tensor> outputs;
  int64_t rows_left = 0;
  Status error;
};

// Rows [first_row, first_row + rows) of a request, at row `offset` of a batch.
struct MicroBatcher::Part {
  std::shared_ptr<Request> request;
  int64_t first_row = 0;
  int64_t rows = 0;
  int64_t offset = 0;
};

struct MicroBatcher::InFlight {
  std::vector<Part> parts;
  int64_t rows = 0;
  int64_t padded = 0;
  Clock::time_point submitted;
  std::vector<Tensor> inputs;  // views of `owners` with the batch's rows: what the engine reads
  std::vector<Tensor> owners;  // the buffers they lie in, reused once the batch is out
  Status submit_error;  // when not ok, the engine never saw the batch: next() is not called for it
};

namespace {

// Whether two requests' rows have the same shape and dtype, so they can share a batch.
bool same_rows(const std::vector<Tensor>& a, const std::vector<Tensor>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].dtype() != b[i].dtype() || a[i].shape().size() != b[i].shape().size()) return false;
    if (!std::equal(a[i].shape().begin() + 1, a[i].shape().end(), b[i].shape().begin() + 1)) return false;
  }
  return true;
}

size_t row_bytes(const Tensor& t) { return t.shape()[0] > 0 ? t.nbytes() / static_cast<size_t>(t.shape()[0]) : 0; }

}  // namespace

MicroBatcher::MicroBatcher(Engine& engine, BatcherOptions options, Metrics* metrics)
    : engine_(engine),
      options_(std::move(options)),
      metrics_(metrics),
      max_batch_(std::max<int64_t>(1, options_.max_batch)),
      max_delay_us_(std::max<int64_t>(0, options_.max_delay_us)) {
  std::sort(options_.batch_sizes.begin(), options_.batch_sizes.end());
  const int helpers = options_.copy_threads >= 0 ? options_.copy_threads
                                                 : std::min(4, static_cast<int>(std::thread::hardware_concurrency() / 4));
  copier_ = std::make_unique<CopyCrew>(helpers, options_.copy_split_bytes);
  batch_thread_ = std::thread([this] { batch_loop(); });
  completion_thread_ = std::thread([this] { completion_loop(); });
}

MicroBatcher::~MicroBatcher() { stop(); }

Status MicroBatcher::enqueue(std::vector<Tensor> inputs, Completion done, std::vector<OutputDestination> destinations) {
  if (inputs.empty()) return invalid_argument("a request needs at least one input");
  const Shape& first = inputs[0].shape();
  if (first.empty() || first[0] < 1) return invalid_argument("a request needs at least one row");
  for (const Tensor& t : inputs)
    if (t.shape().empty() || t.shape()[0] != first[0]) return invalid_argument("every input needs the same rows");
  auto r = std::make_shared<Request>();
  r->rows = r->rows_left = first[0];
  r->inputs = std::move(inputs);
  r->done = std::move(done);
  r->destinations = std::move(destinations);
  r->arrival = Clock::now();
  bool wake = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return unavailable("the server is shutting down");
    if (static_cast<int64_t>(queue_.size()) >= options_.max_queue)
      return unavailable("the queue is full (" + std::to_string(options_.max_queue) + " requests wait)");
    queued_rows_ += r->rows;
    rows_queued_ = queued_rows_;
    rows_enqueued_ += r->rows;
    queue_.push_back(Queued{std::move(r), 0});
    if (metrics_) metrics_->set_queue_depth(static_cast<int64_t>(queue_.size()));
    // The batch thread waits for a first request, then for a full batch (or the delay): waking it
    // for every request in between cost a context switch per request.
    wake = queue_.size() == 1 || queued_rows_ >= max_batch_.load();
  }
  if (wake) queue_cv_.notify_one();
  return Status::ok();
}

void MicroBatcher::set_limits(int64_t max_batch, int64_t max_delay_us) {
  max_batch_ = std::max<int64_t>(1, max_batch);
  max_delay_us_ = std::max<int64_t>(0, max_delay_us);
  queue_cv_.notify_one();
}

void MicroBatcher::drain() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    draining_ = true;
  }
  queue_cv_.notify_all();
}

void MicroBatcher::stop() {
  std::lock_guard<std::mutex> stop_lock(stop_mu_);
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  queue_cv_.notify_all();
  if (batch_thread_.joinable()) batch_thread_.join();
  if (completion_thread_.joinable()) completion_thread_.join();
}

int64_t MicroBatcher::padded_rows(int64_t rows) const {
  for (int64_t b : options_.batch_sizes)
    if (b >= rows) return b;
  return rows;
}

void MicroBatcher::batch_loop() {
  for (;;) {
    {
      std::unique_lock<std::mutex> flight(flight_mu_);
      slot_cv_.wait(flight, [&] { return unfinished_ < std::max(1, options_.max_in_flight); });
    }
    std::unique_lock<std::mutex> lock(mu_);
    queue_cv_.wait(lock, [&] { return !queue_.empty() || stopping_; });
    if (queue_.empty()) break;  // stopping, and nothing left
    // Only this thread removes from the queue, so the front stays while we wait.
    const auto deadline = queue_.front().request->arrival + std::chrono::microseconds(max_delay_us_.load());
    while (!stopping_ && !draining_ && queued_rows_ < max_batch_.load() && Clock::now() < deadline)
      queue_cv_.wait_until(lock, deadline);
    std::vector<Part> parts = take_batch();
    rows_queued_ = queued_rows_;
    if (metrics_) metrics_->set_queue_depth(static_cast<int64_t>(queue_.size()));
    lock.unlock();
    submit_batch(std::move(parts));
  }
  {
    std::lock_guard<std::mutex> lock(flight_mu_);
    batching_done_ = true;
  }
  flight_cv_.notify_all();
}

std::vector<MicroBatcher::Part> MicroBatcher::take_batch() {
  std::vector<Part> parts;
  int64_t space = max_batch_.load(), offset = 0;
  const std::shared_ptr<Request> head = queue_.front().request;
  for (auto it = queue_.begin(); it != queue_.end() && space > 0;) {
    if (!same_rows(it->request->inputs, head->inputs)) {
      ++it;
      continue;
    }
    const int64_t n = std::min(space, it->request->rows - it->next_row);
    parts.push_back(Part{it->request, it->next_row, n, offset});
    offset += n;
    space -= n;
    queued_rows_ -= n;
    it->next_row += n;
    if (it->next_row == it->request->rows) it = queue_.erase(it);
    else ++it;
  }
  return parts;
}

void MicroBatcher::submit_batch(std::vector<Part> parts) {
  auto f = std::make_unique<InFlight>();
  for (const Part& p : parts) f->rows += p.rows;
  f->padded = padded_rows(f->rows);
  const std::vector<Tensor>& like = parts[0].request->inputs;
  std::vector<Tensor> inputs;
  std::vector<CopyJob> copies;
  for (size_t i = 0; i < like.size(); ++i) {
    Shape s = like[i].shape();
    s[0] = f->padded;
    Tensor owner;
    Tensor t = take_buffer(s, like[i].dtype(), owner);
    f->owners.push_back(std::move(owner));
    const size_t rb = row_bytes(like[i]);
    auto* dst = static_cast<char*>(t.data());
    for (const Part& p : parts)
      copies.push_back({dst + static_cast<size_t>(p.offset) * rb,
                        static_cast<const char*>(p.request->inputs[i].data()) + static_cast<size_t>(p.first_row) * rb,
                        static_cast<size_t>(p.rows) * rb});
    std::memset(dst + static_cast<size_t>(f->rows) * rb, 0, static_cast<size_t>(f->padded - f->rows) * rb);
    inputs.push_back(std::move(t));
  }
  copier_->copy(copies);
  f->submitted = Clock::now();
  for (const Part& p : parts)
    if (!p.request->first_submit) p.request->first_submit = f->submitted;
  f->parts = std::move(parts);
  f->inputs = inputs;
  f->submit_error = engine_.submit(std::move(inputs));
  {
    std::lock_guard<std::mutex> lock(flight_mu_);
    flight_.push_back(std::move(f));
    ++unfinished_;
  }
  flight_cv_.notify_one();
}

namespace {

// Whether a buffer of `shape` can hold rows shaped like `like`'s (same dtype and row shape, at
// least as many rows).
bool holds(const Tensor& buffer, const Shape& like, DType dtype) {
  const Shape& s = buffer.shape();
  return buffer.dtype() == dtype && s.size() == like.size() && s[0] >= like[0] &&
         std::equal(s.begin() + 1, s.end(), like.begin() + 1);
}

bool same_kind(const Tensor& a, const Tensor& b) {
  return a.dtype() == b.dtype() && a.shape().size() == b.shape().size() &&
         std::equal(a.shape().begin() + 1, a.shape().end(), b.shape().begin() + 1);
}

}  // namespace

int64_t MicroBatcher::buffer_rows(int64_t rows) const {
  const int64_t largest = options_.batch_sizes.empty() ? 0 : options_.batch_sizes.back();
  return std::max({rows, largest, max_batch_.load()});
}

Tensor MicroBatcher::take_buffer(const Shape& shape, DType dtype, Tensor& owner) {
  {
    std::lock_guard<std::mutex> lock(spare_mu_);
    auto best = spare_.end();
    for (auto it = spare_.begin(); it != spare_.end(); ++it)
      if (holds(*it, shape, dtype) && (best == spare_.end() || it->shape()[0] < best->shape()[0])) best = it;
    if (best != spare_.end()) {
      owner = std::move(*best);
      spare_.erase(best);
    }
  }
  if (owner.empty()) {
    Shape s = shape;
    s[0] = buffer_rows(shape[0]);
    owner = engine_.make_tensor(s, dtype);
  }
  if (owner.shape() == shape) return owner;
  // The batch's rows at the front of the buffer; the view keeps the buffer alive.
  return Tensor::adopt(owner.data(), shape, dtype, [keep = owner](void*) {});
}

void MicroBatcher::reserve_buffers() {
  std::vector<Tensor> made;
  for (const TensorInfo& t : engine_.inputs()) {
    if (t.shape.empty()) return;
    for (size_t d = 1; d < t.shape.size(); ++d)
      if (t.shape[d] < 0) return;  // rows of this input have no fixed shape: allocated as they come
  }
  for (int k = 0; k < std::max(1, options_.max_in_flight) + 1; ++k)
    for (const TensorInfo& t : engine_.inputs()) {
      Shape s = t.shape;
      s[0] = buffer_rows(1);
      made.push_back(engine_.make_tensor(s, t.dtype));
    }
  give_back(std::move(made));
}

void MicroBatcher::give_back(std::vector<Tensor> buffers) {
  // Enough spares of a kind for every batch in flight and the one forming; more are freed (with a GPU each is page-locked memory: 38 MB for 64 MobileNetV2
  // images). A batch of fewer rows uses the front of a larger buffer, so batch sizes that vary
  // (the latency controller's) allocate nothing once these exist.
  const size_t per_kind = static_cast<size_t>(std::max(1, options_.max_in_flight)) + 1;
  std::lock_guard<std::mutex> lock(spare_mu_);
  for (Tensor& t : buffers) {
    const size_t same = static_cast<size_t>(
        std::count_if(spare_.begin(), spare_.end(), [&](const Tensor& s) { return same_kind(s, t); }));
    if (same < per_kind) spare_.push_back(std::move(t));
  }
}

void MicroBatcher::completion_loop() {
  for (;;) {
    std::unique_lock<std::mutex> lock(flight_mu_);
    flight_cv_.wait(lock, [&] { return !flight_.empty() || batching_done_; });
    if (flight_.empty()) break;
    std::unique_ptr<InFlight> f = std::move(flight_.front());
    flight_.pop_front();
    lock.unlock();
    Result<std::vector<Tensor>> outputs = f->submit_error.is_ok() ? engine_.next() : Result<std::vector<Tensor>>(f->submit_error);
    finish_batch(*f, std::move(outputs));
    f->inputs.clear();  // the views go before their buffers are handed out again
    give_back(std::move(f->owners));
    {
      std::lock_guard<std::mutex> flight(flight_mu_);
      --unfinished_;
    }
    slot_cv_.notify_one();
  }
}

void MicroBatcher::allocate_outputs(Request& r, const std::vector<Tensor>& outputs) {
  for (size_t o = 0; o < outputs.size(); ++o) {
    Shape s = outputs[o].shape();
    s[0] = r.rows;
    const OutputDestination* d = o < r.destinations.size() && r.destinations[o].data ? &r.destinations[o] : nullptr;
    if (!d) {
      r.outputs.emplace_back(s, outputs[o].dtype());
      continue;
    }
    const size_t bytes = static_cast<size_t>(shape_numel(s)) * dtype_size(outputs[o].dtype());
    if (bytes > d->capacity) {
      const std::string name = o < engine_.outputs().size() ? engine_.outputs()[o].name : std::to_string(o);
      r.error = invalid_argument("output '" + name + "' of shape " + shape_to_string(s) + " needs " +
                                 std::to_string(bytes) + " bytes, its shared memory holds " + std::to_string(d->capacity));
      return;
    }
    r.outputs.push_back(Tensor::wrap(TensorView{d->data, s, outputs[o].dtype()}));
  }
}

void MicroBatcher::finish_batch(InFlight& f, Result<std::vector<Tensor>> outputs) {
  const auto now = Clock::now();
  const double compute_s = std::chrono::duration<double>(now - f.submitted).count();
  Status error = outputs.status();
  if (error.is_ok()) {
    if (metrics_) metrics_->observe_batch(f.rows, f.padded, compute_s);
    for (size_t o = 0; o < outputs->size() && error.is_ok(); ++o) {
      const Tensor& t = (*outputs)[o];
      if (t.shape().empty() || t.shape()[0] != f.padded)
        error = internal_error("output " + std::to_string(o) + " has shape " + shape_to_string(t.shape()) +
                               ", not " + std::to_string(f.padded) + " rows: its rows cannot be told apart by request");
    }
  }
  for (const Part& p : f.parts) {
    Request& r = *p.request;
    if (!error.is_ok() && r.error.is_ok()) r.error = error;
    if (r.error.is_ok() && r.outputs.empty()) allocate_outputs(r, *outputs);
    if (r.error.is_ok()) {
      for (size_t o = 0; o < outputs->size(); ++o) {
        const size_t rb = row_bytes((*outputs)[o]);
        std::memcpy(static_cast<char*>(r.outputs[o].data()) + static_cast<size_t>(p.first_row) * rb,
                    static_cast<const char*>((*outputs)[o].data()) + static_cast<size_t>(p.offset) * rb,
                    static_cast<size_t>(p.rows) * rb);
      }
    }
    r.rows_left -= p.rows;
    if (r.rows_left > 0) continue;
    if (metrics_)
      metrics_->observe_batched_request(std::chrono::duration<double>(*r.first_submit - r.arrival).count(), compute_s,
                                        r.error.is_ok());
    Completion done = std::move(r.done);
    if (r.error.is_ok()) done(std::move(r.outputs));
    else done(r.error);
    r.inputs.clear();
  }
}

}  // namespace tandem::serve
