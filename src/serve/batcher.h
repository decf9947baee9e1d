// MicroBatcher: gathers requests into batches for one Engine and streams the batches through it.
//
// Requests queue in arrival order. A batch goes when fewer than max_in_flight batches are in the
// engine and its rows reach max_batch, or the oldest queued request has waited max_delay_us, or
// at stop(). A batch takes requests from the front
// whose per-row shapes match the oldest's; a request with more rows than fit is split, its rows
// going into consecutive batches, and rejoined: its completion runs once, with its own rows of
// every output, in order. A batch is padded with zero rows up to the next of `batch_sizes` (so the
// engine compiles only those sizes). One thread forms and submits batches (Engine::submit), another
// takes their outputs (Engine::next), so consecutive batches overlap across the plan's stages.
//
// Thread safety: enqueue(), set_limits() and stop() may be called from any thread. Completions run
// on the batcher's completion thread, one at a time; they must not block for long.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "serve/metrics.h"
#include "serve/parallel_copy.h"
#include "tandem/engine.h"
#include "tandem/status.h"
#include "tandem/tensor.h"

namespace tandem::serve {

struct BatcherOptions {
  int64_t max_batch = 8;        // rows per batch, at most
  int64_t max_delay_us = 1000;  // how long the oldest request may wait for a fuller batch
  int64_t max_queue = 1024;     // requests waiting for a batch; enqueue() refuses more (Unavailable)
  // Batches submitted to the engine and not yet finished, at most. While that many run, requests
  // gather into the next batch (a batch waiting in the engine would only delay them). 3 keeps a
  // GPU fed: one batch uploads while one computes and one's outputs go back to its requests; with
  // 2, MobileNetV2 on an H200 served 0.65x of offline (8 rows a request over shared memory, 64
  // clients), with 3 0.98x.
  int max_in_flight = 3;
  // Sizes batches are padded to, ascending; a batch larger than the last is not padded. Empty: no
  // padding (each batch size compiles once).
  std::vector<int64_t> batch_sizes;
  // Threads that help the batch thread copy request rows into a batch buffer, when a batch holds at
  // least copy_split_bytes (at 224x224 fp32, one core gathers 64 images in ~4 ms: longer than an
  // H200 runs them). -1: a quarter of the machine's hardware threads, at most 4.
  int copy_threads = -1;
  size_t copy_split_bytes = size_t{2} << 20;
};

// Outputs (model order, this request's rows only) or the error.
using Completion = std::function<void(Result<std::vector<Tensor>>)>;

// Where a request's rows of one output go instead of a buffer of their own (shared memory):
// `capacity` bytes at `data`, which the caller keeps valid until the completion has run.
struct OutputDestination {
  void* data = nullptr;  // null: a buffer of the request's own
  size_t capacity = 0;
};

class MicroBatcher {
 public:
  // Starts the two threads. `engine` and `metrics` (may be null) outlive the batcher.
  MicroBatcher(Engine& engine, BatcherOptions options, Metrics* metrics);
  ~MicroBatcher();  // stop()
  MicroBatcher(const MicroBatcher&) = delete;
  MicroBatcher& operator=(const MicroBatcher&) = delete;

  // Queues a request: inputs in the engine's input order, each with the same dim 0 (>= 1 rows).
  // Unavailable at once when max_queue requests wait, or after stop(); then `done` is not called.
  // Otherwise `done` is called exactly once. `destinations` (per model output, or empty): the
  // completion's output tensors then borrow those bytes, written row by row as batches finish; an
  // output larger than its destination fails the request (InvalidArgument).
  Status enqueue(std::vector<Tensor> inputs, Completion done, std::vector<OutputDestination> destinations = {});
  // Changes max_batch and max_delay_us for the batches formed from now on (the latency controller).
  void set_limits(int64_t max_batch, int64_t max_delay_us);
  // Allocates the batch buffers now (max_in_flight + 1 per input, each for the largest batch),
  // when every input's rows have a fixed shape: so that serving allocates no page-locked memory.
  void reserve_buffers();
  int64_t max_batch() const { return max_batch_.load(); }
  int64_t max_delay_us() const { return max_delay_us_.load(); }
  // Rows enqueued since start (the offered load) and rows waiting for a batch now.
  int64_t rows_enqueued() const { return rows_enqueued_.load(); }
  int64_t rows_queued() const { return rows_queued_.load(); }
  // From now on batches go as soon as the batch thread is free, without waiting for the delay; new
  // requests are still taken (a server that stops accepting connections drains this way).
  void drain();
  // Refuses new requests, sends what is queued without waiting for the delay, waits until every
  // accepted request has completed, joins the threads. Idempotent.
  void stop();

 private:
  using Clock = std::chrono::steady_clock;
  struct Request;
  struct Part;
  struct InFlight;

  void batch_loop();
  void completion_loop();
  // Takes up to max_batch rows from the front of the queue (mu_ held).
  std::vector<Part> take_batch();
  void submit_batch(std::vector<Part> parts);
  void finish_batch(InFlight& batch, Result<std::vector<Tensor>> outputs);
  // The request's output tensors, shaped like the batch's `outputs` with its rows (r.error on failure).
  void allocate_outputs(Request& r, const std::vector<Tensor>& outputs);
  int64_t padded_rows(int64_t rows) const;
  // A batch input of this shape: the front rows of a spare buffer (the smallest that holds it),
  // else of a new one from Engine::make_tensor with buffer_rows() rows; `owner` gets the buffer.
  Tensor take_buffer(const Shape& shape, DType dtype, Tensor& owner);
  // Rows a new batch buffer gets: enough for the largest batch, so one kind serves every size.
  int64_t buffer_rows(int64_t rows) const;
  // Buffers the engine is done with (their batch came out of next()) go back for reuse.
  void give_back(std::vector<Tensor> buffers);

  Engine& engine_;
  BatcherOptions options_;
  Metrics* metrics_;
  std::atomic<int64_t> max_batch_, max_delay_us_;
  std::atomic<int64_t> rows_enqueued_{0}, rows_queued_{0};

  std::mutex mu_;  // guards queue_, queued_rows_, stopping_, draining_
  std::condition_variable queue_cv_;
  struct Queued {
    std::shared_ptr<Request> request;
    int64_t next_row = 0;  // rows before it are in a batch already
  };
  std::deque<Queued> queue_;
  int64_t queued_rows_ = 0;
  bool stopping_ = false;
  bool draining_ = false;

  std::mutex flight_mu_;  // guards flight_, batching_done_, unfinished_
  std::condition_variable flight_cv_;
  std::condition_variable slot_cv_;  // a batch finished
  int unfinished_ = 0;               // submitted, not yet finished
  std::deque<std::unique_ptr<InFlight>> flight_;
  bool batching_done_ = false;

  // Batch input buffers for reuse. With a GPU unit make_tensor() is page-locked memory, whose
  // allocation and release cost milliseconds per batch (and cudaFreeHost waits for the device).
  std::mutex spare_mu_;
  std::vector<Tensor> spare_;

  std::unique_ptr<CopyCrew> copier_;  // used by the batch thread only

  std::mutex stop_mu_;
  std::thread batch_thread_, completion_thread_;
};

}  // namespace tandem::serve
