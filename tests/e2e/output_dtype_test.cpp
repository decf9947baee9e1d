// What EngineOptions::output_dtype gives, and models that end in ArgMax, on every unit kind,
// against onnxruntime (tests/models/make_models.py: seg_style's logits, seg_argmax's class maps,
// for the same inputs). Class maps must be equal except where onnxruntime's two largest logits
// are within the unit's tie margin (ops/tolerance.h); fp16 outputs within the fp16 output row.
// cuda units skip, with one line, on a machine without a GPU.
#include <gtest/gtest.h>

#include <cctype>
#include <cmath>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "core/npy.h"
#include "ops/tolerance.h"
#include "tandem/engine.h"

namespace tandem {
namespace {

std::string file(const std::string& name) { return std::string(TANDEM_MODELS_DIR) + "/" + name; }

Precision precision_of(const std::string& units) {
  if (units.find("/fp16") != std::string::npos) return Precision::kFloat16;
  if (units.find("/tf32") != std::string::npos) return Precision::kTF32;
  return Precision::kFloat32;
}

Tensor load(const std::string& name) {
  auto t = read_npy(file(name));
  EXPECT_TRUE(t.is_ok()) << t.status().message();
  return t.is_ok() ? *t : Tensor();
}

// `got` (int64, the class axis 1 of `logits` removed or kept as 1) is the argmax of `logits`
// [N, C, ...] (float32, onnxruntime's) except where its top two are within the tie margin; with
// `last`, equal logits take the last index. Counts the near-ties it let pass.
::testing::AssertionResult class_map_matches(const Tensor& got, const Tensor& logits, Precision p, bool last = false) {
  if (got.dtype() != DType::kInt64) return ::testing::AssertionFailure() << "class map is " << dtype_name(got.dtype());
  const Shape& ls = logits.shape();
  const int64_t n = ls[0], c = ls[1], inner = logits.numel() / (n * c);
  if (got.numel() != n * inner) return ::testing::AssertionFailure() << "class map " << shape_to_string(got.shape());
  double sq = 0;
  for (int64_t i = 0; i < logits.numel(); ++i) sq += double(logits.data_as<float>()[i]) * logits.data_as<float>()[i];
  const double rms = std::sqrt(sq / double(logits.numel()));
  const float* x = logits.data_as<float>();
  const int64_t* y = got.data_as<int64_t>();
  int64_t wrong = 0, first = -1;
  for (int64_t b = 0; b < n; ++b)
    for (int64_t i = 0; i < inner; ++i) {
      auto at = [&](int64_t k) { return x[(b * c + k) * inner + i]; };
      int64_t best = 0;
      for (int64_t k = 1; k < c; ++k)
        if (last ? at(k) >= at(best) : at(k) > at(best)) best = k;
      const int64_t mine = y[b * inner + i];
      if (mine == best) continue;
      if (mine < 0 || mine >= c || !(at(best) - at(mine) <= optest::argmax_tie_margin(p, at(best), rms))) {
        ++wrong;
        if (first < 0) first = b * inner + i;
      }
    }
  if (wrong == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << wrong << " of " << n * inner << " classes differ beyond a tie; first at " << first
                                       << ": got " << y[first];
}

class OutputConversions : public ::testing::TestWithParam<std::string> {
 protected:
  // The engine for `model` with `dtype` on the parameter's units, or a skip without a GPU.
  std::unique_ptr<Engine> load_engine(const std::string& model, OutputDType dtype) {
    auto engine = Engine::load(file(model), EngineOptions{.units = GetParam(), .output_dtype = dtype});
    if (!engine.is_ok() && engine.status().code() == StatusCode::kUnavailable) {
      skipped_ = engine.status().message();
      return nullptr;
    }
    EXPECT_TRUE(engine.is_ok()) << engine.status().to_string();
    return engine.is_ok() ? std::move(*engine) : nullptr;
  }
  // Runs one batch; empty (with skipped_ set) when the unit's device is missing.
  std::vector<Tensor> run(Engine& engine, const Tensor& x) {
    auto y = engine.run({x});
    if (!y.is_ok() && y.status().code() == StatusCode::kUnavailable) {
      skipped_ = y.status().message();
      return {};
    }
    EXPECT_TRUE(y.is_ok()) << y.status().to_string();
    return y.is_ok() ? *y : std::vector<Tensor>{};
  }
  std::string skipped_;
};

// The model itself ends in ArgMax (keepdims 0; keepdims 1 with select_last_index).
TEST_P(OutputConversions, ModelEndingInArgMaxMatchesOnnxruntime) {
  auto engine = load_engine("seg_argmax.onnx", OutputDType::kFloat32);
  if (!skipped_.empty()) GTEST_SKIP() << GetParam() << ": " << skipped_;
  ASSERT_TRUE(engine);
  for (int b : {3, 1}) {
    SCOPED_TRACE("batch " + std::to_string(b));
    const std::string s = "_b" + std::to_string(b) + ".npy";
    std::vector<Tensor> y = run(*engine, load("seg_argmax.input" + s));
    if (!skipped_.empty()) GTEST_SKIP() << GetParam() << ": " << skipped_;
    ASSERT_EQ(y.size(), 2u);
    const Tensor logits = load("seg_style.output" + s);  // onnxruntime's, same input (make_models.py)
    EXPECT_EQ(y[0].shape(), load("seg_argmax.classes" + s).shape());
    EXPECT_EQ(y[1].shape(), load("seg_argmax.classes_last" + s).shape());
    EXPECT_TRUE(class_map_matches(y[0], logits, precision_of(GetParam())));
    EXPECT_TRUE(class_map_matches(y[1], logits, precision_of(GetParam()), true));
  }
}

TEST_P(OutputConversions, ArgMaxOutputsAreTheClassMapOfTheLogits) {
  auto engine = load_engine("seg_style.onnx", OutputDType::kArgMax);
  if (!skipped_.empty()) GTEST_SKIP() << GetParam() << ": " << skipped_;
  ASSERT_TRUE(engine);
  ASSERT_EQ(engine->outputs().size(), 1u);
  EXPECT_EQ(engine->outputs()[0].name, "logits") << "the output keeps its name";
  EXPECT_EQ(engine->outputs()[0].dtype, DType::kInt64);
  EXPECT_NE(engine->outputs()[0].conversion.find("argmax over axis 1"), std::string::npos) << engine->outputs()[0].conversion;
  for (int b : {3, 1}) {
    SCOPED_TRACE("batch " + std::to_string(b));
    const std::string s = "_b" + std::to_string(b) + ".npy";
    std::vector<Tensor> y = run(*engine, load("seg_style.input" + s));
    if (!skipped_.empty()) GTEST_SKIP() << GetParam() << ": " << skipped_;
    ASSERT_EQ(y.size(), 1u);
    EXPECT_EQ(y[0].shape(), (Shape{b, 32, 32}));
    EXPECT_TRUE(class_map_matches(y[0], load("seg_style.output" + s), precision_of(GetParam())));
  }
}

TEST_P(OutputConversions, Fp16OutputsMatchOnnxruntime) {
  auto engine = load_engine("seg_style.onnx", OutputDType::kFloat16);
  if (!skipped_.empty()) GTEST_SKIP() << GetParam() << ": " << skipped_;
  ASSERT_TRUE(engine);
  EXPECT_EQ(engine->outputs()[0].dtype, DType::kFloat16);
  const Precision p = precision_of(GetParam());
  for (int b : {3, 1}) {
    SCOPED_TRACE("batch " + std::to_string(b));
    const std::string s = "_b" + std::to_string(b) + ".npy";
    std::vector<Tensor> y = run(*engine, load("seg_style.input" + s));
    if (!skipped_.empty()) GTEST_SKIP() << GetParam() << ": " << skipped_;
    ASSERT_EQ(y.size(), 1u);
    ASSERT_EQ(y[0].dtype(), DType::kFloat16);
    Tensor widened(y[0].shape(), DType::kFloat32);
    for (int64_t i = 0; i < y[0].numel(); ++i) widened.data_as<float>()[i] = half_to_float(y[0].data_as<uint16_t>()[i]);
    const optest::Tolerance tol = p == Precision::kFloat32 ? optest::kFp16OutputTol : optest::kReducedPrecisionTol;
    EXPECT_TRUE(optest::within(tol, load("seg_style.output" + s), widened, GetParam() + " fp16 logits"));
  }
}

// A classifier's [N, 1000] logits: argmax over axis 1 is the class of each image.
TEST_P(OutputConversions, ArgMaxOfAClassifierIsOneClassPerImage) {
  if (GetParam() == "reference") GTEST_SKIP() << "reference: too slow for MobileNetV2 here (cpu and cuda run it)";
  auto engine = load_engine("mobilenet_v2.onnx", OutputDType::kArgMax);
  if (!skipped_.empty()) GTEST_SKIP() << GetParam() << ": " << skipped_;
  ASSERT_TRUE(engine);
  std::vector<Tensor> y = run(*engine, load("mobilenet_v2.input_b3.npy"));
  if (!skipped_.empty()) GTEST_SKIP() << GetParam() << ": " << skipped_;
  ASSERT_EQ(y.size(), 1u);
  EXPECT_EQ(y[0].shape(), (Shape{3}));
  EXPECT_TRUE(class_map_matches(y[0], load("mobilenet_v2.output_b3.npy"), precision_of(GetParam())));
}

// Streamed batches whose outputs are dropped as they come reuse the same output buffers.
TEST_P(OutputConversions, DroppedOutputsAreRecycled) {
  auto engine = load_engine("seg_style.onnx", OutputDType::kArgMax);
  if (!skipped_.empty()) GTEST_SKIP() << GetParam() << ": " << skipped_;
  ASSERT_TRUE(engine);
  const Tensor x = load("seg_style.input_b3.npy");
  std::vector<Tensor> first = run(*engine, x);
  if (!skipped_.empty()) GTEST_SKIP() << GetParam() << ": " << skipped_;
  ASSERT_EQ(first.size(), 1u);
  const void* p = first[0].data();
  std::vector<Tensor> held = run(*engine, x);
  ASSERT_EQ(held.size(), 1u);
  EXPECT_NE(held[0].data(), p) << "a buffer still held is not handed out again";
  EXPECT_EQ(0, std::memcmp(held[0].data(), first[0].data(), first[0].nbytes()));
  first.clear();
  std::vector<Tensor> again = run(*engine, x);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].data(), p) << "the dropped output's buffer is used again";
  EXPECT_TRUE(class_map_matches(again[0], load("seg_style.output_b3.npy"), precision_of(GetParam())));
}

INSTANTIATE_TEST_SUITE_P(Units, OutputConversions,
                         ::testing::Values("reference", "cpu", "cuda:0", "cuda:0/tf32", "cuda:0/fp16"),
                         [](const auto& info) {
                           std::string s = info.param;
                           for (char& c : s)
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           return s;
                         });

}  // namespace
}  // namespace tandem
