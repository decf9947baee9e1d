#include "serve/parallel_copy.h"

#include <algorithm>
#include <cstring>

namespace tandem::serve {
namespace {

void run_jobs(const std::vector<CopyJob>& jobs) {
  for (const CopyJob& j : jobs) std::memcpy(j.dst, j.src, j.bytes);
}

// Cuts `jobs` into `n` shares of about equal bytes (a job may be cut across two shares).
std::vector<std::vector<CopyJob>> share_out(const std::vector<CopyJob>& jobs, size_t total, size_t n) {
  std::vector<std::vector<CopyJob>> shares(n);
  const size_t per = (total + n - 1) / n;
  size_t s = 0, room = per;
  for (CopyJob j : jobs) {
    while (j.bytes > 0) {
      const size_t take = std::min(j.bytes, room);
      shares[s].push_back({j.dst, j.src, take});
      j = {static_cast<char*>(j.dst) + take, static_cast<const char*>(j.src) + take, j.bytes - take};
      room -= take;
      if (room == 0 && s + 1 < n) ++s, room = per;
    }
  }
  return shares;
}

}  // namespace

CopyCrew::CopyCrew(int helpers, size_t min_split_bytes) : min_split_bytes_(min_split_bytes) {
  for (int i = 0; i < helpers; ++i) threads_.emplace_back([this, i] { helper_loop(static_cast<size_t>(i)); });
}

CopyCrew::~CopyCrew() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  start_cv_.notify_all();
  for (auto& t : threads_) t.join();
}

void CopyCrew::copy(const std::vector<CopyJob>& jobs) {
  size_t total = 0;
  for (const CopyJob& j : jobs) total += j.bytes;
  if (threads_.empty() || total < min_split_bytes_) return run_jobs(jobs);
  // Every share at least half the threshold: small batches use fewer helpers.
  const size_t n = std::clamp<size_t>(total / std::max<size_t>(1, min_split_bytes_ / 2), 1, threads_.size() + 1);
  if (n == 1) return run_jobs(jobs);
  std::vector<std::vector<CopyJob>> shares = share_out(jobs, total, n);
  {
    std::lock_guard<std::mutex> lock(mu_);
    shares_.assign(threads_.size(), {});
    for (size_t i = 1; i < n; ++i) shares_[i - 1] = std::move(shares[i]);
    pending_ = threads_.size();
    ++round_;
  }
  start_cv_.notify_all();
  run_jobs(shares[0]);
  std::unique_lock<std::mutex> lock(mu_);
  done_cv_.wait(lock, [&] { return pending_ == 0; });
}

void CopyCrew::helper_loop(size_t index) {
  uint64_t seen = 0;
  for (;;) {
    std::vector<CopyJob> mine;
    {
      std::unique_lock<std::mutex> lock(mu_);
      start_cv_.wait(lock, [&] { return stop_ || round_ != seen; });
      if (stop_) return;
      seen = round_;
      mine = std::move(shares_[index]);
    }
    run_jobs(mine);
    std::lock_guard<std::mutex> lock(mu_);
    if (--pending_ == 0) done_cv_.notify_one();
  }
}

}  // namespace tandem::serve
