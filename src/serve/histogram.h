// A Prometheus-style histogram: cumulative counts per upper bound, sum and count.
// Not thread-safe: Metrics guards it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tandem::serve {

class Histogram {
 public:
  explicit Histogram(std::vector<double> upper_bounds) : bounds_(std::move(upper_bounds)), counts_(bounds_.size() + 1) {}

  void observe(double v) {
    size_t i = 0;
    while (i < bounds_.size() && v > bounds_[i]) ++i;
    ++counts_[i];
    sum_ += v;
    ++count_;
  }
  uint64_t count() const { return count_; }
  double sum() const { return sum_; }

  // The "<name>_bucket{le=...}", "_sum" and "_count" lines; `labels` like `model="m"` (may be empty).
  std::string render(const std::string& name, const std::string& labels) const;

 private:
  std::vector<double> bounds_;
  std::vector<uint64_t> counts_;  // per bucket, not cumulative; the last is +Inf
  double sum_ = 0;
  uint64_t count_ = 0;
};

// 50 us .. 10 s, about x2 apart: latencies in seconds.
std::vector<double> latency_bounds();
// 1, 2, 4, ... up to and including max: batch sizes.
std::vector<double> batch_bounds(int64_t max);

}  // namespace tandem::serve
