// How a stage splits a batch among its units.
#pragma once

#include <cstdint>
#include <vector>

#include "plan/plan.h"

namespace tandem::runtime {

// Rows per unit for `batch` rows and `shares` (>= 0, not all 0; need not sum to 1 — they are
// normalised). Largest-remainder rounding: floors first, then one more row to the largest
// fractional parts (ties to the earlier unit), so the rows sum to `batch` exactly and a zero
// share gets zero rows.
std::vector<int64_t> split_rows(int64_t batch, const std::vector<double>& shares);

// `p` as the runtime runs it on batches of `batch` rows: a unit whose share rounds to no rows
// leaves its stage (the others' shares become their rows / batch), neighbouring stages left on
// the same single unit merge, and one stage on one unit is Plan::single_unit.
plan::Plan plan_at_batch(const plan::Plan& p, int64_t batch);

}  // namespace tandem::runtime
