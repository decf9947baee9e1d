#include "serve/latency_controller.h"

#include <algorithm>
#include <chrono>
#include <cmath>

namespace tandem::serve {
namespace {

constexpr double kHeadroom = 0.8;  // of the target: scheduling noise, HTTP, copies

}  // namespace

BatchLimits choose_limits(const std::vector<BatchTiming>& profile, double target_s, double arrival_rows_per_s,
                          double slack) {
  BatchLimits l;
  if (profile.empty()) return l;
  const double budget = target_s * kHeadroom * std::clamp(slack, 0.01, 1.0);
  // The largest batch the budget allows (the smallest when none fits: answer as fast as we can).
  size_t fit = 0;
  for (size_t i = 0; i < profile.size(); ++i)
    if (2 * profile[i].seconds <= budget) fit = i;
  // Under load, the smallest batch that carries the arrival rate with 25% to spare.
  size_t pick = fit;
  if (arrival_rows_per_s > 0)
    for (size_t i = 0; i < fit; ++i)
      if (static_cast<double>(profile[i].rows) / std::max(profile[i].seconds, 1e-9) >= 1.25 * arrival_rows_per_s) {
        pick = i;
        break;
      }
  l.max_batch = profile[pick].rows;
  double delay = std::max(0.0, budget - 2 * profile[pick].seconds);
  if (arrival_rows_per_s > 0) delay = std::min(delay, static_cast<double>(l.max_batch) / arrival_rows_per_s);
  else delay = 0;  // idle: a lone request need not wait for company
  l.max_delay_us = static_cast<int64_t>(delay * 1e6);
  return l;
}

LatencyController::LatencyController(MicroBatcher& batcher, std::vector<BatchTiming> profile, double target_s,
                                     int period_ms)
    : batcher_(batcher), profile_(std::move(profile)), target_s_(target_s), period_ms_(period_ms) {
  limits_ = choose_limits(profile_, target_s_, 0, slack_);
  rows_seen_ = batcher_.rows_enqueued();
  batcher_.set_limits(limits_.max_batch, limits_.max_delay_us);
  thread_ = std::thread([this] { loop(); });
}

LatencyController::~LatencyController() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void LatencyController::observe(double latency_s) {
  std::lock_guard<std::mutex> lock(mu_);
  if (window_.size() < 100000) window_.push_back(latency_s);
}

BatchLimits LatencyController::limits() const {
  std::lock_guard<std::mutex> lock(mu_);
  return limits_;
}

double LatencyController::slack() const {
  std::lock_guard<std::mutex> lock(mu_);
  return slack_;
}

void LatencyController::loop() {
  auto last = std::chrono::steady_clock::now();
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    cv_.wait_for(lock, std::chrono::milliseconds(period_ms_));
    if (stop_) break;
    const auto now = std::chrono::steady_clock::now();
    update(std::chrono::duration<double>(now - last).count());
    last = now;
    const BatchLimits l = limits_;
    lock.unlock();
    batcher_.set_limits(l.max_batch, l.max_delay_us);
    lock.lock();
  }
}

// mu_ held.
void LatencyController::update(double elapsed_s) {
  // The offered load: rows enqueued, not answered (answers are capped by what the server carries).
  const int64_t enqueued = batcher_.rows_enqueued();
  const double rate = elapsed_s > 0 ? static_cast<double>(enqueued - rows_seen_) / elapsed_s : 0;
  rows_seen_ = enqueued;
  rate_ = rate_ == 0 ? rate : 0.5 * rate_ + 0.5 * rate;
  // More than a batch waiting: the arrivals outrun the server. No batch size meets the target
  // then, and a smaller one would only carry less: the largest within the full budget drains it.
  if (batcher_.rows_queued() > limits_.max_batch) {
    window_.clear();
    limits_ = choose_limits(profile_, target_s_, 1e12, 1.0);
    return;
  }
  if (window_.size() >= 20) {  // too few answers say nothing about a p99
    const size_t k = static_cast<size_t>(std::ceil(0.99 * static_cast<double>(window_.size()))) - 1;
    std::nth_element(window_.begin(), window_.begin() + static_cast<std::ptrdiff_t>(k), window_.end());
    const double p99 = window_[k];
    if (p99 > target_s_) slack_ = std::max(0.25, slack_ * 0.8);
    else if (p99 < 0.6 * target_s_) slack_ = std::min(1.0, slack_ * 1.05);
    window_.clear();
  }
  limits_ = choose_limits(profile_, target_s_, rate_, slack_);
}

}  // namespace tandem::serve
