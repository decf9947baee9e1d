// The search on synthetic profiles: it finds the best plan a brute force over every shape and
// every whole-row split finds; restrictions move the cut; slow units get little; a latency
// bound shrinks the batch.
#include <gtest/gtest.h>

#include <functional>
#include <random>
#include <set>

#include "plan/cost_model.h"
#include "plan/search.h"
#include "plans/synthetic_profile.h"

namespace tandem::plan {
namespace {

using plan_test::FakeUnit;
using plan_test::synthetic_profile;
using plan_test::uniform_unit;

bool runs_all(const Profile& p, size_t u, size_t b, size_t e) {
  for (size_t i = b; i < e; ++i)
    if (!p.units[u].pieces[i]) return false;
  return true;
}

// Every split of `batch` rows over `k` units (zeros allowed).
void for_each_split(int64_t batch, size_t k, const std::function<void(const std::vector<int64_t>&)>& f) {
  std::vector<int64_t> rows(k, 0);
  std::function<void(size_t, int64_t)> rec = [&](size_t i, int64_t left) {
    if (i + 1 == k) {
      rows[i] = left;
      f(rows);
      return;
    }
    for (int64_t x = 0; x <= left; ++x) {
      rows[i] = x;
      rec(i + 1, left - x);
    }
  };
  rec(0, batch);
}

// The best predicted throughput over every shape family of search.h and every row split.
double brute_force(const Profile& p, const std::vector<int64_t>& batches) {
  const size_t n = p.piece_count(), m = p.units.size();
  double best = 0;
  auto consider = [&](const PlanShape& s) {
    Prediction pr = predict(p, s);
    if (pr.feasible) best = std::max(best, pr.images_per_s);
  };
  for (int64_t b : batches) {
    for (uint32_t mask = 1; mask < (1u << m); ++mask) {
      std::vector<size_t> set;
      for (size_t u = 0; u < m; ++u)
        if (mask & (1u << u)) set.push_back(u);
      bool all = true;
      for (size_t u : set) all &= runs_all(p, u, 0, n);
      if (all)
        for_each_split(b, set.size(), [&](const std::vector<int64_t>& rows) { consider({{{0, n, set, rows}}, b}); });
      for (size_t c = 1; c < n; ++c) {
        bool front = true;
        for (size_t u : set) front &= runs_all(p, u, 0, c);
        if (!front) continue;
        for (size_t t = 0; t < m; ++t) {
          if (!runs_all(p, t, c, n)) continue;
          for_each_split(b, set.size(), [&](const std::vector<int64_t>& rows) {
            consider({{{0, c, set, rows}, {c, n, {t}, {b}}}, b});
          });
        }
      }
    }
    for (size_t c1 = 1; c1 < n; ++c1)
      for (size_t c2 = c1 + 1; c2 < n; ++c2)
        for (size_t a = 0; a < m; ++a)
          for (size_t x = 0; x < m; ++x)
            for (size_t d = 0; d < m; ++d)
              if (a != x && x != d && a != d) consider({{{0, c1, {a}, {b}}, {c1, c2, {x}, {b}}, {c2, n, {d}, {b}}}, b});
  }
  return best;
}

TEST(Search, FindsTheBruteForceBestOnRandomProfiles) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> fixed(0.0, 2e-3), per(1e-4, 3e-3), slow(1.0, 1.5);
  std::bernoulli_distribution refuse(0.2);
  const std::vector<int64_t> batches{1, 3, 6, 8};
  int checked = 0;
  for (int trial = 0; trial < 40; ++trial) {
    const size_t pieces = 3, units = 2 + static_cast<size_t>(trial % 2);
    std::vector<FakeUnit> us;
    for (size_t u = 0; u < units; ++u) {
      FakeUnit f{"u" + std::to_string(u), {}, slow(rng)};
      for (size_t i = 0; i < pieces; ++i)
        f.pieces.push_back(refuse(rng) && u > 0 ? std::nullopt : std::optional<LinearCost>(LinearCost{fixed(rng), per(rng)}));
      us.push_back(f);
    }
    Profile p = synthetic_profile(us, pieces);
    SearchOptions o;
    o.batches = batches;
    o.near = 0;  // rank by throughput alone
    auto ranked = search_shapes(p, o);
    const double want = brute_force(p, batches);
    if (want == 0) {
      EXPECT_TRUE(ranked.empty());
      continue;
    }
    ASSERT_FALSE(ranked.empty()) << "trial " << trial;
    EXPECT_NEAR(ranked[0].prediction.images_per_s, want, 1e-9 * want) << "trial " << trial;
    for (size_t i = 1; i < ranked.size(); ++i)
      EXPECT_LE(ranked[i].prediction.images_per_s, ranked[i - 1].prediction.images_per_s * (1 + 1e-9));
    ++checked;
  }
  EXPECT_GT(checked, 30);
}

TEST(Search, OneUnitGivesThatUnit) {
  Profile p = synthetic_profile({uniform_unit("cpu", 3, 1e-3, 1e-3)}, 3);
  SearchOptions o;
  o.near = 0;
  auto ranked = search_shapes(p, o);
  ASSERT_FALSE(ranked.empty());
  auto plan = shape_to_plan(p, ranked[0].shape);
  ASSERT_TRUE(plan.is_ok());
  EXPECT_EQ(plan_to_short_string(*plan), "all:cpu");
  EXPECT_EQ(ranked[0].shape.batch, 256);  // a fixed cost: the largest batch amortises it best
}

// Two equal units run the whole model data-parallel; when one cannot run the last piece the
// front ends at the last cut, and when it cannot run the last two, at the first.
// 3 ms + 3 ms per image: batch 128 is 0.5% slower than 256 at half the latency; 64 is 1.2% slower.
TEST(Search, NearTiesRankByLatency) {
  Profile p = synthetic_profile({uniform_unit("cpu", 3, 1e-3, 1e-3)}, 3);
  SearchOptions o;
  o.near = 0.01;
  auto ranked = search_shapes(p, o);
  ASSERT_GE(ranked.size(), 2u);
  EXPECT_EQ(ranked[0].shape.batch, 128);
  EXPECT_EQ(ranked[1].shape.batch, 256);
  o.near = 0.02;
  EXPECT_EQ(search_shapes(p, o)[0].shape.batch, 64);
}

TEST(Search, RestrictingAUnitsOpsMovesTheCut) {
  SearchOptions o;
  o.batches = {8};
  o.three_stage_pipelines = false;
  auto best_plan = [&](const Profile& p) {
    auto ranked = search_shapes(p, o);
    EXPECT_FALSE(ranked.empty());
    auto plan = shape_to_plan(p, ranked[0].shape);
    EXPECT_TRUE(plan.is_ok());
    return plan.is_ok() ? plan_to_short_string(*plan) : "";
  };
  const LinearCost c{0, 1e-3};
  FakeUnit a{"a", {c, c, c}}, b{"b", {c, c, c}};
  EXPECT_EQ(best_plan(synthetic_profile({a, b}, 3)), "all:a=0.5,b=0.5");
  b.pieces[2] = std::nullopt;
  EXPECT_EQ(best_plan(synthetic_profile({a, b}, 3)).substr(0, 11), "front@cut2:");
  b.pieces[1] = std::nullopt;
  EXPECT_EQ(best_plan(synthetic_profile({a, b}, 3)).substr(0, 11), "front@cut1:");
}

TEST(Search, AFarSlowerUnitGetsASmallOrNoShare) {
  Profile p = synthetic_profile({uniform_unit("fast", 2, 1e-4, 1e-4), uniform_unit("slow", 2, 1e-4, 1e-2)}, 2);
  SearchOptions o;
  o.batches = {64};
  auto ranked = search_shapes(p, o);
  ASSERT_FALSE(ranked.empty());
  auto plan = shape_to_plan(p, ranked[0].shape);
  ASSERT_TRUE(plan.is_ok());
  for (const auto& st : plan->stages())
    for (const auto& su : st.units)
      if (su.unit == "slow") EXPECT_LE(su.share, 0.02) << plan_to_short_string(*plan);
}

// A unit balanced to no rows leaves its stage: such shapes are the plan the runtime runs (a single
// unit, a pipeline), listed once, under that kind.
TEST(Search, ShapesAreListedOnceAsTheRuntimeRunsThem) {
  Profile p = synthetic_profile({uniform_unit("fast", 2, 1e-4, 1e-4), uniform_unit("slow", 2, 1e-2, 1e-1)}, 2);
  SearchOptions o;
  o.batches = {1, 4};
  o.max_results = 1000;
  auto ranked = search_shapes(p, o);
  std::set<std::string> seen;
  for (const auto& r : ranked) {
    auto plan = shape_to_plan(p, r.shape);
    ASSERT_TRUE(plan.is_ok());
    const std::string key = plan_to_short_string(*plan) + " @" + std::to_string(r.shape.batch);
    EXPECT_TRUE(seen.insert(key).second) << key << " twice";
    for (const auto& st : r.shape.stages)
      for (int64_t rows : st.rows) EXPECT_GT(rows, 0) << key;
    if (r.kind == "single") EXPECT_EQ(plan->stages().size() + plan->stages()[0].units.size(), 2u) << key;
  }
}

TEST(Search, ALatencyBoundShrinksTheBatch) {
  // 10 ms fixed + 1 ms per image: throughput grows with the batch, latency too.
  Profile p = synthetic_profile({uniform_unit("gpu", 1, 10e-3, 1e-3)}, 1);
  SearchOptions o;
  auto free = search_shapes(p, o);
  ASSERT_FALSE(free.empty());
  EXPECT_EQ(free[0].shape.batch, 256);
  o.latency_s = 30e-3;  // batch 16: 26 ms; batch 32: 42 ms
  auto bound = search_shapes(p, o);
  ASSERT_FALSE(bound.empty());
  EXPECT_EQ(bound[0].shape.batch, 16);
  EXPECT_LE(bound[0].prediction.latency_s, 30e-3);
  o.latency_s = 1e-3;  // nothing fits
  EXPECT_TRUE(search_shapes(p, o).empty());
}

// 10 ms + 1 ms per image. Ten images offline: one batch of 10 (20 ms) beats 8 + 2 (two 18 ms
// periods) though batch 256 streams faster; 1000 images: batch 256 (4 batches) again.
TEST(Search, AnOfflineRunOfNImagesChoosesItsChunks) {
  Profile p = synthetic_profile({uniform_unit("gpu", 1, 10e-3, 1e-3)}, 1);
  SearchOptions o;
  o.near = 0;
  o.images = 10;
  auto few = search_shapes(p, o);
  ASSERT_FALSE(few.empty());
  EXPECT_EQ(few[0].shape.batch, 10);
  EXPECT_NEAR(few[0].score, 10 / 20e-3, 1e-6);
  o.images = 1000;
  auto many = search_shapes(p, o);
  ASSERT_FALSE(many.empty());
  EXPECT_EQ(many[0].shape.batch, 256);
}

TEST(CostModel, SlowdownAppliesOnlyWhenSeveralUnitsAreBusy) {
  Profile p = synthetic_profile({uniform_unit("a", 1, 0, 1e-3, 2.0), uniform_unit("b", 1, 0, 1e-3, 2.0)}, 1);
  Prediction alone = predict(p, PlanShape{{{0, 1, {0}, {10}}}, 10});
  EXPECT_NEAR(alone.images_per_s, 1000, 1e-6);
  Prediction both = predict(p, PlanShape{{{0, 1, {0, 1}, {5, 5}}}, 10});
  EXPECT_NEAR(both.images_per_s, 1000, 1e-6);  // twice the units, each twice as slow
  Prediction missing = predict(p, PlanShape{{{0, 1, {0, 1}, {5, 4}}}, 10});
  EXPECT_FALSE(missing.feasible);  // rows must cover the batch
}

TEST(CostModel, CopiesCostBetweenDifferentUnitsOnly) {
  Profile p = synthetic_profile({uniform_unit("gpu", 2, 0, 1e-3), uniform_unit("dla", 2, 0, 1e-3)}, 2);
  p.units[0].copy_s_per_byte = 1e-6;  // 100 bytes per image cross each cut
  p.units[1].copy_s_per_byte = 1e-6;
  Prediction pipe = predict(p, PlanShape{{{0, 1, {0}, {10}}, {1, 2, {1}, {10}}}, 10});
  // stage 0: 10 ms + input 10 x 100 B x 1e-6 = 1 ms; stage 1: 10 ms + 1000 B x 2e-6 = 2 ms.
  EXPECT_NEAR(pipe.latency_s, 23e-3, 1e-9);
  EXPECT_NEAR(pipe.images_per_s, 10 / 12e-3, 1e-6);
}

}  // namespace
}  // namespace tandem::plan
