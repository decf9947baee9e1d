// The cpu backend's timed choices (Winograd or direct per conv, conv_choice.h; the conv layout
// per segment, cpu_backend.cpp): two ways to run the same work, timed in alternating rounds so
// that drift hits both alike, each answer kept per process.
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "tandem/status.h"

namespace tandem::cpu {

struct RaceRules {
  int min_rounds = 1;    // rounds before a side far ahead ends the race
  int max_rounds = 3;
  double far = 0.8;      // far ahead: under `far` x the other's time
  double margin = 0.95;  // `b` wins when its best round takes at most `margin` x `a`'s
};

struct Race {
  double a_s = 0, b_s = 0;  // the best round of each, seconds
  bool b_wins = false;
};

// `a` and `b` each time one round (seconds); they alternate, a first.
Result<Race> race(const std::function<Result<double>()>& a, const std::function<Result<double>()>& b,
                  const RaceRules& rules);

// Answers by key, for the process's lifetime; thread-safe.
class ChoiceMemo {
 public:
  std::optional<bool> find(const std::string& key) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = known_.find(key);
    return it == known_.end() ? std::nullopt : std::optional<bool>(it->second);
  }
  void keep(const std::string& key, bool answer) {
    std::lock_guard<std::mutex> lock(mu_);
    known_[key] = answer;
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, bool> known_;
};

}  // namespace tandem::cpu
