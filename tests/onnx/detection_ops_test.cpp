// Detection-head ops from ONNX files: TopK imports, specialises with a constant K and runs on the
// reference kernel; a K computed from the data, and ops whose output shape depends on the data
// (NonZero), fail with one line naming the op and why; NonMaxSuppression runs with an open row count.
#include <gtest/gtest.h>

#include "backends/reference/reference_backend.h"
#include "ir/specialize.h"
#include "onnx/import.h"
#include "onnx/model_builder.h"

namespace tandem {
namespace {

using testing::ModelBuilder;

// x[N,W] -> TopK(K, axis -1, largest 0) -> values, indices. K is the initializer "k" (= 2) or,
// with `k_input`, a graph input. W = -1: open until specialisation.
ModelBuilder topk_model(bool k_input, int64_t width = 6) {
  ModelBuilder b(11);
  b.input("x", {-1, width});
  if (k_input) b.input("k", {1}, onnx::TensorProto::INT64);
  else b.init(ModelBuilder::int64_tensor("k", {1}, {2}));
  auto* t = b.node("TopK", {"x", "k"}, {"values", "indices"}, "topk");
  ModelBuilder::attr(t, "axis", int64_t{-1});
  ModelBuilder::attr(t, "largest", int64_t{0});
  b.output("values", {-1, -1});
  b.output("indices", {-1, -1}, onnx::TensorProto::INT64);
  return b;
}

TEST(DetectionOps, TopKWithConstantKSpecialisesAndRuns) {
  auto g = import_onnx_bytes(topk_model(false).bytes(), "topk.onnx");
  ASSERT_TRUE(g.is_ok()) << g.status().to_string();
  auto s = ir::specialize(*g, {{"x", {2, 6}}}, reference_evaluate_node);
  ASSERT_TRUE(s.is_ok()) << s.status().to_string();
  EXPECT_EQ(s->info("values")->shape, (Shape{2, 2}));
  EXPECT_EQ(s->info("indices")->dtype, DType::kInt64);
  const auto& a = std::get<ir::TopKAttrs>(s->nodes.at(0).attrs);
  EXPECT_EQ(a.axis, 1);
  EXPECT_EQ(a.k, 2);
  EXPECT_FALSE(a.largest);
  Tensor x = Tensor::from_vector<float>({2, 6}, DType::kFloat32, {3, 1, 2, 0.5f, 9, 1, 4, 4, 4, 4, -1, 8});
  auto out = reference_evaluate_node(*s, s->nodes[0], {x, *s->constant("k")});
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  EXPECT_EQ((*out)[1].to_int_vector(), (std::vector<int64_t>{3, 1, 4, 0}));
  EXPECT_EQ((*out)[0].data_as<float>()[0], 0.5f);
  EXPECT_EQ((*out)[0].data_as<float>()[3], 4.0f);
}

TEST(DetectionOps, TopKWithKFromTheDataFailsAtSpecialisation) {
  auto g = import_onnx_bytes(topk_model(true).bytes(), "topk.onnx");
  ASSERT_TRUE(g.is_ok()) << g.status().to_string();
  auto s = ir::specialize(*g, {{"x", {2, 6}}, {"k", {1}}}, reference_evaluate_node);
  ASSERT_FALSE(s.is_ok());
  EXPECT_EQ(s.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(s.status().message().find("node 'topk' (TopK)"), std::string::npos) << s.status().message();
  EXPECT_NE(s.status().message().find("K is not a constant"), std::string::npos) << s.status().message();
  EXPECT_EQ(s.status().message().find('\n'), std::string::npos);
}

TEST(DetectionOps, TopKLargerThanTheAxisIsAnError) {
  ModelBuilder b = topk_model(false, -1);  // ONNX's own inference would see K > W otherwise
  b.graph().mutable_initializer(0)->set_int64_data(0, 7);
  auto g = import_onnx_bytes(b.bytes(), "topk.onnx");
  ASSERT_TRUE(g.is_ok()) << g.status().to_string();
  auto s = ir::specialize(*g, {{"x", {2, 6}}}, reference_evaluate_node);
  ASSERT_FALSE(s.is_ok());
  EXPECT_NE(s.status().message().find("larger than axis 1 (6 elements)"), std::string::npos) << s.status().message();
}

TEST(DetectionOps, DataDependentShapesFailAtLoadNamingTheOp) {
  ModelBuilder b(13);
  b.input("x", {2, 3});
  b.node("NonZero", {"x"}, {"nz"}, "nonzero");
  b.output("nz", {2, -1}, onnx::TensorProto::INT64);
  auto g = import_onnx_bytes(b.bytes(), "nz.onnx");
  ASSERT_FALSE(g.is_ok());
  EXPECT_EQ(g.status().code(), StatusCode::kUnsupported);
  EXPECT_EQ(g.status().message(),
            "nz.onnx: unsupported op 'NonZero' (node 'nonzero'; its output shape depends on the data, and Tandem "
            "does not run this one yet)");
}

// NonMaxSuppression imports; its row count stays open after specialisation, and the reference
// backend's dynamic run gives the rows onnxruntime's rules pick (hand-checked here; the
// detection_head model checks against onnxruntime itself).
TEST(DetectionOps, NonMaxSuppressionKeepsAnOpenRowCountAndRunsOnReference) {
  ModelBuilder b(11);
  b.input("boxes", {1, 4, 4});
  b.input("scores", {1, 1, 4});
  b.init(ModelBuilder::int64_tensor("max", {1}, {3}));
  b.node("NonMaxSuppression", {"boxes", "scores", "max"}, {"selected"}, "nms");
  b.output("selected", {-1, 3}, onnx::TensorProto::INT64);
  auto g = import_onnx_bytes(b.bytes(), "nms.onnx");
  ASSERT_TRUE(g.is_ok()) << g.status().to_string();
  auto s = ir::specialize(*g, {{"boxes", {1, 4, 4}}, {"scores", {1, 1, 4}}}, reference_evaluate_node);
  ASSERT_TRUE(s.is_ok()) << s.status().to_string();
  EXPECT_EQ(s->info("selected")->shape, (Shape{-1, 3}));
  auto backend = make_reference_backend();
  ASSERT_TRUE(backend.is_ok());
  ASSERT_TRUE((*backend)->supports(*s, s->nodes[0]).is_ok());
  auto exe = (*backend)->compile(*s, {});
  ASSERT_TRUE(exe.is_ok()) << exe.status().to_string();
  // Box 1 overlaps box 0 (IoU 0.81 > the default threshold 0) and is suppressed; 2 and 3 are apart.
  Tensor boxes = Tensor::from_vector<float>({1, 4, 4}, DType::kFloat32,
                                            {0, 0, 10, 10, 1, 1, 10, 10, 20, 20, 30, 30, 40, 40, 41, 41});
  Tensor scores = Tensor::from_vector<float>({1, 1, 4}, DType::kFloat32, {0.9f, 0.95f, 0.5f, 0.7f});
  std::vector<TensorView> ins{boxes.view(), scores.view()};
  auto out = (*exe)->run_dynamic(ins);
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  ASSERT_EQ(out->size(), 1u);
  EXPECT_EQ((*out)[0].shape(), (Shape{3, 3}));
  EXPECT_EQ((*out)[0].to_int_vector(), (std::vector<int64_t>{0, 0, 1, 0, 0, 3, 0, 0, 2}));
}

}  // namespace
}  // namespace tandem
