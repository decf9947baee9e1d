// The generated test models (tests/models/make_models.py: torchvision-like CNNs, PyTorch- and
// paddle2onnx-style exports) import and specialise for the batch sizes and image sizes their
// onnxruntime reference files use; the paddle one also runs on the reference backend and match
// onnxruntime's outputs.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "backends/reference/reference_backend.h"
#include "core/npy.h"
#include "ir/specialize.h"
#include "onnx/import.h"

namespace tandem {
namespace {

namespace fs = std::filesystem;

std::string model_file(const std::string& name, const std::string& suffix) {
  return (fs::path(TANDEM_MODELS_DIR) / (name + suffix)).string();
}

// Runs the specialised graph on the reference backend and compares with onnxruntime's output.
void expect_matches_reference(const ir::Graph& g, const Tensor& x, const Tensor& want) {
  auto backend = make_reference_backend();
  ASSERT_TRUE(backend.is_ok());
  auto exe = (*backend)->compile(g, UnitOptions{});
  ASSERT_TRUE(exe.is_ok()) << exe.status().to_string();
  Tensor got(want.shape(), DType::kFloat32);
  const TensorView in = x.view(), out = got.view();
  Status st = (*exe)->run({&in, 1}, {&out, 1});
  ASSERT_TRUE(st.is_ok()) << st.to_string();
  double max_err = 0;
  for (int64_t i = 0; i < want.numel(); ++i)
    max_err = std::max(max_err, std::abs(got.float_at(i) - want.float_at(i)) / (1.0 + std::abs(want.float_at(i))));
  EXPECT_LT(max_err, 1e-4);
}

class GeneratedModel : public ::testing::TestWithParam<std::string> {};

TEST_P(GeneratedModel, ImportsAndSpecialises) {
  const std::string name = GetParam();
  if (!fs::exists(model_file(name, ".onnx"))) GTEST_SKIP() << name << ".onnx was not generated";
  auto g = import_onnx_file(model_file(name, ".onnx"));
  ASSERT_TRUE(g.is_ok()) << g.status().to_string();
  ASSERT_EQ(g->inputs.size(), 1u);
  ASSERT_EQ(g->outputs.size(), 1u);
  for (const char* b : {"_b1", "_b3"}) {
    auto x = read_npy(model_file(name, std::string(".input") + b + ".npy"));
    auto y = read_npy(model_file(name, std::string(".output") + b + ".npy"));
    ASSERT_TRUE(x.is_ok() && y.is_ok());
    auto s = ir::specialize(*g, {{g->inputs[0], x->shape()}}, reference_evaluate_node);
    ASSERT_TRUE(s.is_ok()) << name << b << ": " << s.status().to_string();
    for (const auto& n : s->nodes) {
      EXPECT_NE(n.op_type, "Shape") << "shape subgraph left unfolded: " << n.name;
      for (const auto& o : n.outputs) EXPECT_TRUE(s->info(o) && s->info(o)->fully_known()) << o;
    }
    EXPECT_EQ(s->info(s->outputs[0])->shape, y->shape()) << name << b;
    // The opset-9 paddle model (Upsample -> Resize, shape subgraph) is small enough to run here.
    if (name == "paddle_style") expect_matches_reference(*s, *x, *y);
  }
}

INSTANTIATE_TEST_SUITE_P(Models, GeneratedModel,
                         ::testing::Values("mobilenet_v1", "mobilenet_v2", "mobilenet_v3", "resnet18",
                                           "pytorch_style", "paddle_style", "vit_style"));

TEST(GeneratedModels, UnsupportedOpModelNamesTheOp) {
  const std::string path = model_file("unsupported_op", ".onnx");
  if (!fs::exists(path)) GTEST_SKIP() << "unsupported_op.onnx was not generated";
  auto g = import_onnx_file(path);
  ASSERT_FALSE(g.is_ok());
  EXPECT_EQ(g.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(g.status().message().find("unsupported op"), std::string::npos) << g.status().message();
}

}  // namespace
}  // namespace tandem
