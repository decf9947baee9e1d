// LatencyController: `--latency-ms L`. Chooses the micro-batcher's max batch and delay so that p99
// latency stays under L, from batch times measured at start-up, and adapts them to the arrival
// rate and to the latency it observes.
//
// A request's latency is at most: the delay (waiting for its batch to go) + one batch time
// (waiting for the batch ahead, the pipeline being busy) + its own batch time. So a batch of b rows
// fits when 2 t(b) <= budget (budget = L x headroom x slack) and the delay gets what is left. Under
// load only the throughput needed matters: the smallest b whose rate b / t(b) carries 1.25x the
// arrival rate is enough (smaller batches answer sooner); the delay is never longer than filling
// that batch takes at the arrival rate (rows enqueued per second: the offered load). When the
// observed p99 passes L, slack shrinks (x0.8, down to 0.25); while it stays under 0.6 L, slack grows
// back to 1. While more than a batch waits (arrivals outrun the server), no size meets L and a
// smaller one would carry less: the largest batch within the full budget is used, with no delay.
//
// Thread safety: observe() from any thread; choose_limits() is a pure function.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#include "serve/batcher.h"

namespace tandem::serve {

struct BatchTiming {
  int64_t rows = 0;
  double seconds = 0;  // one batch of `rows`, start to outputs
};

struct BatchLimits {
  int64_t max_batch = 1;
  int64_t max_delay_us = 0;
};

// The limits for a p99 target of `target_s` at `arrival_rows_per_s` (0: unknown/idle). `profile`
// sorted by rows. `slack` in (0, 1] scales the budget.
BatchLimits choose_limits(const std::vector<BatchTiming>& profile, double target_s, double arrival_rows_per_s,
                          double slack = 1.0);

class LatencyController {
 public:
  // Starts a thread that re-chooses the limits every `period_ms` and sets them on `batcher`.
  LatencyController(MicroBatcher& batcher, std::vector<BatchTiming> profile, double target_s, int period_ms = 100);
  ~LatencyController();  // stops the thread
  LatencyController(const LatencyController&) = delete;
  LatencyController& operator=(const LatencyController&) = delete;

  // One answered request's latency (arrival to answer).
  void observe(double latency_s);
  BatchLimits limits() const;
  double slack() const;

 private:
  void loop();
  void update(double elapsed_s);

  MicroBatcher& batcher_;
  const std::vector<BatchTiming> profile_;
  const double target_s_;
  const int period_ms_;
  mutable std::mutex mu_;  // guards everything below
  std::condition_variable cv_;
  bool stop_ = false;
  int64_t rows_seen_ = 0;      // batcher_.rows_enqueued() at the last update
  std::vector<double> window_;  // latencies since the last update
  double rate_ = 0;             // rows/s, smoothed
  double slack_ = 1.0;
  BatchLimits limits_;
  std::thread thread_;
};

}  // namespace tandem::serve
