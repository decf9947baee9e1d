// A scripted MeasurePlanFn for the choice and tune tests: no plan runs.
#pragma once

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "plan/measured_choice.h"

namespace tandem::plan_test {

using plan::Plan;
using plan::PlanTiming;

// Each plan (by short form) answers its rounds from a script, the last value repeating.
inline plan::MeasurePlanFn scripted(std::map<std::string, std::vector<double>> script, std::map<std::string, int>* calls = nullptr) {
  auto state = std::make_shared<std::map<std::string, size_t>>();
  return [script, state, calls](const Plan& p, int64_t, double) -> Result<PlanTiming> {
    const std::string k = plan_to_short_string(p);
    auto it = script.find(k);
    if (it == script.end()) return internal_error("unscripted plan " + k);
    size_t& i = (*state)[k];
    const double v = it->second[std::min(i, it->second.size() - 1)];
    ++i;
    if (calls) ++(*calls)[k];
    return PlanTiming{v, 0.01, {}};
  };
}

}  // namespace tandem::plan_test
