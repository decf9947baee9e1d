// Profiles: the linear fit, JSON round trip and bad files, and the profiler's cache (a stale or
// foreign profile is measured again) with injected timings on a small model.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "plan/profiler.h"
#include "plans/plan_test_util.h"
#include "plans/synthetic_profile.h"

namespace tandem::plan {
namespace {

namespace fs = std::filesystem;

TEST(Profile, FitLinearRecoversFixedAndPerImage) {
  LinearCost c = fit_linear({{1, 0.003}, {8, 0.010}, {16, 0.018}});
  EXPECT_NEAR(c.fixed_s, 0.002, 2e-4);
  EXPECT_NEAR(c.per_image_s, 0.001, 2e-5);
  EXPECT_EQ(fit_linear({{4, 0.008}}).per_image_s, 0.002);
  LinearCost flat = fit_linear({{1, 0.005}, {8, 0.004}});  // noise: slower at batch 1 than 8
  EXPECT_EQ(flat.per_image_s, 0);
  EXPECT_GT(flat.fixed_s, 0);
}

// Measured points: the curve through them, extended along its end segments; the chunked time of
// a unit with max_batch sums full chunks and the rest.
TEST(Profile, PointsInterpolateAndExtend) {
  LinearCost gpu{0, 0, {{1, 1.0e-3}, {64, 1.0e-3}, {256, 4.0e-3}}};  // flat until it fills
  EXPECT_DOUBLE_EQ(gpu.at(32), 1.0e-3);
  EXPECT_DOUBLE_EQ(gpu.at(160), 2.5e-3);
  EXPECT_DOUBLE_EQ(gpu.at(512), 8.0e-3);
  const LinearCost line{2e-3, 1e-3, {}};
  EXPECT_DOUBLE_EQ(line.at(10), 12e-3);  // no points: the line
  Profile p = plan_test::synthetic_profile({plan_test::FakeUnit{"gpu", {gpu}}}, 1);
  p.units[0].max_batch = 256;
  ASSERT_TRUE(p.time(0, 0, 1, 600).has_value());
  EXPECT_NEAR(*p.time(0, 0, 1, 600), 2 * 4.0e-3 + gpu.at(88), 1e-12);
  p.units[0].pieces[0]->points = {{8, 1e-3}, {4, 2e-3}};
  EXPECT_FALSE(validate_profile(p).is_ok());  // batches must increase
}

TEST(Profile, JsonRoundTrip) {
  Profile p = plan_test::synthetic_profile({plan_test::uniform_unit("cuda:0", 3, 1e-4, 2e-4, 1.25),
                                            plan_test::uniform_unit("dla:0", 3, 3e-4, 1e-3)}, 3);
  p.units[1].pieces[2] = std::nullopt;
  p.units[1].pieces[0]->points = {{1, 2e-3}, {8, 9e-3}};
  p.units[1].max_batch = 4096;
  p.units[0].copy_s_per_byte = 5e-11;
  p.batches = {1, 8};
  p.source = "test";
  auto back = profile_from_json(profile_to_json(p));
  ASSERT_TRUE(back.is_ok()) << back.status().to_string();
  EXPECT_EQ(*back, p);
}

TEST(Profile, BadFilesGiveOneClearError) {
  auto bad = [](const std::string& text, const std::string& needle) {
    auto r = profile_from_json(text);
    ASSERT_FALSE(r.is_ok()) << text;
    EXPECT_NE(r.status().message().find(needle), std::string::npos) << r.status().message();
  };
  bad("{", "not valid JSON");
  bad(R"({"units": []})", "not a Tandem profile");
  bad(R"({"format": "tandem-profile", "format_version": 1, "units": []})", "no units");
  bad(R"({"format": "tandem-profile", "format_version": 1, "cuts": [{"tensor": "t"}],
          "units": [{"unit": "a", "pieces": [{"fixed_s": 0, "per_image_s": 1}]}]})", "has 1 pieces, the cuts make 2");
  bad(R"({"format": "tandem-profile", "format_version": 1,
          "units": [{"unit": "a", "pieces": [{"fixed_s": 0, "per_image_s": "x"}]}]})", "units[0].pieces[0].per_image_s");
  bad(R"({"format": "tandem-profile", "format_version": 1,
          "units": [{"unit": "a", "slowdown": 0.5, "pieces": [{"fixed_s": 0, "per_image_s": 1}]}]})", "slowdown");
  EXPECT_FALSE(load_profile("/nonexistent/p.json").is_ok());
}

class Profiler : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("tandem_profile_test_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    graphs_ = plan_test::graphs_for(plan_test::small_cnn(), {1, 3, 8, 8});
    units_ = plan_test::units("reference:0, reference:1/no=Gemm");
    o_.cache_dir = dir_.string();
    o_.machine = "m";
    o_.model = "small_cnn";
    o_.version = "1";
    // Time = rows x (1 ms on unit 0, 2 ms on unit 1) x nodes; together 1.5x slower.
    o_.time_segment = [this](const Unit& u, const ir::Graph& seg) -> Result<double> {
      ++timed_;
      const double rows = static_cast<double>(seg.info(seg.inputs[0])->shape[0]);
      return rows * (u.name() == "reference:0-0" ? 1e-3 : 2e-3) * static_cast<double>(seg.nodes.size()) + 1e-4;
    };
    o_.time_together = [this](const std::vector<Unit>& us, const std::vector<const ir::Graph*>& segs)
        -> Result<std::vector<double>> {
      std::vector<double> v;
      for (size_t i = 0; i < us.size(); ++i) v.push_back(1.5 * *o_.time_segment(us[i], *segs[i]));
      return v;
    };
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
  GraphForBatch graphs_;
  std::vector<Unit> units_;
  ProfileOptions o_;
  int timed_ = 0;
};

TEST_F(Profiler, MeasuresFitsAndCachesAndRemeasuresAStaleProfile) {
  auto first = profile_units(graphs_, units_, o_);
  ASSERT_TRUE(first.is_ok()) << first.status().to_string();
  EXPECT_FALSE(first->from_cache);
  const Profile& p = first->profile;
  ASSERT_EQ(p.units.size(), 2u);
  // The restricted unit's cut is a candidate: the last cut before Gemm ('flat').
  bool flat = false;
  for (const auto& c : p.cuts) flat |= c.tensor == "flat";
  EXPECT_TRUE(flat);
  EXPECT_FALSE(p.units[1].pieces.back().has_value());  // the Gemm piece
  EXPECT_TRUE(p.units[0].pieces.back().has_value());
  EXPECT_NEAR(p.units[0].slowdown, 1.5, 1e-9);
  ASSERT_TRUE(p.units[0].pieces[0].has_value());
  // The pieces (1e-4 s fixed each) are scaled so that together they take what one run over all
  // of them takes at batch 8 (one 1e-4 s fixed cost).
  auto g8 = graphs_(8);
  ASSERT_TRUE(g8.is_ok());
  const double whole = 8 * 1e-3 * static_cast<double>((*g8)->nodes.size()) + 1e-4;
  ASSERT_TRUE(p.time(0, 0, p.piece_count(), 8).has_value());
  EXPECT_NEAR(*p.time(0, 0, p.piece_count(), 8), whole, 1e-9);
  EXPECT_GT(p.units[0].pieces[0]->fixed_s, 0.0);
  const int after_first = timed_;
  EXPECT_GT(after_first, 0);

  auto second = profile_units(graphs_, units_, o_);
  ASSERT_TRUE(second.is_ok());
  EXPECT_TRUE(second->from_cache);
  EXPECT_EQ(second->profile, p);
  EXPECT_EQ(timed_, after_first);  // nothing measured

  // The cached file of this identity now says another version: stale, measured again.
  Profile old = p;
  old.version = "0";
  ASSERT_TRUE(save_profile(old, profile_cache_path(o_.cache_dir, p)).is_ok());
  auto third = profile_units(graphs_, units_, o_);
  ASSERT_TRUE(third.is_ok());
  EXPECT_FALSE(third->from_cache);
  EXPECT_NE(third->note.find("stale"), std::string::npos) << third->note;
  EXPECT_GT(timed_, after_first);

  // Another unit spec is another file: measured.
  const int before = timed_;
  auto other = profile_units(graphs_, plan_test::units("reference:0"), o_);
  ASSERT_TRUE(other.is_ok());
  EXPECT_FALSE(other->from_cache);
  EXPECT_GT(timed_, before);
}

// One busy round (3x) among three: the slowdown is the median ratio, 1.5x, not a mean.
// A GPU-like unit: every segment run pays its own transfer (here 50 ms per image), so pieces
// timed one by one sum to many times one run over them. At every profiled batch the pieces are
// scaled to the whole run, however far below their sum it is.
TEST_F(Profiler, PiecesMatchTheWholeRunAtEveryBatch) {
  o_.time_segment = [](const Unit& u, const ir::Graph& seg) -> Result<double> {
    const double rows = static_cast<double>(seg.info(seg.inputs[0])->shape[0]);
    return rows * (u.name() == "reference:0-0" ? 1e-3 : 2e-3) * static_cast<double>(seg.nodes.size()) + 0.05 * rows;
  };
  auto r = profile_units(graphs_, units_, o_);
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  const Profile& p = r->profile;
  ASSERT_GE(p.piece_count(), 3u);
  for (int64_t b : p.batches) {
    auto g = graphs_(b);
    ASSERT_TRUE(g.is_ok());
    const double rows = static_cast<double>(b);
    const double whole = rows * 1e-3 * static_cast<double>((*g)->nodes.size()) + 0.05 * rows;
    ASSERT_TRUE(p.time(0, 0, p.piece_count(), b).has_value());
    EXPECT_NEAR(*p.time(0, 0, p.piece_count(), b), whole, 1e-9 + 1e-6 * whole) << "batch " << b;
  }
}

TEST_F(Profiler, SlowdownIsTheMedianOfRounds) {
  int round = 0;
  o_.cache_dir.clear();
  o_.time_together = [this, &round](const std::vector<Unit>& us, const std::vector<const ir::Graph*>& segs)
      -> Result<std::vector<double>> {
    const double f = round++ == 0 ? 3.0 : 1.5;
    std::vector<double> v;
    for (size_t i = 0; i < us.size(); ++i) v.push_back(f * *o_.time_segment(us[i], *segs[i]));
    return v;
  };
  auto r = profile_units(graphs_, units_, o_);
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  EXPECT_EQ(round, 3);
  EXPECT_NEAR(r->profile.units[0].slowdown, 1.5, 1e-9);
  EXPECT_NEAR(r->profile.units[1].slowdown, 1.5, 1e-9);
  // refresh: measured although the cache has it
  o_.cache_dir = dir_.string();
  ASSERT_TRUE(profile_units(graphs_, units_, o_).is_ok());
  o_.refresh = true;
  auto again = profile_units(graphs_, units_, o_);
  ASSERT_TRUE(again.is_ok());
  EXPECT_FALSE(again->from_cache);
}

TEST_F(Profiler, RealTimingsGivePositiveCosts) {
  o_.time_segment = nullptr;
  o_.time_together = nullptr;
  o_.cache_dir.clear();
  o_.runs = 1;
  o_.batches = {1, 2};
  auto r = profile_units(graphs_, units_, o_);
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  for (const auto& u : r->profile.units) {
    EXPECT_GE(u.slowdown, 1.0);
    for (const auto& c : u.pieces)
      if (c) EXPECT_GT(c->fixed_s + c->per_image_s, 0.0);
  }
}

}  // namespace
}  // namespace tandem::plan
