#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "plan/cuts.h"
#include "plan/plan.h"
#include "plans/plan_test_util.h"

namespace tandem::plan {
namespace {

TEST(PlanShortForm, ParsesStagesEndsAndShares) {
  auto p = parse_plan("front@r1: cpu:0-0=0.25, cpu:1-1=0.75 | tail: cpu:0-0");
  ASSERT_TRUE(p.is_ok()) << p.status().to_string();
  ASSERT_EQ(p->stages().size(), 2u);
  EXPECT_EQ(p->stages()[0].name, "front");
  EXPECT_EQ(p->stages()[0].end, "r1");
  EXPECT_EQ(p->stages()[0].units, (std::vector<StageUnit>{{"cpu:0-0", 0.25}, {"cpu:1-1", 0.75}}));
  EXPECT_EQ(p->stages()[1].end, "");
  EXPECT_EQ(p->stages()[1].units, (std::vector<StageUnit>{{"cpu:0-0", 1.0}}));
  EXPECT_EQ(plan_to_short_string(*p), "front@r1:cpu:0-0=0.25,cpu:1-1=0.75 | tail:cpu:0-0");
  auto again = parse_plan(plan_to_short_string(*p));
  ASSERT_TRUE(again.is_ok());
  EXPECT_EQ(*again, *p);
}

TEST(PlanShortForm, EqualSharesQuotedEndsAndCoreLists) {
  auto p = parse_plan("a@\"in:0|x\": cpu:0,2, reference | b: reference");
  ASSERT_TRUE(p.is_ok()) << p.status().to_string();
  EXPECT_EQ(p->stages()[0].end, "in:0|x");
  EXPECT_EQ(p->stages()[0].units, (std::vector<StageUnit>{{"cpu:0,2", 0.5}, {"reference", 0.5}}));
  auto again = parse_plan(plan_to_short_string(*p));
  ASSERT_TRUE(again.is_ok()) << plan_to_short_string(*p) << ": " << again.status().to_string();
  EXPECT_EQ(*again, *p);
}

void expect_plan_error(const std::string& text, const std::string& fragment) {
  auto p = parse_plan(text);
  ASSERT_FALSE(p.is_ok()) << text;
  EXPECT_NE(p.status().message().find(fragment), std::string::npos) << text << " -> " << p.status().message();
}

TEST(PlanShortForm, ValidationErrors) {
  expect_plan_error("", "empty");
  expect_plan_error("front: cpu=0.5, reference=0.6", "shares sum to 1.1, they must sum to 1");
  expect_plan_error("front: cpu=-0.5, reference=1.5", "share -0.5 of unit 'cpu' must be >= 0");
  expect_plan_error("front: cpu=0.5, reference", "give every unit a share or none");
  expect_plan_error("front: cpu=x", "is not a number");
  expect_plan_error("front: cpu | tail: cpu", "must name the tensor where it ends");
  expect_plan_error("front@t: cpu", "is the last stage");
  expect_plan_error("a@t: cpu | a: cpu", "two stages are named 'a'");
  expect_plan_error("a: cpu, cpu", "lists unit 'cpu' twice");
  expect_plan_error("front cpu", "needs ':'");
}

TEST(PlanShortForm, SingleStageIsFine) { EXPECT_TRUE(parse_plan("front: cpu").is_ok()); }

TEST(PlanJson, RoundTripsThroughTextAndFile) {
  auto p = parse_plan("front@r1: cpu:0-0=0.3, reference=0.7 | mid@flat: reference | tail: cpu:0-0");
  ASSERT_TRUE(p.is_ok());
  std::string json = plan_to_json(*p);
  auto back = plan_from_json(json);
  ASSERT_TRUE(back.is_ok()) << back.status().to_string();
  EXPECT_EQ(*back, *p);
  auto path = (std::filesystem::temp_directory_path() / "tandem_plan_roundtrip.json").string();
  ASSERT_TRUE(save_plan_json(*p, path).is_ok());
  auto loaded = load_plan(path);
  ASSERT_TRUE(loaded.is_ok()) << loaded.status().to_string();
  EXPECT_EQ(*loaded, *p);
  EXPECT_EQ(plan_to_short_string(*loaded), plan_to_short_string(*p));
  std::filesystem::remove(path);
}

TEST(PlanJson, Errors) {
  EXPECT_FALSE(plan_from_json("{").is_ok());
  EXPECT_FALSE(plan_from_json("[]").is_ok());
  EXPECT_FALSE(plan_from_json(R"({"stages": [{"name": "a"}]})").is_ok());
  auto r = plan_from_json(R"({"stages": [{"name": "a", "units": [{"unit": "cpu", "share": 0.4}]}]})");
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("shares sum to 0.4"), std::string::npos);
  EXPECT_EQ(load_plan("/nonexistent/plan.json").status().code(), StatusCode::kNotFound);
}

class PlanOnGraph : public ::testing::Test {
 protected:
  void SetUp() override {
    graphs_ = plan_test::graphs_for(plan_test::small_cnn(), {4, 3, 8, 8});
    graph_ = plan_test::at_batch(graphs_, 4);
    ASSERT_TRUE(graph_);
    units_ = plan_test::units("reference:0, reference:1, reference/no=Gemm");
    ASSERT_EQ(units_.size(), 3u);
  }
  std::vector<std::string> node_ops() const {
    std::vector<std::string> v;
    for (const auto& n : graph_->nodes) v.push_back(n.op_type);
    return v;
  }
  GraphForBatch graphs_;
  std::shared_ptr<const ir::Graph> graph_;
  std::vector<Unit> units_;
};

TEST_F(PlanOnGraph, CutsSkipTheResidualBlock) {
  // After passes: Conv(+Relu), Conv, Add, Relu, GlobalAveragePool, Flatten, Gemm, Softmax.
  ASSERT_EQ(node_ops(), (std::vector<std::string>{"Conv", "Conv", "Add", "Relu", "GlobalAveragePool", "Flatten",
                                                  "Gemm", "Softmax"}));
  std::vector<Cut> cuts = find_cuts(*graph_);
  std::vector<std::string> tensors;
  for (const Cut& c : cuts) tensors.push_back(c.tensor);
  EXPECT_EQ(tensors, (std::vector<std::string>{"r0", "sum", "r1", "pool", "flat", "logits"}));
  EXPECT_EQ(crossing_tensors(*graph_, 2), (std::vector<std::string>{"r0", "c1"}));
  const Cut& first = cuts[0];
  EXPECT_EQ(first.position, 1);
  EXPECT_EQ(first.bytes_per_image, 8 * 8 * 8 * 4);
  // Conv 3->8, 3x3, 8x8 output, batch 4: 2*4*8*64*3*9 = 110592 FLOPs (+ fused Relu counted or not).
  EXPECT_GE(first.flops_before, 110592);
  EXPECT_EQ(first.flops_before + first.flops_after, range_flops(*graph_, 0, 8));
  EXPECT_FALSE(cut_position(*graph_, "c1").is_ok());
  EXPECT_EQ(cut_position(*graph_, "nope").status().code(), StatusCode::kNotFound);
}

TEST_F(PlanOnGraph, ExtractSegmentIsSelfContained) {
  auto seg = extract_segment(*graph_, 1, 5);
  ASSERT_TRUE(seg.is_ok()) << seg.status().to_string();
  EXPECT_EQ(seg->inputs, (std::vector<std::string>{"r0"}));
  EXPECT_EQ(seg->outputs, (std::vector<std::string>{"pool"}));
  EXPECT_EQ(seg->nodes.size(), 4u);
  EXPECT_EQ(seg->initializers.size(), 2u);  // w1, b1 only
  EXPECT_TRUE(seg->initializers.count("w1"));
  EXPECT_TRUE(seg->verify().is_ok());
  auto tail = extract_segment(*graph_, 5, 8);
  ASSERT_TRUE(tail.is_ok());
  EXPECT_EQ(tail->outputs, graph_->outputs);
  EXPECT_FALSE(extract_segment(*graph_, 3, 3).is_ok());
  EXPECT_FALSE(extract_segment(*graph_, 0, 9).is_ok());
}

TEST_F(PlanOnGraph, BindResolvesStages) {
  auto p = parse_plan("front@sum: reference:0=0.5, reference:1=0.5 | mid@flat: reference | tail: reference:0");
  ASSERT_TRUE(p.is_ok());
  auto b = bind_plan(*p, *graph_, units_);
  ASSERT_TRUE(b.is_ok()) << b.status().to_string();
  ASSERT_EQ(b->stages.size(), 3u);
  EXPECT_EQ(b->stages[0].begin, 0);
  EXPECT_EQ(b->stages[0].end, 3);
  EXPECT_EQ(b->stages[1].begin, 3);
  EXPECT_EQ(b->stages[1].end, 6);
  EXPECT_EQ(b->stages[1].units, (std::vector<size_t>{2}));
  EXPECT_EQ(b->stages[2].end, 8);
  EXPECT_EQ(b->stages[1].inputs, (std::vector<std::string>{"sum"}));
  EXPECT_EQ(b->stages[1].outputs, (std::vector<std::string>{"flat"}));
}

void expect_bind_error(const ir::Graph& g, const std::vector<Unit>& units, const std::string& text,
                       const std::string& fragment) {
  auto p = parse_plan(text);
  ASSERT_TRUE(p.is_ok()) << text << ": " << p.status().to_string();
  auto b = bind_plan(*p, g, units);
  ASSERT_FALSE(b.is_ok()) << text;
  EXPECT_NE(b.status().message().find(fragment), std::string::npos) << text << " -> " << b.status().message();
}

TEST_F(PlanOnGraph, BindErrors) {
  expect_bind_error(*graph_, units_, "all: reference",
                    "node 'logits_node' (Gemm) cannot run on unit 'reference': Gemm is excluded");
  expect_bind_error(*graph_, units_, "front@x: reference:0 | tail: reference:0", "'x' is not produced by a node");
  // c1 is no cut (r0 crosses too) but a split: both are batch-major, so a stage may end there.
  auto split = parse_plan("front@c1: reference:0 | tail: reference:0");
  ASSERT_TRUE(split.is_ok());
  auto b = bind_plan(*split, *graph_, units_);
  ASSERT_TRUE(b.is_ok()) << b.status().to_string();
  EXPECT_EQ(b->stages[0].outputs, (std::vector<std::string>{"r0", "c1"}));
  expect_bind_error(*graph_, units_, "front@nope: reference:0 | tail: reference:0", "'nope' is not in graph");
  expect_bind_error(*graph_, units_, "a@flat: reference:0 | b@sum: reference:0 | c: reference:0",
                    "stage 'b' is empty");
  expect_bind_error(*graph_, units_, "all: cuda:0", "names unit 'cuda:0', which is not among the units");
  // A zero share on a unit that cannot run the stage is fine: it gets no work.
  auto p = parse_plan("all: reference:0=1, reference=0");
  ASSERT_TRUE(p.is_ok());
  EXPECT_TRUE(bind_plan(*p, *graph_, units_).is_ok());
}

// Golden dumps: `--dump-plan` text for the small CNN. Regenerate with TANDEM_UPDATE_GOLDEN=1.
void check_golden(const std::string& name, const std::string& text) {
  const std::string path = std::string(TANDEM_SOURCE_DIR) + "/tests/plans/golden/" + name;
  if (std::getenv("TANDEM_UPDATE_GOLDEN")) {
    std::ofstream(path) << text;
    return;
  }
  std::ifstream f(path);
  ASSERT_TRUE(f.good()) << "missing golden file " << path << " (run with TANDEM_UPDATE_GOLDEN=1)";
  std::stringstream ss;
  ss << f.rdbuf();
  EXPECT_EQ(text, ss.str()) << "golden " << name << " differs";
}

TEST_F(PlanOnGraph, GoldenDumps) {
  const std::pair<const char*, const char*> cases[] = {
      {"small_cnn_single.txt", "all: reference:0"},
      {"small_cnn_front_tail.txt", "front@flat: reference:0=0.6, reference:1=0.4 | tail: reference:0"},
      {"small_cnn_three_stages.txt", "a@r0: reference:0 | b@pool: reference:0=0.5, reference:1=0.5, reference=0 | c: reference:1"},
  };
  for (const auto& [file, text] : cases) {
    auto p = parse_plan(text);
    ASSERT_TRUE(p.is_ok()) << text;
    auto b = bind_plan(*p, *graph_, units_);
    ASSERT_TRUE(b.is_ok()) << text << ": " << b.status().to_string();
    check_golden(file, describe_plan(*b, *graph_, units_));
  }
}

}  // namespace
}  // namespace tandem::plan
