// The `tf32` precision (fp32 data, TF32 tensor cores in cuDNN/cuBLAS) on whole models vs
// onnxruntime, within the model row of the tolerance table (ops/tolerance.h); its ops are in the
// op-test matrix (tests/ops). Skipped with one line when there is no CUDA device.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <string>

#include "core/npy.h"
#include "ops/op_test_util.h"
#include "tandem/engine.h"

namespace tandem {
namespace {

using optest::rel_l2;

// ---- whole models through cuda:0/tf32 vs onnxruntime (files from tests/models/make_models.py) ----
class CudaTf32Models : public ::testing::TestWithParam<std::string> {};

TEST_P(CudaTf32Models, MatchOnnxruntimeWithinRelL2) {
  if (auto b = make_backend("cuda"); !b.is_ok()) GTEST_SKIP() << "cuda: " << b.status().message();
  const std::string stem = std::string(TANDEM_MODELS_DIR) + "/" + GetParam();
  if (!std::filesystem::exists(stem + ".onnx")) GTEST_SKIP() << stem << ".onnx is missing (build tandem_models)";
  EngineOptions options;
  options.units = "cuda:0/tf32";
  auto engine = Engine::load(stem + ".onnx", options);
  ASSERT_TRUE(engine.is_ok()) << engine.status().message();
  for (int batch : {1, 3}) {
    SCOPED_TRACE("batch " + std::to_string(batch));
    auto input = read_npy(stem + ".input_b" + std::to_string(batch) + ".npy");
    auto want = read_npy(stem + ".output_b" + std::to_string(batch) + ".npy");
    ASSERT_TRUE(input.is_ok() && want.is_ok()) << input.status().message() << want.status().message();
    auto out = (*engine)->run({*input});
    ASSERT_TRUE(out.is_ok()) << out.status().message();
    EXPECT_LE(rel_l2(*want, (*out)[0]), optest::kModelRelL2);
  }
}

INSTANTIATE_TEST_SUITE_P(Models, CudaTf32Models,
                         ::testing::Values("mobilenet_v2", "resnet18", "mobilenet_v3", "paddle_style", "dense_style"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace tandem
