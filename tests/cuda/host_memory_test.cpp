// Both input paths of a CUDA unit give the same outputs: page-locked input from
// Engine::make_tensor (the copy engine reads it directly) and an ordinary tensor (staged through
// the executable's pinned buffer), one batch at a time and many batches in flight (two runs
// outstanding per executable, chunks over the row limit).
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>

#include "backends/backend.h"
#include "plans/plan_test_util.h"
#include "tandem/engine.h"

namespace tandem {
namespace {

const std::string kModel = std::string(TANDEM_MODELS_DIR) + "/mobilenet_v2.onnx";

TEST(CudaHostMemory, PageLockedAndOrdinaryInputsGiveTheSameOutputs) {
  if (auto b = make_backend("cuda"); !b.is_ok()) GTEST_SKIP() << "cuda: " << b.status().message();
  if (!std::filesystem::exists(kModel)) GTEST_SKIP() << kModel << " is missing (build tandem_models)";
  for (const char* units : {"cuda:0", "cuda:0/fp16/max_batch=3"}) {
    auto e = Engine::load(kModel, EngineOptions{units, ""});
    ASSERT_TRUE(e.is_ok()) << e.status().to_string();
    std::vector<std::vector<Tensor>> plain, locked;
    for (uint32_t i = 0; i < 6; ++i) {
      Tensor x = plan_test::random_tensor({7, 3, 224, 224}, 40 + i);
      Tensor m = (*e)->make_tensor(x.shape(), DType::kFloat32);
      std::memcpy(m.data(), x.data(), x.nbytes());
      plain.push_back({x});
      locked.push_back({m});
    }
    auto a = (*e)->run_many(plain);
    auto b = (*e)->run_many(locked);
    ASSERT_TRUE(a.is_ok() && b.is_ok()) << units;
    for (size_t i = 0; i < plain.size(); ++i) {
      EXPECT_LE(plan_test::max_abs_diff((*a)[i][0], (*b)[i][0]), 1e-6) << units << " batch " << i;
      auto one = (*e)->run(locked[i]);  // one at a time: the other slot's graph
      ASSERT_TRUE(one.is_ok());
      EXPECT_LE(plan_test::max_abs_diff((*one)[0], (*a)[i][0]), 1e-6) << units << " batch " << i << " alone";
    }
  }
}

}  // namespace
}  // namespace tandem
