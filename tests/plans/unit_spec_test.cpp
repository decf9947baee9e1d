#include <gtest/gtest.h>
#include <sched.h>

#include "plan/unit_spec.h"
#include "plans/plan_test_util.h"

namespace tandem::plan {
namespace {

TEST(UnitSpec, ParsesKindsCoresDevicesAndOptions) {
  auto units = parse_unit_spec("cpu, cpu:0-7/threads=4, cpu:8,10,12, reference, cuda:1/fp16, cpu:14-15/no=Gemm+MatMul+Softmax",
                               /*num_cores=*/16);
  ASSERT_TRUE(units.is_ok()) << units.status().to_string();
  ASSERT_EQ(units->size(), 6u);
  EXPECT_EQ((*units)[0].name, "cpu");
  EXPECT_TRUE((*units)[0].options.cpus.empty());
  EXPECT_EQ((*units)[0].options.threads, 0);
  EXPECT_EQ((*units)[1].name, "cpu:0-7");
  EXPECT_EQ((*units)[1].options.cpus, (std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7}));
  EXPECT_EQ((*units)[1].options.threads, 4);
  EXPECT_EQ((*units)[2].name, "cpu:8-8,10-10,12-12");
  EXPECT_EQ((*units)[2].options.threads, 3);
  EXPECT_EQ((*units)[3].kind, "reference");
  EXPECT_EQ((*units)[4].name, "cuda:1");
  EXPECT_EQ((*units)[4].options.device, 1);
  EXPECT_EQ((*units)[4].options.precision, Precision::kFloat16);
  EXPECT_EQ((*units)[5].options.excluded_ops, (std::set<std::string>{"Gemm", "MatMul", "Softmax"}));
}

TEST(UnitSpec, PrecisionOptions) {
  auto units = parse_unit_spec("cuda:0/tf32, cuda:1/fp16, cuda:2/fp32, cuda:3, cuda:4/fp16/tf32", /*num_cores=*/4);
  ASSERT_TRUE(units.is_ok()) << units.status().to_string();
  ASSERT_EQ(units->size(), 5u);
  EXPECT_EQ((*units)[0].options.precision, Precision::kTF32);
  EXPECT_EQ((*units)[1].options.precision, Precision::kFloat16);
  EXPECT_EQ((*units)[2].options.precision, Precision::kFloat32);
  EXPECT_EQ((*units)[3].options.precision, Precision::kFloat32);
  EXPECT_EQ((*units)[4].options.precision, Precision::kTF32);  // the last precision option wins
  EXPECT_EQ(*canonical_unit_name("cuda:0/tf32", 4), "cuda:0");
}

TEST(UnitSpec, CanonicalNamesMatchAnySpelling) {
  EXPECT_EQ(*canonical_unit_name("cpu:1,0", 4), "cpu:0-1");
  EXPECT_EQ(*canonical_unit_name("cpu:0-1/threads=2", 4), "cpu:0-1");
  EXPECT_EQ(*canonical_unit_name("cpu:3", 4), "cpu:3-3");
  EXPECT_EQ(*canonical_unit_name("cuda:0/fp16", 4), "cuda:0");
}

void expect_error(const std::string& spec, const std::string& fragment) {
  auto r = parse_unit_spec(spec, 4);
  ASSERT_FALSE(r.is_ok()) << spec;
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << spec;
  EXPECT_NE(r.status().message().find(fragment), std::string::npos) << spec << " -> " << r.status().message();
}

TEST(UnitSpec, PinIsACpuOption) {
  auto r = parse_unit_spec("cpu:0-1/pin,cpu:2-3", 4);
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  EXPECT_TRUE((*r)[0].options.pin);
  EXPECT_FALSE((*r)[1].options.pin);
}

TEST(UnitSpec, ClearErrors) {
  expect_error("cpu/thread=4", "unknown option 'thread' in unit 'cpu/thread=4'; known: threads, pin, no, max_batch, fp16, fp32, tf32");
  expect_error("cuda:0/tf16", "known: threads, pin, no, max_batch, fp16, fp32, tf32");
  expect_error("cuda:0/tf32=1", "option 'tf32' in unit 'cuda:0/tf32=1' takes no value");
  expect_error("cuda:0/max_batch=0", "max_batch='0' in unit 'cuda:0/max_batch=0' must be a positive integer");
  expect_error("cpu:0-9", "names core 4, which does not exist (this machine has cores 0-3)");
  expect_error("cpu:0-1,cpu:1,0", "duplicates unit 'cpu:0-1'");
  expect_error("cpu,cpu", "duplicates");
  expect_error("gpu:0", "unknown unit kind 'gpu'");
  expect_error("cpu:3-1", "bad core list");
  expect_error("cpu:x", "bad core list");
  expect_error("cuda:a", "bad device");
  expect_error("cpu/threads=0", "must be a positive integer");
  expect_error("cpu/pin=1", "option 'pin' in unit 'cpu/pin=1' takes no value");
  expect_error("cuda:0/pin", "option 'pin' in unit 'cuda:0/pin' is for cpu units");
  expect_error("cpu/no=Gem", "unknown op 'Gem'");
  expect_error("cpu,,reference", "empty unit");
  expect_error("", "empty");
}

// Where an unpinned unit's thread (a GPU's worker, its timing thread) goes: the process's cores
// that no pinned unit holds; nowhere in particular when no unit is pinned.
TEST(UnitSpec, UnclaimedCoresAreTheOnesNoPinnedUnitHolds) {
  cpu_set_t mask;
  CPU_ZERO(&mask);
  ASSERT_EQ(sched_getaffinity(0, sizeof(mask), &mask), 0);
  std::vector<int> mine;
  for (int c = 0; c < CPU_SETSIZE; ++c)
    if (CPU_ISSET(c, &mask)) mine.push_back(c);
  auto units = make_units("reference, reference:" + std::to_string(mine.front()));
  ASSERT_TRUE(units.is_ok()) << units.status().to_string();
  EXPECT_TRUE(unclaimed_cores({&(*units)[0]}).empty());  // nothing pinned: no constraint
  const std::vector<int> left = unclaimed_cores({&(*units)[0], &(*units)[1]});
  EXPECT_EQ(left, std::vector<int>(mine.begin() + 1, mine.end()));
}

TEST(UnitSpec, MakeUnitsBindsBackendsAndCapability) {
  auto units = make_units("reference, reference:0/no=Gemm");
  ASSERT_TRUE(units.is_ok()) << units.status().to_string();
  auto graphs = plan_test::graphs_for(plan_test::small_cnn(), {2, 3, 8, 8});
  auto g = plan_test::at_batch(graphs, 2);
  ASSERT_TRUE(g);
  const ir::Node* gemm = nullptr;
  for (const auto& n : g->nodes)
    if (n.op_type == "Gemm") gemm = &n;
  ASSERT_NE(gemm, nullptr);
  EXPECT_TRUE((*units)[0].supports(*g, *gemm).is_ok());
  Status st = (*units)[1].supports(*g, *gemm);
  EXPECT_FALSE(st.is_ok());
  EXPECT_NE(st.message().find("node 'logits_node' (Gemm) cannot run on unit 'reference:0-0'"), std::string::npos)
      << st.message();
  auto idx = find_unit(*units, "reference:0");
  ASSERT_TRUE(idx.is_ok());
  EXPECT_EQ(*idx, 1u);
  EXPECT_FALSE(find_unit(*units, "cpu").is_ok());
}

}  // namespace
}  // namespace tandem::plan
