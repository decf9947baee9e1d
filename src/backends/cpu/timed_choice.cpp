#include "backends/cpu/timed_choice.h"

#include <algorithm>

namespace tandem::cpu {

Result<Race> race(const std::function<Result<double>()>& a, const std::function<Result<double>()>& b,
                  const RaceRules& rules) {
  Race r{1e30, 1e30, false};
  for (int round = 0; round < std::max(rules.max_rounds, 1); ++round) {
    TANDEM_ASSIGN_OR_RETURN(double ta, a());
    TANDEM_ASSIGN_OR_RETURN(double tb, b());
    r.a_s = std::min(r.a_s, ta);
    r.b_s = std::min(r.b_s, tb);
    if (round + 1 >= rules.min_rounds && (r.b_s < rules.far * r.a_s || r.a_s < rules.far * r.b_s)) break;
  }
  r.b_wins = r.b_s <= rules.margin * r.a_s;
  return r;
}

}  // namespace tandem::cpu
