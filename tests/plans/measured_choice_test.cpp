// The measured choice with scripted timings: noise cannot make a co-execution plan win, a
// consistent win does.
#include <gtest/gtest.h>

#include <map>

#include "plan/measured_choice.h"
#include "plans/plan_test_util.h"
#include "plans/scripted_timing.h"

namespace tandem::plan {
namespace {

using plan_test::scripted;

std::vector<TimedCandidate> candidates(const std::vector<std::string>& plans) {
  std::vector<TimedCandidate> v;
  for (const auto& s : plans) {
    auto p = parse_plan(s);
    EXPECT_TRUE(p.is_ok()) << s;
    v.push_back(TimedCandidate{*p, 8, false, {}, 0, "test"});
  }
  return v;
}

const std::string kA = "all:a", kB = "all:b", kCo = "all:a=0.5,b=0.5";

TEST(MeasuredChoice, OneLuckyRoundDoesNotMakeACoPlanWin) {
  // The single unit's first round fell on a busy moment; the co plan is really 0.2x as fast.
  auto m = scripted({{kA, {30, 100, 100}}, {kB, {20}}, {kCo, {50, 20, 20}}});
  auto ch = choose_by_measurement(candidates({kA, kB, kCo}), m, ChoiceOptions{});
  ASSERT_TRUE(ch.is_ok()) << ch.status().to_string();
  EXPECT_EQ(plan_to_short_string(ch->plan), kA) << ch->why;
  EXPECT_NE(ch->why.find("best single unit"), std::string::npos) << ch->why;
}

TEST(MeasuredChoice, ACoPlanMustWinEveryRound) {
  auto m = scripted({{kA, {100}}, {kB, {20}}, {kCo, {200, 95, 200}}});
  auto ch = choose_by_measurement(candidates({kA, kB, kCo}), m, ChoiceOptions{});
  ASSERT_TRUE(ch.is_ok());
  EXPECT_EQ(plan_to_short_string(ch->plan), kA) << ch->why;
  EXPECT_NE(ch->why.find("every round"), std::string::npos) << ch->why;
}

TEST(MeasuredChoice, AConsistentWinAboveTheMarginWins) {
  auto m = scripted({{kA, {100, 102, 98}}, {kB, {20}}, {kCo, {130, 128, 131}}});
  auto ch = choose_by_measurement(candidates({kA, kB, kCo}), m, ChoiceOptions{});
  ASSERT_TRUE(ch.is_ok());
  EXPECT_EQ(plan_to_short_string(ch->plan), kCo) << ch->why;
  EXPECT_EQ(ch->candidates[2].rounds.size(), 3u);
  EXPECT_EQ(ch->candidates[1].rounds.size(), 3u);  // both single units are finalists
  ChoiceOptions one;
  one.finalists = 1;
  ch = choose_by_measurement(candidates({kA, kB, kCo}), scripted({{kA, {100, 102, 98}}, {kB, {20}}, {kCo, {130, 128, 131}}}), one);
  ASSERT_TRUE(ch.is_ok());
  EXPECT_EQ(ch->candidates[1].rounds.size(), 1u);  // not a finalist: timed once
}

// The co-plan with the best first round is not the fastest: with two co finalists the other one's
// median wins; with one, the lucky one is kept.
TEST(MeasuredChoice, TwoCoFinalistsSurviveOneLuckyFirstRound) {
  const std::string kCo2 = "all:a=0.6,b=0.4";
  auto script = std::map<std::string, std::vector<double>>{{kA, {100}}, {kCo, {200, 110, 110}}, {kCo2, {150}}};
  auto ch = choose_by_measurement(candidates({kA, kCo, kCo2}), scripted(script), ChoiceOptions{});
  ASSERT_TRUE(ch.is_ok());
  EXPECT_EQ(plan_to_short_string(ch->plan), kCo2) << ch->why;
  ChoiceOptions one;
  one.finalists = 1;
  ch = choose_by_measurement(candidates({kA, kCo, kCo2}), scripted(script), one);
  ASSERT_TRUE(ch.is_ok());
  EXPECT_EQ(plan_to_short_string(ch->plan), kCo) << ch->why;
}

// The single unit with the best first round is not the fastest one: the co-plan must beat the
// one with the best median (100), not the lucky one (80 after a first 120).
TEST(MeasuredChoice, TheCoPlanMustBeatTheFastestSingleUnitByMedian) {
  auto script = std::map<std::string, std::vector<double>>{{kA, {50, 100, 100}}, {kB, {120, 80, 80}}, {kCo, {95}}};
  auto ch = choose_by_measurement(candidates({kA, kB, kCo}), scripted(script), ChoiceOptions{});
  ASSERT_TRUE(ch.is_ok());
  EXPECT_EQ(plan_to_short_string(ch->plan), kA) << ch->why;
}

TEST(MeasuredChoice, AWinWithinTheMarginKeepsTheSingleUnit) {
  auto m = scripted({{kA, {100}}, {kCo, {102}}});
  ChoiceOptions o;
  o.co_margin = 0.05;
  auto ch = choose_by_measurement(candidates({kA, kCo}), m, o);
  ASSERT_TRUE(ch.is_ok());
  EXPECT_EQ(plan_to_short_string(ch->plan), kA) << ch->why;
  o.co_margin = 0.01;
  ch = choose_by_measurement(candidates({kA, kCo}), scripted({{kA, {100}}, {kCo, {102}}}), o);
  ASSERT_TRUE(ch.is_ok());
  EXPECT_EQ(plan_to_short_string(ch->plan), kCo) << ch->why;
}

TEST(MeasuredChoice, ErrorsPassThrough) {
  auto ch = choose_by_measurement(candidates({kA, "all:c"}), scripted({{kA, {1}}}), ChoiceOptions{});
  ASSERT_FALSE(ch.is_ok());
  EXPECT_NE(ch.status().message().find("all:c"), std::string::npos);
  ChoiceOptions bad;
  bad.rounds = 0;
  EXPECT_FALSE(choose_by_measurement(candidates({kA}), scripted({{kA, {1}}}), bad).is_ok());
}

// The engine's choice on a real graph: the seed's plan, each unit alone, data-parallel, timed;
// with compare off, the seed's plan untimed.
TEST(MeasuredChoice, ChoosePlanForBatchTimesTheCandidatesUnlessToldNotTo) {
  auto graphs = plan_test::graphs_for(plan_test::small_cnn(), {8, 3, 8, 8});
  auto graph = plan_test::at_batch(graphs, 8);
  ASSERT_TRUE(graph);
  auto units = plan_test::units("reference:0, reference:1");
  ChoiceOptions o;
  o.calibrate = [](const Unit& u, const ir::Graph&) -> Result<double> { return u.name() == "reference:0-0" ? 300.0 : 100.0; };
  std::map<std::string, int> calls;
  auto m = scripted({{"all:reference:0-0=0.75,reference:1-1=0.25", {130}},
                     {"all:reference:0-0", {100}},
                     {"all:reference:1-1", {40}},
                     {"all:reference:0-0=0.714286,reference:1-1=0.285714", {120}}},  // by the rates alone
                    &calls);
  auto ch = choose_plan_for_batch(*graph, units, graphs, 8, m, o);
  ASSERT_TRUE(ch.is_ok()) << ch.status().to_string();
  EXPECT_EQ(plan_to_short_string(ch->plan), "all:reference:0-0=0.75,reference:1-1=0.25") << ch->why;
  EXPECT_EQ(calls["all:reference:0-0"], 3);  // finalists: three rounds each
  EXPECT_EQ(calls["all:reference:1-1"], 3);
  calls.clear();
  o.compare = false;
  auto seed = choose_plan_for_batch(*graph, units, graphs, 8, m, o);
  ASSERT_TRUE(seed.is_ok());
  EXPECT_EQ(plan_to_short_string(seed->plan), "all:reference:0-0=0.75,reference:1-1=0.25");
  EXPECT_TRUE(calls.empty());
}

}  // namespace
}  // namespace tandem::plan
