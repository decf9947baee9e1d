// Activations between stages stay in device memory when every unit writing them and the one unit
// reading them are of one backend that offers device memory (a GPU front gathering onto a GPU
// tail: peer-to-peer copies, no host staging); host staging otherwise. The fake backend's
// "device memory" is host memory it tracks, so the test checks the placement and the outputs.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <mutex>
#include <set>

#include "backends/reference/reference_backend.h"
#include "plans/plan_test_util.h"
#include "runtime/runtime.h"

namespace tandem::runtime {
namespace {

struct DeviceLedger {
  std::mutex mu;
  std::set<void*> live;
  std::atomic<int> allocations{0};
  std::atomic<int> device_inputs{0};  // runs that got an input in "device memory"
  bool owns(const void* p) {
    std::lock_guard<std::mutex> lock(mu);
    for (void* b : live)
      if (p >= b && static_cast<const char*>(p) < static_cast<const char*>(b) + (1 << 20)) return true;
    return false;
  }
};

class DevExecutable final : public Executable {
 public:
  DevExecutable(std::unique_ptr<Executable> inner, DeviceLedger& l) : inner_(std::move(inner)), l_(l) {}
  Status run(std::span<const TensorView> in, std::span<const TensorView> out) override {
    for (const auto& v : in)
      if (l_.owns(v.data)) ++l_.device_inputs;
    return inner_->run(in, out);
  }

 private:
  std::unique_ptr<Executable> inner_;
  DeviceLedger& l_;
};

class DevBackend final : public Backend {
 public:
  explicit DevBackend(DeviceLedger& l) : inner_(std::move(make_reference_backend().value())), l_(l) {}
  std::string_view name() const override { return "devsim"; }
  Status supports(const ir::Graph& g, const ir::Node& n) const override { return inner_->supports(g, n); }
  Result<std::unique_ptr<Executable>> compile(const ir::Graph& segment, const UnitOptions& o) const override {
    TANDEM_ASSIGN_OR_RETURN(auto exe, inner_->compile(segment, o));
    return std::unique_ptr<Executable>(new DevExecutable(std::move(exe), l_));
  }
  void* allocate_device_memory(const UnitOptions&, size_t bytes) const override {
    if (bytes > (1u << 20)) return nullptr;
    void* p = std::aligned_alloc(64, 1 << 20);
    std::lock_guard<std::mutex> lock(l_.mu);
    l_.live.insert(p);
    ++l_.allocations;
    return p;
  }
  void free_device_memory(const UnitOptions&, void* p) const override {
    {
      std::lock_guard<std::mutex> lock(l_.mu);
      l_.live.erase(p);
    }
    std::free(p);
  }

 private:
  std::unique_ptr<Backend> inner_;
  DeviceLedger& l_;
};

struct Fixture {
  DeviceLedger ledger;
  std::shared_ptr<DevBackend> dev = std::make_shared<DevBackend>(ledger);
  std::shared_ptr<Backend> ref = std::move(make_reference_backend().value());
  plan::GraphForBatch graphs = plan_test::graphs_for(plan_test::small_cnn(), {1, 3, 8, 8});
  std::vector<std::vector<Tensor>> inputs;

  Fixture() {
    for (int i = 0; i < 10; ++i)
      inputs.push_back({plan_test::random_tensor({2 + i % 3, 3, 8, 8}, 90 + static_cast<uint32_t>(i), -2, 2)});
  }
  // `kinds`: per unit "dev" or "ref"; units are named reference:0, reference:1, ...
  std::vector<plan::Unit> units(const std::vector<std::string>& kinds) {
    std::string spec;
    for (size_t i = 0; i < kinds.size(); ++i) spec += (i ? ", reference:" : "reference:") + std::to_string(i);
    auto specs = plan::parse_unit_spec(spec, 8);  // "reference:N" names core N: say there are 8
    EXPECT_TRUE(specs.is_ok()) << specs.status().to_string();
    std::vector<plan::Unit> u;
    for (auto& sp : *specs) sp.options.cpus.clear();  // names only: no pinning to cores that may not exist
    for (size_t i = 0; i < kinds.size(); ++i)
      u.push_back(plan::Unit{(*specs)[i], kinds[i] == "dev" ? std::shared_ptr<const Backend>(dev) : ref});
    return u;
  }
  RunReport run(const std::vector<plan::Unit>& units, const std::string& plan_text, RuntimeOptions o = {}) {
    auto p = plan::parse_plan(plan_text);
    EXPECT_TRUE(p.is_ok()) << p.status().to_string();
    o.max_in_flight = 3;
    auto rt = Runtime::create(units, *p, graphs, o);
    EXPECT_TRUE(rt.is_ok()) << rt.status().to_string();
    auto outs = (*rt)->run_all(inputs);
    EXPECT_TRUE(outs.is_ok()) << outs.status().to_string();
    auto ref_unit = plan_test::units("reference")[0];
    for (size_t i = 0; outs.is_ok() && i < inputs.size(); ++i) {
      auto want = plan_test::run_whole(ref_unit, *plan_test::at_batch(graphs, inputs[i][0].shape()[0]), inputs[i]);
      EXPECT_LE(plan_test::max_scaled_diff((*outs)[i][0], (*want)[0]), 1e-5) << plan_text << " batch " << i;
    }
    return (*rt)->report();
  }
};

TEST(DeviceGather, FrontOnTwoDeviceUnitsGathersIntoTheTailsDeviceMemory) {
  Fixture f;
  RunReport r = f.run(f.units({"dev", "dev"}), "front@flat: reference:0=0.5, reference:1=0.5 | tail: reference:1");
  EXPECT_GT(r.device_buffers, 0);
  EXPECT_EQ(r.staging_buffers, 0) << "nothing should be staged through the host";
  EXPECT_EQ(f.ledger.device_inputs.load(), static_cast<int>(f.inputs.size())) << "every tail run reads device memory";
}

TEST(DeviceGather, HostStagingWhenAWriterCannotReachDeviceMemory) {
  Fixture f;
  RunReport r = f.run(f.units({"ref", "dev"}), "front@flat: reference:0=0.5, reference:1=0.5 | tail: reference:1");
  EXPECT_EQ(r.device_buffers, 0);
  EXPECT_GT(r.staging_buffers, 0);
  EXPECT_EQ(f.ledger.device_inputs.load(), 0);
}

TEST(DeviceGather, HostStagingForADataParallelTail) {
  Fixture f;
  RunReport r = f.run(f.units({"dev", "dev"}), "front@flat: reference:0=0.5, reference:1=0.5 | tail: reference:0=0.5, reference:1=0.5");
  EXPECT_EQ(r.device_buffers, 0);
  EXPECT_GT(r.staging_buffers, 0);
}

TEST(DeviceGather, FailedTailReRunsOnlyOnAUnitThatReachesDeviceMemory) {
  Fixture f;
  RuntimeOptions o;
  auto units = f.units({"ref", "dev", "dev", "dev"});
  o.fail_unit_after = {{units[3].name(), 2}};
  // reference:0 (host-only) is the first candidate outside the stage: the re-run must skip it
  // for a devsim unit while the stage's input is in device memory.
  RunReport r = f.run(units,
                      "front@flat: reference:1=0.5, reference:2=0.5 | tail: reference:3", o);
  EXPECT_GT(r.device_buffers, 0);
  ASSERT_EQ(r.units.size(), 4u);
  EXPECT_TRUE(r.units[3].failed);
  EXPECT_NE(r.units[3].failure.find("injected"), std::string::npos) << r.units[3].failure;
  EXPECT_FALSE(r.units[1].failed || r.units[2].failed);
  EXPECT_FALSE(r.reruns.empty());
  for (const auto& rr : r.reruns) EXPECT_NE(rr.rerun_unit, units[0].name()) << "a host-only unit got device memory";
}

}  // namespace
}  // namespace tandem::runtime
