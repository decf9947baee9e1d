// How a stage splits a batch among its units.
#pragma once

#include <cstdint>
#include <vector>

namespace tandem::runtime {

// Rows per unit for `batch` rows and `shares` (>= 0, not all 0; need not sum to 1 — they are
// normalised). Largest-remainder rounding: floors first, then one more row to the largest
// fractional parts (ties to the earlier unit), so the rows sum to `batch` exactly and a zero
// share gets zero rows.
std::vector<int64_t> split_rows(int64_t batch, const std::vector<double>& shares);

}  // namespace tandem::runtime
