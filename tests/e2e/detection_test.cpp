// A detection head whose NonMaxSuppression only the reference backend runs (its row count
// depends on the data): on units that cannot run it, the planner adds a host stage on its own,
// says so in one line, and every output matches onnxruntime's (tests/models/make_models.py
// writes detection_head.{input,scores,selected,selected_boxes}_b{1,3}.npy).
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "core/npy.h"
#include "tandem/engine.h"

namespace tandem {
namespace {

std::string file(const std::string& suffix) { return std::string(TANDEM_MODELS_DIR) + "/detection_head" + suffix; }

::testing::AssertionResult same(const Tensor& got, const Tensor& want, const char* what) {
  if (got.shape() != want.shape() || got.dtype() != want.dtype())
    return ::testing::AssertionFailure() << what << ": " << dtype_name(got.dtype()) << shape_to_string(got.shape())
                                         << ", onnxruntime " << dtype_name(want.dtype()) << shape_to_string(want.shape());
  for (int64_t i = 0; i < want.numel(); ++i) {
    const double g = got.float_at(i), w = want.float_at(i);
    const bool ok = want.dtype() == DType::kFloat32 ? std::fabs(g - w) <= 1e-4 + 1e-3 * std::fabs(w) : g == w;
    if (!ok) return ::testing::AssertionFailure() << what << ": element " << i << " is " << g << ", onnxruntime " << w;
  }
  return ::testing::AssertionSuccess();
}

void expect_outputs(const std::vector<Tensor>& got, int batch) {
  ASSERT_EQ(got.size(), 3u);
  const char* names[] = {"scores", "selected", "selected_boxes"};
  for (size_t k = 0; k < 3; ++k) {
    auto want = read_npy(file(std::string(".") + names[k] + "_b" + std::to_string(batch) + ".npy"));
    ASSERT_TRUE(want.is_ok()) << want.status().message();
    EXPECT_TRUE(same(got[k], *want, names[k])) << "batch " << batch;
  }
}

class DetectionHead : public ::testing::TestWithParam<std::string> {};

TEST_P(DetectionHead, RunsEveryOutputWithTheHeadOnAHostStage) {
  auto engine = Engine::load(file(".onnx"), EngineOptions{.units = GetParam()});
  if (!engine.is_ok() && engine.status().code() == StatusCode::kUnavailable)
    GTEST_SKIP() << GetParam() << ": " << engine.status().message();
  ASSERT_TRUE(engine.is_ok()) << engine.status().to_string();
  for (int batch : {3, 1}) {
    auto x = read_npy(file(".input_b" + std::to_string(batch) + ".npy"));
    ASSERT_TRUE(x.is_ok()) << x.status().message();
    auto y = (*engine)->run({*x});
    if (!y.is_ok() && y.status().code() == StatusCode::kUnavailable)
      GTEST_SKIP() << GetParam() << ": " << y.status().message();
    ASSERT_TRUE(y.is_ok()) << y.status().to_string();
    expect_outputs(*y, batch);
  }
  const std::vector<std::string> notes = (*engine)->plan_warnings();
  if (GetParam() == "reference") {
    EXPECT_TRUE(notes.empty()) << notes[0];
    return;
  }
  ASSERT_EQ(notes.size(), 1u) << "one line, once for every shape";
  EXPECT_NE(notes[0].find("host unit 'reference'"), std::string::npos) << notes[0];
  EXPECT_NE(notes[0].find("NonMaxSuppression (node 'nms')"), std::string::npos) << notes[0];
  EXPECT_EQ(notes[0].find('\n'), std::string::npos);
  const std::string plan = (*engine)->plan_description();
  EXPECT_NE(plan.find("host:reference"), std::string::npos) << plan;
  // The front ends where boxes and scores both cross into the NMS, not at an earlier cut.
  EXPECT_NE(plan.find("@"), std::string::npos) << plan;
}

TEST_P(DetectionHead, StreamsBatchesThroughTheHostStage) {
  auto engine = Engine::load(file(".onnx"), EngineOptions{.units = GetParam()});
  if (!engine.is_ok() && engine.status().code() == StatusCode::kUnavailable)
    GTEST_SKIP() << GetParam() << ": " << engine.status().message();
  ASSERT_TRUE(engine.is_ok()) << engine.status().to_string();
  auto x = read_npy(file(".input_b3.npy"));
  ASSERT_TRUE(x.is_ok());
  std::vector<std::vector<Tensor>> batches(5, {*x});
  auto y = (*engine)->run_many(batches);
  if (!y.is_ok() && y.status().code() == StatusCode::kUnavailable) GTEST_SKIP() << GetParam() << ": " << y.status().message();
  ASSERT_TRUE(y.is_ok()) << y.status().to_string();
  ASSERT_EQ(y->size(), 5u);
  for (const auto& out : *y) expect_outputs(out, 3);
}

// reference runs it all; cpu and cuda hand the NMS on to an added reference stage; two cpu
// units split the front data-parallel at a split two tensors cross.
INSTANTIATE_TEST_SUITE_P(Units, DetectionHead, ::testing::Values("reference", "cpu", "cpu:0,cpu:1", "cuda:0"),
                         [](const auto& info) {
                           std::string s = info.param;
                           for (char& c : s)
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           return s;
                         });

}  // namespace
}  // namespace tandem
