#include "plan/cost_model.h"

#include <algorithm>
#include <map>

namespace tandem::plan {

bool keeps_several_busy(const PlanShape& shape) {
  size_t first = SIZE_MAX;
  for (const ShapeStage& st : shape.stages)
    for (size_t k = 0; k < st.units.size(); ++k)
      if (st.rows[k] > 0) {
        if (first == SIZE_MAX) first = st.units[k];
        else if (st.units[k] != first) return true;
      }
  return false;
}

Prediction predict(const Profile& profile, const PlanShape& shape) {
  Prediction pr;
  if (shape.stages.empty() || shape.batch <= 0) return pr;
  const bool several = keeps_several_busy(shape);
  std::map<size_t, double> busy;  // per unit, seconds per batch
  // Which unit produced each row range of the previous stage's output: [first row, unit).
  std::vector<std::pair<int64_t, size_t>> producers;  // empty for stage 0 (host input)
  for (size_t si = 0; si < shape.stages.size(); ++si) {
    const ShapeStage& st = shape.stages[si];
    const int64_t crossing =
        si == 0 ? profile.input_bytes_per_image : profile.cuts[st.begin - 1].bytes_per_image;
    double stage_s = 0;
    int64_t row = 0;
    std::vector<std::pair<int64_t, size_t>> made;
    for (size_t k = 0; k < st.units.size(); ++k) {
      const int64_t x = st.rows[k];
      if (x <= 0) continue;
      const size_t u = st.units[k];
      auto t = profile.time(u, st.begin, st.end, x);
      if (!t) return pr;
      const UnitProfile& up = profile.units[u];
      double s = *t * (several ? up.slowdown : 1.0);
      // Copies in: rows [row, row + x) came from the producers of the previous stage (the host
      // for stage 0); each row from another unit costs sender + receiver per byte.
      double copy = 0;
      if (si == 0) {
        copy = static_cast<double>(x * crossing) * up.copy_s_per_byte;
      } else {
        for (size_t p = 0; p < producers.size(); ++p) {
          const int64_t lo = std::max(row, producers[p].first);
          const int64_t hi = std::min(row + x, p + 1 < producers.size() ? producers[p + 1].first : shape.batch);
          if (hi > lo && producers[p].second != u)
            copy += static_cast<double>((hi - lo) * crossing) *
                    (up.copy_s_per_byte + profile.units[producers[p].second].copy_s_per_byte);
        }
      }
      s += copy;
      busy[u] += s;
      stage_s = std::max(stage_s, s);
      made.emplace_back(row, u);
      row += x;
    }
    if (row != shape.batch) return pr;  // rows must cover the batch
    producers = std::move(made);
    pr.latency_s += stage_s;
  }
  double worst = 0;
  for (const auto& [u, s] : busy) worst = std::max(worst, s);
  pr.images_per_s = worst > 0 ? static_cast<double>(shape.batch) / worst : 0;
  pr.feasible = worst > 0;
  return pr;
}

Result<Plan> shape_to_plan(const Profile& profile, const PlanShape& shape) {
  std::vector<Stage> stages;
  const size_t n = shape.stages.size();
  for (size_t si = 0; si < n; ++si) {
    const ShapeStage& st = shape.stages[si];
    Stage s;
    s.name = n == 1 ? "all" : n == 2 ? (si == 0 ? "front" : "tail") : "s" + std::to_string(si);
    if (si + 1 < n) {
      if (st.end == 0 || st.end > profile.cuts.size()) return internal_error("plan shape: stage ends outside the cuts");
      s.end = profile.cuts[st.end - 1].tensor;
    }
    for (size_t k = 0; k < st.units.size(); ++k) {
      if (st.rows[k] <= 0 && st.units.size() > 1) continue;
      s.units.push_back(StageUnit{profile.units[st.units[k]].unit,
                                  static_cast<double>(st.rows[k]) / static_cast<double>(shape.batch)});
    }
    stages.push_back(std::move(s));
  }
  return Plan::make(std::move(stages));
}

}  // namespace tandem::plan
