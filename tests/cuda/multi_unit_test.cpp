// Co-execution with CUDA units (issue 4): the code paths of several GPUs — one worker, stream and
// executable per unit, batch slices scattered by share, outputs gathered through host staging,
// a front on several units and a tail on one — checked on one GPU where that is possible, and on
// two GPUs when the machine has them. Every co-executed output must match the same model run on
// one unit: fp32 per element, fp16 by relative L2 against fp32 (the model rows of ops/tolerance.h).
//
// The same GPU twice: the unit spec refuses "cuda:0/fp16,cuda:0/fp16" (a plan names its units,
// and two units with one name would be ambiguous), so the twin is built below the spec here: a
// second Unit on device 0 with its own backend instance and another name, run by the Runtime
// exactly as a second GPU would be.
//
// Skipped with one line when there is no CUDA device; the two-GPU cases skip with one line when
// cuda:1 cannot run (a one-GPU machine). Models: tests/models/make_models.py (TANDEM_MODELS_DIR).
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <memory>

#include "onnx/import.h"
#include "ops/op_test_util.h"
#include "plan/batch_graphs.h"
#include "plan/cuts.h"
#include "plan/plan.h"
#include "plan/unit_spec.h"
#include "plans/plan_test_util.h"
#include "runtime/runtime.h"
#include "tandem/engine.h"

namespace tandem {
namespace {

constexpr char kTwin[] = "cuda0-twin";  // not a unit-spec name, so find_unit matches it verbatim

using optest::rel_l2;

// A model of tests/models imported, its per-batch graphs, and its image shape.
struct Model {
  std::string name;
  std::shared_ptr<const ir::Graph> graph;
  plan::GraphForBatch graphs;
  Shape sample;  // one image: [1, C, H, W]
};

Result<Model> load_model(const std::string& name) {
  const std::string path = std::string(TANDEM_MODELS_DIR) + "/" + name + ".onnx";
  if (!std::filesystem::exists(path)) return not_found(path + " is missing (build tandem_models)");
  TANDEM_ASSIGN_OR_RETURN(ir::Graph g, import_onnx_file(path));
  Model m{name, std::make_shared<const ir::Graph>(std::move(g)), {}, {}};
  const ir::ValueInfo* in = m.graph->info(m.graph->inputs[0]);
  if (!in || in->shape.size() != 4) return invalid_argument(name + ": expected one NCHW image input");
  m.sample = in->shape;
  m.sample[0] = 1;
  for (int64_t d : m.sample)
    if (d <= 0) return invalid_argument(name + ": the input has open H/W");
  m.graphs = plan::specializing(m.graph, {{m.graph->inputs[0], m.sample}});
  return m;
}

// The cuts nearest to each fraction of the model's FLOPs (at batch 1), in order.
std::vector<std::string> cuts_at(const Model& m, std::initializer_list<double> fractions) {
  auto g = m.graphs(1);
  EXPECT_TRUE(g.is_ok()) << g.status().to_string();
  std::vector<std::string> out;
  if (!g.is_ok()) return out;
  const auto cuts = plan::find_cuts(**g);
  for (double f : fractions) {
    const plan::Cut* best = nullptr;
    for (const auto& c : cuts) {
      const double at = double(c.flops_before) / double(std::max<int64_t>(1, c.flops_before + c.flops_after));
      if (!best || std::abs(at - f) < std::abs(double(best->flops_before) /
                                                   double(std::max<int64_t>(1, best->flops_before + best->flops_after)) - f))
        best = &c;
    }
    if (best && (out.empty() || out.back() != best->tensor)) out.push_back(best->tensor);
  }
  EXPECT_EQ(out.size(), fractions.size()) << m.name << ": not enough distinct cuts";
  return out;
}

// Units from a spec, plus (with twin) a second unit on cuda:0 named kTwin with its own backend.
std::vector<plan::Unit> make_units(const std::string& spec, const std::string& twin_spec = "") {
  auto units = plan_test::units(spec);
  if (!twin_spec.empty()) {
    auto t = plan_test::units(twin_spec);
    if (t.size() == 1) {
      t[0].spec.name = kTwin;
      t[0].spec.text = twin_spec + " (twin)";
      units.push_back(t[0]);
    }
  }
  return units;
}

// Batches of fresh random images (fixed seeds): uneven sizes so shares round differently, and
// batch 1 so that a 0.5 share leaves one unit without rows.
std::vector<std::vector<Tensor>> batches_for(const Model& m, std::initializer_list<int64_t> sizes) {
  std::vector<std::vector<Tensor>> v;
  uint32_t seed = 41;
  for (int64_t b : sizes) {
    Shape s = m.sample;
    s[0] = b;
    v.push_back({test_common::random_tensor(s, seed++)});
  }
  return v;
}

// Reference: every batch on one fp32 cuda:0 unit (the whole model, one stage).
std::vector<std::vector<Tensor>> reference(const Model& m, const std::vector<std::vector<Tensor>>& batches) {
  auto rt = runtime::Runtime::create(plan_test::units("cuda:0"), plan::Plan::single_unit("cuda:0"), m.graphs);
  EXPECT_TRUE(rt.is_ok()) << rt.status().to_string();
  if (!rt.is_ok()) return {};
  auto out = (*rt)->run_all(batches);
  EXPECT_TRUE(out.is_ok()) << out.status().to_string();
  return out.is_ok() ? *out : std::vector<std::vector<Tensor>>{};
}

void expect_match(const std::vector<std::vector<Tensor>>& want, const std::vector<std::vector<Tensor>>& got,
                  bool fp16, const std::string& what) {
  ASSERT_EQ(want.size(), got.size()) << what;
  for (size_t i = 0; i < want.size(); ++i) {
    ASSERT_EQ(want[i].size(), got[i].size()) << what << " batch " << i;
    for (size_t o = 0; o < want[i].size(); ++o) {
      const std::string label = what + " batch " + std::to_string(i) + " output " + std::to_string(o);
      if (fp16)
        EXPECT_LE(rel_l2(want[i][o], got[i][o]), optest::kModelRelL2) << label;
      else
        EXPECT_TRUE(optest::all_close(want[i][o], got[i][o], label));
    }
  }
}

// Runs `batches` through a Runtime over `units` with `plan`, checks them against `want`, and
// that every unit named in the plan with a share > 0 ran some images.
void expect_coexec_matches(const Model& m, std::vector<plan::Unit> units, const plan::Plan& p,
                           const std::vector<std::vector<Tensor>>& batches, const std::vector<std::vector<Tensor>>& want,
                           bool fp16) {
  const std::string what = m.name + " '" + plan::plan_to_short_string(p) + "'";
  SCOPED_TRACE(what);
  runtime::RuntimeOptions options;
  options.max_in_flight = 3;  // consecutive batches overlap across stages and units
  auto rt = runtime::Runtime::create(std::move(units), p, m.graphs, options);
  ASSERT_TRUE(rt.is_ok()) << rt.status().to_string();
  auto got = (*rt)->run_all(batches);
  ASSERT_TRUE(got.is_ok()) << got.status().to_string();
  expect_match(want, *got, fp16, what);
  const runtime::RunReport r = (*rt)->report();
  for (const auto& u : r.units) {
    EXPECT_FALSE(u.failed) << u.unit << ": " << u.failure;
    EXPECT_GT(u.images, 0) << u.unit << " ran nothing";
  }
  EXPECT_TRUE(r.reruns.empty()) << r.to_string();
}

plan::Plan make_plan(std::vector<plan::Stage> stages) {
  auto p = plan::Plan::make(std::move(stages));
  EXPECT_TRUE(p.is_ok()) << p.status().to_string();
  return p.is_ok() ? *p : plan::Plan::single_unit("cuda:0");
}

// A second GPU runs: a tiny model on cuda:1 (fails on a one-GPU machine: invalid device).
Status second_gpu_runs() {
  auto units = plan::make_units("cuda:1");
  if (!units.is_ok()) return units.status();
  auto g = plan_test::graphs_for(plan_test::tiny_mlp(), {1, 16})(2);
  if (!g.is_ok()) return g.status();
  return plan_test::run_whole((*units)[0], **g, {test_common::random_tensor({2, 16}, 3)}).status();
}

// Per model: skipped (one line) without a GPU or without the model file.
class MultiUnit : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (auto b = make_backend("cuda"); !b.is_ok()) GTEST_SKIP() << "cuda: " << b.status().message();
    auto m = load_model(GetParam());
    if (!m.is_ok()) GTEST_SKIP() << m.status().message();
    model_ = std::move(*m);
  }
  void need_two_gpus() {
    if (Status st = second_gpu_runs(); !st.is_ok()) GTEST_SKIP() << "needs 2 GPUs; cuda:1: " << st.message();
  }
  Model model_;
};

TEST(MultiUnitSpec, SameGpuTwiceIsRefusedByTheUnitSpec) {  // why the twin below is built by hand
  auto units = plan::parse_unit_spec("cuda:0/fp16,cuda:0/fp16", 4);
  ASSERT_FALSE(units.is_ok());
  EXPECT_NE(units.status().message().find("duplicates unit"), std::string::npos) << units.status().message();
}

// One GPU as two units, data-parallel, fp16 and fp32.
TEST_P(MultiUnit, TwinUnitsOnOneGpuDataParallel) {
  const auto batches = batches_for(model_, {3, 8, 1, 5});
  const auto want = reference(model_, batches);
  for (bool fp16 : {true, false}) {
    const std::string spec = fp16 ? "cuda:0/fp16" : "cuda:0";
    auto p = make_plan({{"all", "", {{"cuda:0", 0.5}, {kTwin, 0.5}}}});
    expect_coexec_matches(model_, make_units(spec, spec), p, batches, want, fp16);
  }
}

// One GPU as two units: a front shared 50/50 and a tail on one of them; then three stages with
// uneven shares and a middle stage on the twin alone.
TEST_P(MultiUnit, TwinUnitsOnOneGpuFrontTail) {
  const auto batches = batches_for(model_, {4, 7, 1});
  const auto want = reference(model_, batches);
  const auto mid = cuts_at(model_, {0.5});
  const auto thirds = cuts_at(model_, {0.33, 0.67});
  ASSERT_TRUE(mid.size() == 1 && thirds.size() == 2);
  auto two = make_plan({{"front", mid[0], {{"cuda:0", 0.5}, {kTwin, 0.5}}}, {"tail", "", {{"cuda:0", 1.0}}}});
  expect_coexec_matches(model_, make_units("cuda:0/fp16", "cuda:0/fp16"), two, batches, want, true);
  auto three = make_plan({{"a", thirds[0], {{"cuda:0", 0.3}, {kTwin, 0.7}}},
                          {"b", thirds[1], {{kTwin, 1.0}}},
                          {"c", "", {{"cuda:0", 0.6}, {kTwin, 0.4}}}});
  expect_coexec_matches(model_, make_units("cuda:0", "cuda:0"), three, batches, want, false);
}

// The GPU with the CPU: data-parallel (fp16 GPU + fp32 CPU slices), a shared front with the tail
// on the GPU, and the whole front on the GPU with the tail on the CPU (a pipeline).
TEST_P(MultiUnit, GpuAndCpu) {
  auto cpu = plan_test::units("cpu");
  auto g1 = model_.graphs(1);
  ASSERT_TRUE(g1.is_ok()) << g1.status().to_string();
  if (cpu.empty() || !cpu[0].supports_range(**g1, 0, int((*g1)->nodes.size())).is_ok())
    GTEST_SKIP() << "the cpu backend does not run " << model_.name;
  const auto batches = batches_for(model_, {3, 9, 1});
  const auto want = reference(model_, batches);
  const auto mid = cuts_at(model_, {0.5});
  ASSERT_EQ(mid.size(), 1u);
  auto dp = make_plan({{"all", "", {{"cuda:0", 0.7}, {"cpu", 0.3}}}});
  expect_coexec_matches(model_, make_units("cuda:0/fp16,cpu"), dp, batches, want, true);
  auto ft = make_plan({{"front", mid[0], {{"cuda:0", 0.5}, {"cpu", 0.5}}}, {"tail", "", {{"cuda:0", 1.0}}}});
  expect_coexec_matches(model_, make_units("cuda:0/fp16,cpu"), ft, batches, want, true);
  auto pipe = make_plan({{"front", mid[0], {{"cuda:0", 1.0}}}, {"tail", "", {{"cpu", 1.0}}}});
  expect_coexec_matches(model_, make_units("cuda:0,cpu"), pipe, batches, want, false);
}

// The engine with the GPU and the CPU and no plan: the plan chosen by measurement (the seed's,
// rebalanced, or one unit alone) gives the single unit's outputs.
TEST_P(MultiUnit, EngineMeasuredPlanGpuAndCpu) {
  const auto batches = batches_for(model_, {6});
  const auto want = reference(model_, batches);
  EngineOptions o;
  o.units = "cuda:0/fp16,cpu";
  o.measure_plan = true;
  auto e = Engine::load(std::string(TANDEM_MODELS_DIR) + "/" + model_.name + ".onnx", o);
  ASSERT_TRUE(e.is_ok()) << e.status().to_string();
  auto got = (*e)->run(batches[0]);
  ASSERT_TRUE(got.is_ok()) << got.status().to_string();
  expect_match(want, {*got}, true, model_.name + " measured plan '" + (*e)->plan_description() + "'");
}

// Two GPUs through the Engine: data-parallel (given and measured) and a front on both with the
// tail on either GPU.
TEST_P(MultiUnit, TwoGpus) {
  need_two_gpus();
  if (IsSkipped()) return;  // GTEST_SKIP in a helper returns from the helper only
  const auto batches = batches_for(model_, {4, 7, 1});
  const auto want = reference(model_, batches);
  const auto mid = cuts_at(model_, {0.5});
  ASSERT_EQ(mid.size(), 1u);
  const std::string model_path = std::string(TANDEM_MODELS_DIR) + "/" + model_.name + ".onnx";
  std::vector<std::string> plans = {
      "",  // the engine's choice by measurement
      plan::plan_to_short_string(make_plan({{"all", "", {{"cuda:0", 0.5}, {"cuda:1", 0.5}}}})),
      plan::plan_to_short_string(make_plan({{"front", mid[0], {{"cuda:0", 0.5}, {"cuda:1", 0.5}}}, {"tail", "", {{"cuda:0", 1.0}}}})),
      plan::plan_to_short_string(make_plan({{"front", mid[0], {{"cuda:0", 0.4}, {"cuda:1", 0.6}}}, {"tail", "", {{"cuda:1", 1.0}}}}))};
  for (const std::string& p : plans) {
    EngineOptions o;
    o.units = "cuda:0/fp16,cuda:1/fp16";
    o.plan = p;
    auto e = Engine::load(model_path, o);
    ASSERT_TRUE(e.is_ok()) << p << ": " << e.status().to_string();
    auto got = (*e)->run_many(batches);
    ASSERT_TRUE(got.is_ok()) << p << ": " << got.status().to_string();
    expect_match(want, *got, true, model_.name + " '" + (p.empty() ? (*e)->plan_description() + "' (measured)" : p + "'"));
  }
}

// Two GPUs through the Runtime in fp32, the front on both and the tail on cuda:1: per element.
TEST_P(MultiUnit, TwoGpusFp32FrontTail) {
  need_two_gpus();
  if (IsSkipped()) return;  // GTEST_SKIP in a helper returns from the helper only
  const auto batches = batches_for(model_, {5, 2});
  const auto want = reference(model_, batches);
  const auto mid = cuts_at(model_, {0.5});
  ASSERT_EQ(mid.size(), 1u);
  auto p = make_plan({{"front", mid[0], {{"cuda:0", 0.5}, {"cuda:1", 0.5}}}, {"tail", "", {{"cuda:1", 1.0}}}});
  expect_coexec_matches(model_, make_units("cuda:0,cuda:1"), p, batches, want, false);
}

INSTANTIATE_TEST_SUITE_P(Models, MultiUnit, ::testing::Values("mobilenet_v2", "resnet18"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace tandem
