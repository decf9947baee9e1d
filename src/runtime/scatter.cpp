#include "runtime/scatter.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace tandem::runtime {

std::vector<int64_t> split_rows(int64_t batch, const std::vector<double>& shares) {
  std::vector<int64_t> rows(shares.size(), 0);
  double total = 0;
  for (double s : shares) total += std::max(0.0, s);
  if (shares.empty() || total <= 0) return rows;
  std::vector<double> frac(shares.size(), 0);
  int64_t given = 0;
  for (size_t i = 0; i < shares.size(); ++i) {
    double exact = static_cast<double>(batch) * std::max(0.0, shares[i]) / total;
    rows[i] = static_cast<int64_t>(std::floor(exact));
    frac[i] = exact - static_cast<double>(rows[i]);
    given += rows[i];
  }
  std::vector<size_t> order(shares.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return frac[a] > frac[b]; });
  for (size_t k = 0; given < batch; k = (k + 1) % order.size()) {
    if (shares[order[k]] <= 0) continue;  // a zero share never gets rows
    ++rows[order[k]];
    ++given;
  }
  // Floating error could give one row too many; take it back from the largest.
  while (given > batch) {
    auto it = std::max_element(rows.begin(), rows.end());
    --*it;
    --given;
  }
  return rows;
}

}  // namespace tandem::runtime
