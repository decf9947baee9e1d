#include "plan/search.h"

#include <algorithm>
#include <cmath>
#include <map>

namespace tandem::plan {
namespace {

bool runs(const Profile& p, size_t u, size_t begin, size_t end) {
  for (size_t i = begin; i < end; ++i)
    if (!p.units[u].pieces[i]) return false;
  return true;
}

// Largest-remainder rounding of non-negative weights to whole rows summing to `batch`.
std::vector<int64_t> round_rows(const std::vector<double>& w, int64_t batch) {
  double total = 0;
  for (double x : w) total += std::max(x, 0.0);
  std::vector<int64_t> rows(w.size(), 0);
  if (total <= 0) {
    rows[0] = batch;
    return rows;
  }
  std::vector<std::pair<double, size_t>> frac;
  int64_t given = 0;
  for (size_t i = 0; i < w.size(); ++i) {
    const double exact = std::max(w[i], 0.0) / total * static_cast<double>(batch);
    rows[i] = static_cast<int64_t>(std::floor(exact));
    given += rows[i];
    frac.emplace_back(exact - static_cast<double>(rows[i]), i);
  }
  std::stable_sort(frac.begin(), frac.end(), [](auto& a, auto& b) { return a.first > b.first; });
  for (size_t k = 0; given < batch; ++k, ++given) rows[frac[k % frac.size()].second] += 1;
  return rows;
}

// Busy seconds per batch of each unit in `shape` outside stage `skip`.
std::map<size_t, double> busy_outside(const Profile& p, const PlanShape& shape, size_t skip, bool several) {
  std::map<size_t, double> busy;
  for (size_t si = 0; si < shape.stages.size(); ++si) {
    if (si == skip) continue;
    const ShapeStage& st = shape.stages[si];
    for (size_t k = 0; k < st.units.size(); ++k) {
      auto t = p.time(st.units[k], st.begin, st.end, st.rows[k]);
      busy[st.units[k]] += t.value_or(1e30) * (several ? p.units[st.units[k]].slowdown : 1.0);
    }
  }
  return busy;
}

// Water-filling of stage `si`'s rows: each unit's busy time (other stages + fixed + per image)
// brought to one level T, found by bisection.
void water_fill(const Profile& p, PlanShape& shape, size_t si) {
  ShapeStage& st = shape.stages[si];
  const bool several = true;  // a multi-unit stage keeps several units busy
  auto other = busy_outside(p, shape, si, several);
  std::vector<double> a, b;
  for (size_t u : st.units) {
    const double slow = p.units[u].slowdown;
    double fixed = 0, per = 0;
    for (size_t i = st.begin; i < st.end; ++i) {
      fixed += p.units[u].pieces[i]->fixed_s;
      per += p.units[u].pieces[i]->per_image_s;
    }
    a.push_back(other[u] + slow * fixed);
    b.push_back(std::max(slow * per, 1e-15));
  }
  const double batch = static_cast<double>(shape.batch);
  auto rows_at = [&](double level) {
    double sum = 0;
    for (size_t k = 0; k < a.size(); ++k) sum += std::max(0.0, (level - a[k]) / b[k]);
    return sum;
  };
  double lo = 0, hi = 0;
  for (size_t k = 0; k < a.size(); ++k) hi = std::max(hi, a[k] + b[k] * batch);
  for (int it = 0; it < 100; ++it) {
    const double mid = (lo + hi) / 2;
    (rows_at(mid) < batch ? lo : hi) = mid;
  }
  std::vector<double> w;
  for (size_t k = 0; k < a.size(); ++k) w.push_back(std::max(0.0, (hi - a[k]) / b[k]));
  st.rows = round_rows(w, shape.batch);
}

// Better: higher throughput, then lower latency.
bool better(const Prediction& x, const Prediction& y) {
  if (x.feasible != y.feasible) return x.feasible;
  const double tol = 1e-12 * std::max(x.images_per_s, y.images_per_s);
  if (x.images_per_s > y.images_per_s + tol) return true;
  if (x.images_per_s < y.images_per_s - tol) return false;
  return x.latency_s < y.latency_s * (1 - 1e-12);
}

// Moves rows between the units of each multi-unit stage while the prediction improves, in
// steps halving from a quarter of the batch to one row.
void improve_rows(const Profile& p, PlanShape& shape) {
  Prediction best = predict(p, shape);
  for (int64_t step = std::max<int64_t>(1, shape.batch / 4);; step /= 2) {
    bool moved = true;
    while (moved) {
      moved = false;
      for (ShapeStage& st : shape.stages) {
        for (size_t i = 0; i < st.units.size(); ++i)
          for (size_t j = 0; j < st.units.size(); ++j) {
            if (i == j || st.rows[i] < step) continue;
            st.rows[i] -= step;
            st.rows[j] += step;
            Prediction pr = predict(p, shape);
            if (better(pr, best)) {
              best = pr;
              moved = true;
            } else {
              st.rows[i] += step;
              st.rows[j] -= step;
            }
          }
      }
    }
    if (step == 1) break;
  }
}

size_t units_used(const PlanShape& s) {
  std::vector<size_t> u;
  for (const auto& st : s.stages)
    for (size_t k = 0; k < st.units.size(); ++k)
      if (st.rows[k] > 0 && std::find(u.begin(), u.end(), st.units[k]) == u.end()) u.push_back(st.units[k]);
  return u.size();
}

// Subsets (bit masks) of `from` with at least `min_size` members.
std::vector<std::vector<size_t>> subsets(const std::vector<size_t>& from, size_t min_size, size_t max_units) {
  std::vector<std::vector<size_t>> out;
  const size_t n = std::min(from.size(), max_units);
  for (uint64_t mask = 1; mask < (uint64_t{1} << n); ++mask) {
    std::vector<size_t> s;
    for (size_t i = 0; i < n; ++i)
      if (mask & (uint64_t{1} << i)) s.push_back(from[i]);
    if (s.size() >= min_size) out.push_back(std::move(s));
  }
  return out;
}

// `s` as the runtime runs it: units left with no rows leave their stage, neighbouring stages on
// the same single unit merge (like runtime::plan_at_batch).
PlanShape normalized(PlanShape s) {
  std::vector<ShapeStage> out;
  for (ShapeStage st : s.stages) {
    ShapeStage kept{st.begin, st.end, {}, {}};
    for (size_t k = 0; k < st.units.size(); ++k)
      if (st.rows[k] > 0) {
        kept.units.push_back(st.units[k]);
        kept.rows.push_back(st.rows[k]);
      }
    if (!out.empty() && out.back().units.size() == 1 && kept.units.size() == 1 && out.back().units[0] == kept.units[0])
      out.back().end = kept.end;
    else
      out.push_back(std::move(kept));
  }
  s.stages = std::move(out);
  return s;
}

const char* kind_of(const PlanShape& s) {
  if (s.stages.size() == 1) return s.stages[0].units.size() == 1 ? "single" : "data-parallel";
  for (const auto& st : s.stages)
    if (st.units.size() > 1) return "front/tail";
  return "pipeline";
}

}  // namespace

PlanShape balance_rows(const Profile& p, PlanShape shape) {
  for (ShapeStage& st : shape.stages) st.rows.assign(st.units.size(), st.units.size() == 1 ? shape.batch : 0);
  bool multi = false;
  for (const ShapeStage& st : shape.stages) multi |= st.units.size() > 1;
  if (!multi) return shape;
  for (ShapeStage& st : shape.stages)  // start from equal rows so other stages' busy time is sane
    if (st.units.size() > 1) st.rows = round_rows(std::vector<double>(st.units.size(), 1.0), shape.batch);
  for (int pass = 0; pass < 3; ++pass)
    for (size_t si = 0; si < shape.stages.size(); ++si)
      if (shape.stages[si].units.size() > 1) water_fill(p, shape, si);
  improve_rows(p, shape);
  return shape;
}

std::vector<RankedShape> search_shapes(const Profile& p, const SearchOptions& o) {
  const size_t n = p.piece_count();
  std::vector<RankedShape> all;
  std::vector<size_t> whole;
  for (size_t u = 0; u < p.units.size(); ++u)
    if (runs(p, u, 0, n)) whole.push_back(u);
  std::vector<int64_t> batches;
  for (int64_t b : o.batches) {
    if (b <= 0) continue;
    if (o.images > 0) b = std::min(b, o.images);
    if (std::find(batches.begin(), batches.end(), b) == batches.end()) batches.push_back(b);
  }
  for (int64_t batch : batches) {
    auto consider = [&](PlanShape s) {
      s.batch = batch;
      s = normalized(balance_rows(p, std::move(s)));
      const char* kind = kind_of(s);
      Prediction pr = predict(p, s);
      if (!pr.feasible || (o.latency_s > 0 && pr.latency_s > o.latency_s)) return;
      double score = pr.images_per_s;
      if (o.images > 0) {
        const double more = static_cast<double>((o.images + batch - 1) / batch - 1);
        score = static_cast<double>(o.images) / (pr.latency_s + more * static_cast<double>(batch) / pr.images_per_s);
      }
      all.push_back(RankedShape{std::move(s), pr, kind, score});
    };
    for (size_t u : whole) consider(PlanShape{{ShapeStage{0, n, {u}, {}}}, batch});
    for (const auto& s : subsets(whole, 2, o.max_subset_units))
      consider(PlanShape{{ShapeStage{0, n, s, {}}}, batch});
    for (size_t c = 1; c < n; ++c) {
      std::vector<size_t> front, tail;
      for (size_t u = 0; u < p.units.size(); ++u) {
        if (runs(p, u, 0, c)) front.push_back(u);
        if (runs(p, u, c, n)) tail.push_back(u);
      }
      for (const auto& s : subsets(front, 1, o.max_subset_units))
        for (size_t t : tail) {
          if (s.size() == 1 && s[0] == t) continue;  // that is the unit alone
          consider(PlanShape{{ShapeStage{0, c, s, {}}, ShapeStage{c, n, {t}, {}}}, batch});
        }
    }
    if (o.three_stage_pipelines && p.units.size() >= 3)
      for (size_t c1 = 1; c1 < n; ++c1)
        for (size_t c2 = c1 + 1; c2 < n; ++c2)
          for (size_t a = 0; a < p.units.size(); ++a)
            for (size_t b = 0; b < p.units.size(); ++b)
              for (size_t d = 0; d < p.units.size(); ++d) {
                if (a == b || b == d || a == d) continue;
                if (!runs(p, a, 0, c1) || !runs(p, b, c1, c2) || !runs(p, d, c2, n)) continue;
                consider(PlanShape{{ShapeStage{0, c1, {a}, {}}, ShapeStage{c1, c2, {b}, {}}, ShapeStage{c2, n, {d}, {}}},
                                   batch});
              }
  }
  std::stable_sort(all.begin(), all.end(), [](const RankedShape& x, const RankedShape& y) {
    const double tol = 1e-9 * std::max(x.score, y.score);
    if (std::abs(x.score - y.score) > tol) return x.score > y.score;
    const size_t ux = units_used(x.shape), uy = units_used(y.shape);
    if (ux != uy) return ux < uy;
    return x.shape.stages.size() < y.shape.stages.size();
  });
  // Shapes that balanced to the same rows (a unit left with none) are one plan: keep the first.
  if (!all.empty() && o.near > 0) {  // near-ties first, by latency
    const double floor = all[0].score * (1 - o.near);
    auto end = std::find_if(all.begin(), all.end(), [&](const RankedShape& r) { return r.score < floor; });
    std::stable_sort(all.begin(), end, [](const RankedShape& x, const RankedShape& y) {
      return x.prediction.latency_s < y.prediction.latency_s;
    });
  }
  // Past max_results, the best single unit is still kept: the guarantee is measured against it.
  std::vector<RankedShape> out;
  bool single = false;
  for (auto& r : all) {
    bool dup = false;
    for (const auto& k : out) dup |= k.shape == r.shape;
    if (dup) continue;
    const bool is_single = units_used(r.shape) == 1;
    if (out.size() < o.max_results || (is_single && !single)) {
      single |= is_single;
      out.push_back(std::move(r));
    }
    if (out.size() >= o.max_results && single) break;
  }
  return out;
}

const RankedShape* best_single(const std::vector<RankedShape>& ranked) {
  for (const auto& r : ranked)
    if (units_used(r.shape) == 1) return &r;
  return nullptr;
}

}  // namespace tandem::plan
