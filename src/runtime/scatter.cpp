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

// Why: at batch 1 an 85/15 data-parallel split sends every image to one unit, so that plan is the
// unit alone and must compete as such. On the H200 machine it won once (by noise, past the 3%
// margin given to co-execution), and ran GPU-only through the several-unit runtime's host staging.
plan::Plan plan_at_batch(const plan::Plan& p, int64_t batch) {
  std::vector<plan::Stage> stages;
  for (const plan::Stage& st : p.stages()) {
    std::vector<double> shares;
    for (const auto& su : st.units) shares.push_back(su.share);
    const std::vector<int64_t> rows = split_rows(batch, shares);
    plan::Stage kept{st.name, st.end, {}};
    for (size_t i = 0; i < st.units.size(); ++i)
      if (rows[i] > 0)
        kept.units.push_back({st.units[i].unit, static_cast<double>(rows[i]) / static_cast<double>(batch)});
    if (kept.units.empty()) return p;  // cannot happen for batch >= 1; keep the plan as given
    const bool merge = !stages.empty() && kept.units.size() == 1 && stages.back().units.size() == 1 &&
                       stages.back().units[0].unit == kept.units[0].unit;
    if (merge)
      stages.back().end = kept.end;
    else
      stages.push_back(std::move(kept));
  }
  if (stages.size() == 1 && stages[0].units.size() == 1) return plan::Plan::single_unit(stages[0].units[0].unit);
  auto made = plan::Plan::make(std::move(stages));
  return made.is_ok() ? *made : p;
}

}  // namespace tandem::runtime
