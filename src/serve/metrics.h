// What the server counts, for GET /metrics (Prometheus text format) and Triton's statistics
// extension (GET /v2/models/{m}/stats). Thread safety: every method may be called from any thread.
#pragma once

#include <chrono>
#include <cmath>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "serve/histogram.h"
#include "tandem/engine.h"

namespace tandem::serve {

class Metrics {
 public:
  explicit Metrics(int64_t max_batch);

  // One answered /infer request: its HTTP status and its time from arrival to answer.
  void observe_request(int http_status, double seconds);
  // One request the batcher finished: time queued (arrival to its first batch's submit) and time
  // computing (its last batch's submit to outputs), whether it succeeded.
  void observe_batched_request(double queue_s, double compute_s, bool ok);
  // One batch through the engine: request rows, rows after padding, submit-to-outputs time.
  void observe_batch(int64_t rows, int64_t padded_rows, double compute_s);
  void set_queue_depth(int64_t requests);
  void add_in_flight(int delta);

  // Prometheus text exposition; `units` from Engine::unit_usage() (busy fraction over uptime).
  // `max_batch` / `max_delay_us`: the batcher's limits now (the latency controller moves them).
  std::string prometheus(const std::string& model, const std::vector<UnitUsage>& units, int64_t max_batch = 0,
                         int64_t max_delay_us = 0) const;
  // Triton's statistics extension: {"model_stats": [ ... ]} for the one model.
  nlohmann::json triton_stats(const std::string& model, const std::string& version) const;

 private:
  struct Duration {
    uint64_t count = 0;
    uint64_t ns = 0;
    void add(double s) {
      ++count;
      ns += static_cast<uint64_t>(std::llround(s * 1e9));
    }
  };
  mutable std::mutex mu_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::map<int, uint64_t> requests_by_code_;
  Histogram request_seconds_{latency_bounds()};
  Histogram queue_seconds_{latency_bounds()};
  Histogram compute_seconds_{latency_bounds()};
  Histogram batch_rows_;
  uint64_t padded_rows_ = 0;
  int64_t queue_depth_ = 0;
  int64_t in_flight_ = 0;
  // Triton statistics.
  Duration success_, fail_, queue_, compute_;
  uint64_t inference_count_ = 0, execution_count_ = 0;
  int64_t last_inference_ms_ = 0;
  std::map<int64_t, Duration> batch_compute_;  // by rows
};

}  // namespace tandem::serve
