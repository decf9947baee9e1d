// Whole models through the public Engine API, compared with onnxruntime's outputs
// (tests/models/make_models.py writes <model>.input_b{1,3}.npy and .output_b{1,3}.npy).
// Every element must be within kAbsTol + kRelTol * |reference|.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <string>
#include <tuple>
#include <vector>

#include "core/npy.h"
#include "tandem/engine.h"

namespace tandem {
namespace {

constexpr double kAbsTol = 1e-4;
constexpr double kRelTol = 1e-3;

const char* const kModels[] = {"mobilenet_v1", "mobilenet_v2", "resnet18",
                               "mobilenet_v3", "paddle_style", "pytorch_style", "vit_style", "dense_style"};
const char* const kUnits[] = {"reference", "cpu"};

std::string model_file(const std::string& name, const std::string& suffix) {
  return std::string(TANDEM_MODELS_DIR) + "/" + name + suffix;
}

// Compares element by element; on failure says how many differ, the worst one and its index.
::testing::AssertionResult outputs_match(const Tensor& got, const Tensor& want) {
  if (got.dtype() != DType::kFloat32)
    return ::testing::AssertionFailure() << "output dtype " << dtype_name(got.dtype()) << ", want float32";
  if (got.shape() != want.shape())
    return ::testing::AssertionFailure() << "output shape " << shape_to_string(got.shape()) << ", want "
                                         << shape_to_string(want.shape());
  const float* g = got.data_as<float>();
  const float* w = want.data_as<float>();
  int64_t bad = 0, worst = -1;
  double worst_excess = 0;
  for (int64_t i = 0; i < want.numel(); ++i) {
    const double err = std::fabs(static_cast<double>(g[i]) - w[i]);
    const double tol = kAbsTol + kRelTol * std::fabs(static_cast<double>(w[i]));
    if (!(err <= tol)) {  // also catches NaN
      ++bad;
      if (worst < 0 || !(err - tol <= worst_excess)) {
        worst_excess = err - tol;
        worst = i;
      }
    }
  }
  if (bad == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << bad << " of " << want.numel() << " elements differ; worst at flat index "
                                       << worst << ": got " << g[worst] << ", onnxruntime " << w[worst];
}

using Param = std::tuple<std::string, std::string>;  // model, units

class ModelVsOnnxruntime : public ::testing::TestWithParam<Param> {};

TEST_P(ModelVsOnnxruntime, Batch1And3MatchAndShapeChangesRecompile) {
  const auto& [model, units] = GetParam();
  const std::string path = model_file(model, ".onnx");
  ASSERT_TRUE(std::filesystem::exists(path)) << path << " is missing: build the tandem_models target";

  auto engine = Engine::load(path, {.units = units});
  ASSERT_TRUE(engine.is_ok()) << engine.status().message();
  ASSERT_EQ((*engine)->inputs().size(), 1u);
  ASSERT_EQ((*engine)->outputs().size(), 1u);
  EXPECT_LT((*engine)->inputs()[0].shape.at(0), 0) << "the batch dim is open in the model";

  // Batch 1, then 3 (a new shape: compiles again), then 1 again (the cached compilation; skipped
  // on the slow reference unit).
  std::vector<int> batches = {1, 3};
  if (units != "reference") batches.push_back(1);
  for (int batch : batches) {
    SCOPED_TRACE(model + " on " + units + ", batch " + std::to_string(batch));
    auto input = read_npy(model_file(model, ".input_b" + std::to_string(batch) + ".npy"));
    ASSERT_TRUE(input.is_ok()) << input.status().message();
    auto want = read_npy(model_file(model, ".output_b" + std::to_string(batch) + ".npy"));
    ASSERT_TRUE(want.is_ok()) << want.status().message();

    auto out = (*engine)->run({*input});
    ASSERT_TRUE(out.is_ok()) << out.status().message();
    ASSERT_EQ(out->size(), 1u);
    EXPECT_TRUE(outputs_match((*out)[0], *want));
  }
  EXPECT_FALSE((*engine)->plan_description().empty());
}

std::vector<Param> all_params() {
  std::vector<Param> v;
  for (const char* m : kModels)
    for (const char* u : kUnits) v.emplace_back(m, u);
  return v;
}

INSTANTIATE_TEST_SUITE_P(Models, ModelVsOnnxruntime, ::testing::ValuesIn(all_params()),
                         [](const ::testing::TestParamInfo<Param>& info) {
                           return std::get<0>(info.param) + "_" + std::get<1>(info.param);
                         });

// The comparison itself must be able to fail: a perturbed output is caught.
TEST(OutputsMatch, CatchesASmallError) {
  auto want = read_npy(model_file("mobilenet_v2", ".output_b1.npy"));
  ASSERT_TRUE(want.is_ok()) << want.status().message();
  Tensor got = want->clone();
  EXPECT_TRUE(outputs_match(got, *want));
  got.data_as<float>()[17] += 0.01f + 0.002f * std::fabs(got.data_as<float>()[17]);
  EXPECT_FALSE(outputs_match(got, *want));
  got.data_as<float>()[17] = std::nanf("");
  EXPECT_FALSE(outputs_match(got, *want));
}

// A wrong input must be refused with a clear error, not crash or return garbage.
TEST(EngineInputs, WrongShapeAndDtypeAreRefused) {
  auto engine = Engine::load(model_file("mobilenet_v2", ".onnx"), {.units = "reference"});
  ASSERT_TRUE(engine.is_ok()) << engine.status().message();
  auto r = (*engine)->run({Tensor::zeros({1, 4, 224, 224}, DType::kFloat32)});
  EXPECT_FALSE(r.is_ok());
  r = (*engine)->run({Tensor::zeros({1, 3, 224, 224}, DType::kFloat64)});
  EXPECT_FALSE(r.is_ok());
  r = (*engine)->run({});
  EXPECT_FALSE(r.is_ok());
}

}  // namespace
}  // namespace tandem
