// Reference data-movement and shape ops (Transpose, Slice, Gather, Concat, Cast, Shape, Resize)
// checked element by element against index arithmetic written in the test.
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>

#include "ops/reference_test_util.h"

namespace tandem::testing {
namespace {

Tensor iota_i64(const Shape& shape) {
  Tensor t(shape, DType::kInt64);
  std::iota(t.data_as<int64_t>(), t.data_as<int64_t>() + t.numel(), 0);
  return t;
}

TEST(ReferenceTranspose, PermutesInt64) {
  ir::TransposeAttrs a;
  a.perm = {2, 0, 1};
  OneNode g("Transpose", a);
  g.input({2, 3, 4}, DType::kInt64).output({4, 2, 3}, DType::kInt64);
  auto y = g.eval({iota_i64({2, 3, 4})});
  ASSERT_TRUE(y.is_ok()) << y.status().to_string();
  const int64_t* p = (*y)[0].data_as<int64_t>();
  for (int64_t k = 0; k < 4; ++k)
    for (int64_t i = 0; i < 2; ++i)
      for (int64_t j = 0; j < 3; ++j) EXPECT_EQ(p[(k * 2 + i) * 3 + j], (i * 3 + j) * 4 + k);
}

TEST(ReferenceSlice, NegativeStepAndClamping) {
  ir::SliceAttrs a;
  a.starts = {-1, 1}, a.ends = {-100, 1000}, a.axes = {1, 0}, a.steps = {-2, 1};
  OneNode g("Slice", a);
  // Axis 1 (size 5) from 4 down past the start by 2: 4, 2, 0. Axis 0 (size 3) from 1 to the end.
  g.input({3, 5}, DType::kInt64).output({2, 3}, DType::kInt64);
  auto y = g.eval({iota_i64({3, 5})});
  ASSERT_TRUE(y.is_ok()) << y.status().to_string();
  EXPECT_EQ((*y)[0].to_int_vector(), (std::vector<int64_t>{9, 7, 5, 14, 12, 10}));
}

TEST(ReferenceGather, NegativeIndicesOnAxis1) {
  OneNode g("Gather", ir::GatherAttrs{1});
  g.input({2, 3}, DType::kInt64).input({2}, DType::kInt32).output({2, 2}, DType::kInt64);
  auto y = g.eval({iota_i64({2, 3}), tensor_of<int32_t>({2}, DType::kInt32, {-1, 0})});
  ASSERT_TRUE(y.is_ok()) << y.status().to_string();
  EXPECT_EQ((*y)[0].to_int_vector(), (std::vector<int64_t>{2, 0, 5, 3}));
  auto bad = g.eval({iota_i64({2, 3}), tensor_of<int32_t>({2}, DType::kInt32, {3, 0})});
  EXPECT_FALSE(bad.is_ok());
}

// Swin's mask code: y = data with rows (0, 2) of a [3, 2] tensor replaced, and with add.
TEST(ReferenceScatterND, ReplacesAndAddsSlices) {
  for (auto r : {ir::ScatterReduction::kNone, ir::ScatterReduction::kAdd}) {
    OneNode g("ScatterND", ir::ScatterNDAttrs{r});
    g.input({3, 2}).input({2, 1}, DType::kInt64).input({2, 2}).output({3, 2});
    auto y = g.eval({tensor_of<float>({3, 2}, DType::kFloat32, {1, 2, 3, 4, 5, 6}),
                     tensor_of<int64_t>({2, 1}, DType::kInt64, {0, -1}),
                     tensor_of<float>({2, 2}, DType::kFloat32, {10, 20, 30, 40})});
    ASSERT_TRUE(y.is_ok()) << y.status().to_string();
    if (r == ir::ScatterReduction::kNone) expect_near_all((*y)[0], {10, 20, 3, 4, 30, 40});
    else expect_near_all((*y)[0], {11, 22, 3, 4, 35, 46});
  }
  OneNode g("ScatterND", ir::ScatterNDAttrs{});
  g.input({3, 2}).input({1, 2}, DType::kInt64).input({1}).output({3, 2});
  auto y = g.eval({tensor_of<float>({3, 2}, DType::kFloat32, {1, 2, 3, 4, 5, 6}),
                   tensor_of<int64_t>({1, 2}, DType::kInt64, {3, 0}), tensor_of<float>({1}, DType::kFloat32, {9})});
  EXPECT_FALSE(y.is_ok()) << "index 3 is out of range for a dim of 3";
}

TEST(ReferenceConcat, JoinsAlongNegativeAxis) {
  OneNode g("Concat", ir::ConcatAttrs{-1});
  g.input({2, 1}, DType::kInt64).input({2, 2}, DType::kInt64).output({2, 3}, DType::kInt64);
  auto y = g.eval({tensor_of<int64_t>({2, 1}, DType::kInt64, {7, 8}), iota_i64({2, 2})});
  ASSERT_TRUE(y.is_ok()) << y.status().to_string();
  EXPECT_EQ((*y)[0].to_int_vector(), (std::vector<int64_t>{7, 0, 1, 8, 2, 3}));
}

TEST(ReferenceCast, FloatToIntTruncatesAndHalfRoundTrips) {
  OneNode g("Cast", ir::CastAttrs{DType::kInt32});
  g.input({4}).output({4}, DType::kInt32);
  auto y = g.eval({tensor_of<float>({4}, DType::kFloat32, {1.9f, -1.9f, 0.0f, 100.5f})});
  ASSERT_TRUE(y.is_ok());
  EXPECT_EQ((*y)[0].to_int_vector(), (std::vector<int64_t>{1, -1, 0, 100}));
  OneNode h("Cast", ir::CastAttrs{DType::kFloat16});
  h.input({2}).output({2}, DType::kFloat16);
  auto z = h.eval({tensor_of<float>({2}, DType::kFloat32, {0.5f, -3.25f})});
  ASSERT_TRUE(z.is_ok());
  EXPECT_EQ((*z)[0].float_at(0), 0.5);
  EXPECT_EQ((*z)[0].float_at(1), -3.25);
  OneNode b("Cast", ir::CastAttrs{DType::kBool});
  b.input({3}).output({3}, DType::kBool);
  auto w = b.eval({tensor_of<float>({3}, DType::kFloat32, {0.0f, -0.0f, 0.25f})});
  ASSERT_TRUE(w.is_ok());
  EXPECT_EQ((*w)[0].to_int_vector(), (std::vector<int64_t>{0, 0, 1}));
}

TEST(ReferenceShape, StartAndEnd) {
  ir::ShapeAttrs a;
  a.start = 1, a.end = -1;
  OneNode g("Shape", a);
  g.input({2, 3, 4, 5}).output({2}, DType::kInt64);
  auto y = g.eval({Tensor::zeros({2, 3, 4, 5}, DType::kFloat32)});
  ASSERT_TRUE(y.is_ok()) << y.status().to_string();
  EXPECT_EQ((*y)[0].to_int_vector(), (std::vector<int64_t>{3, 4}));
}

TEST(ReferenceResize, NearestAsymmetricRepeats) {
  ir::ResizeAttrs a;
  a.mode = "nearest", a.coordinate_transformation_mode = "asymmetric", a.nearest_mode = "floor";
  a.scales = {1, 1, 2, 3};
  OneNode g("Resize", a);
  g.input({1, 1, 2, 2}).output({1, 1, 4, 6});
  auto y = g.eval({tensor_of<float>({1, 1, 2, 2}, DType::kFloat32, {1, 2, 3, 4})});
  ASSERT_TRUE(y.is_ok()) << y.status().to_string();
  std::vector<float> want;
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 6; ++j) want.push_back(static_cast<float>(1 + (i / 2) * 2 + j / 3));
  expect_near_all((*y)[0], want);
}

TEST(ReferenceResize, LinearAlignCornersIsExactOnARamp) {
  // A bilinear ramp v = 10 * h + w is reproduced exactly by align_corners bilinear resizing.
  ir::ResizeAttrs a;
  a.mode = "linear", a.coordinate_transformation_mode = "align_corners";
  a.scales = {1, 1, 5.0f / 3, 7.0f / 4};
  OneNode g("Resize", a);
  g.input({1, 1, 3, 4}).output({1, 1, 5, 7});
  std::vector<float> x;
  for (int h = 0; h < 3; ++h)
    for (int w = 0; w < 4; ++w) x.push_back(10.0f * h + w);
  auto y = g.eval({tensor_of<float>({1, 1, 3, 4}, DType::kFloat32, x)});
  ASSERT_TRUE(y.is_ok()) << y.status().to_string();
  std::vector<float> want;
  for (int i = 0; i < 5; ++i)
    for (int j = 0; j < 7; ++j) want.push_back(10.0f * (i * 2.0f / 4) + j * 3.0f / 6);
  expect_near_all((*y)[0], want);
}

TEST(ReferenceResize, RefusesCubicWithTheReason) {
  auto be = make_reference_backend();
  ASSERT_TRUE(be.is_ok());
  ir::ResizeAttrs a;
  a.mode = "cubic";
  OneNode g("Resize", a);
  g.input({1, 1, 2, 2}).output({1, 1, 4, 4});
  Status st = (*be)->supports(g.finished(), g.node);
  EXPECT_EQ(st.code(), StatusCode::kUnsupported);
  EXPECT_NE(st.message().find("cubic"), std::string::npos) << st.message();
}

TEST(ReferenceBackend, CompilesAndRunsATwoNodeGraph) {
  // Relu(MatMul(x, w)) through compile + run, checked against the node evaluator.
  ir::Graph g;
  g.inputs = {"x"};
  g.outputs = {"y"};
  g.values["x"] = {DType::kFloat32, {2, 3}, true};
  g.values["t"] = {DType::kFloat32, {2, 2}, true};
  g.values["y"] = {DType::kFloat32, {2, 2}, true};
  g.initializers["w"] = random_tensor({3, 2}, 11);
  g.values["w"] = {DType::kFloat32, {3, 2}, true};
  ir::ActivationAttrs relu;
  relu.act.kind = ir::ActKind::kRelu;
  g.nodes = {ir::Node{"mm", "MatMul", {"x", "w"}, {"t"}, ir::MatMulAttrs{}, {}},
             ir::Node{"relu", "Relu", {"t"}, {"y"}, relu, {}}};
  auto be = make_reference_backend();
  ASSERT_TRUE(be.is_ok());
  auto exe = (*be)->compile(g, UnitOptions{});
  ASSERT_TRUE(exe.is_ok()) << exe.status().to_string();
  Tensor x = random_tensor({2, 3}, 12), y({2, 2}, DType::kFloat32);
  TensorView in[] = {x.view()}, out[] = {y.view()};
  ASSERT_TRUE((*exe)->run(in, out).is_ok());
  auto t = reference_evaluate_node(g, g.nodes[0], {x, g.initializers["w"]});
  ASSERT_TRUE(t.is_ok());
  for (int64_t i = 0; i < 4; ++i) EXPECT_FLOAT_EQ(y.data_as<float>()[i], std::max(0.0f, (*t)[0].data_as<float>()[i]));
}

// TopK: expected orders written out by hand, ties broken by the lower index.
TEST(ReferenceTopK, LargestAlongLastAxisWithTies) {
  ir::TopKAttrs a;
  a.axis = 1, a.k = 3;
  OneNode g("TopK", a);
  g.input({2, 5}).output({2, 3}).output({2, 3}, DType::kInt64);
  auto y = g.eval({tensor_of<float>({2, 5}, DType::kFloat32, {1, 5, 3, 5, -2, 0, 0, -1, 7, 0})});
  ASSERT_TRUE(y.is_ok()) << y.status().to_string();
  expect_near_all((*y)[0], {5, 5, 3, 7, 0, 0});
  EXPECT_EQ((*y)[1].to_int_vector(), (std::vector<int64_t>{1, 3, 2, 3, 0, 1}));
}

TEST(ReferenceTopK, SmallestAlongAxis0OfInt64) {
  ir::TopKAttrs a;
  a.axis = 0, a.k = 2, a.largest = false;
  OneNode g("TopK", a);
  g.input({3, 2}, DType::kInt64).output({2, 2}, DType::kInt64).output({2, 2}, DType::kInt64);
  // Columns (4, -1, 4) and (1LL << 40, 2, -3).
  auto y = g.eval({tensor_of<int64_t>({3, 2}, DType::kInt64, {4, 1LL << 40, -1, 2, 4, -3})});
  ASSERT_TRUE(y.is_ok()) << y.status().to_string();
  EXPECT_EQ((*y)[0].to_int_vector(), (std::vector<int64_t>{-1, -3, 4, 2}));
  EXPECT_EQ((*y)[1].to_int_vector(), (std::vector<int64_t>{1, 2, 0, 1}));
}

TEST(ReferenceTopK, NaNIsLargestAndKZeroIsEmpty) {
  ir::TopKAttrs a;
  a.axis = 0, a.k = 2;
  OneNode g("TopK", a);
  g.input({3}).output({2}).output({2}, DType::kInt64);
  auto y = g.eval({tensor_of<float>({3}, DType::kFloat32, {1.0f, NAN, 2.0f})});
  ASSERT_TRUE(y.is_ok()) << y.status().to_string();
  EXPECT_TRUE(std::isnan((*y)[0].data_as<float>()[0]));
  EXPECT_EQ((*y)[0].data_as<float>()[1], 2.0f);
  EXPECT_EQ((*y)[1].to_int_vector(), (std::vector<int64_t>{1, 2}));
  a.k = 0;
  OneNode none("TopK", a);
  none.input({3}).output({0}).output({0}, DType::kInt64);
  auto e = none.eval({tensor_of<float>({3}, DType::kFloat32, {1, 2, 3})});
  ASSERT_TRUE(e.is_ok()) << e.status().to_string();
  EXPECT_EQ((*e)[1].numel(), 0);
}

// GatherND: ONNX's examples, a negative index, and a bad one.
TEST(ReferenceGatherND, TuplesSlicesAndBatchDims) {
  OneNode whole("GatherND", ir::GatherNDAttrs{0});
  whole.input({2, 2}, DType::kInt64).input({3, 2}, DType::kInt64).output({3}, DType::kInt64);
  auto y = whole.eval({iota_i64({2, 2}), tensor_of<int64_t>({3, 2}, DType::kInt64, {0, 0, 1, 1, -1, -2})});
  ASSERT_TRUE(y.is_ok()) << y.status().to_string();
  EXPECT_EQ((*y)[0].to_int_vector(), (std::vector<int64_t>{0, 3, 2}));
  OneNode rows("GatherND", ir::GatherNDAttrs{0});
  rows.input({2, 2}).input({2, 1}, DType::kInt64).output({2, 2});
  auto r = rows.eval({tensor_of<float>({2, 2}, DType::kFloat32, {0, 1, 2, 3}), tensor_of<int64_t>({2, 1}, DType::kInt64, {1, 0})});
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  expect_near_all((*r)[0], {2, 3, 0, 1});
  OneNode batched("GatherND", ir::GatherNDAttrs{1});
  batched.input({2, 2, 2}, DType::kInt64).input({2, 1}, DType::kInt64).output({2, 2}, DType::kInt64);
  auto bt = batched.eval({iota_i64({2, 2, 2}), tensor_of<int64_t>({2, 1}, DType::kInt64, {1, 0})});
  ASSERT_TRUE(bt.is_ok()) << bt.status().to_string();
  EXPECT_EQ((*bt)[0].to_int_vector(), (std::vector<int64_t>{2, 3, 4, 5}));
  auto bad = batched.eval({iota_i64({2, 2, 2}), tensor_of<int64_t>({2, 1}, DType::kInt64, {2, 0})});
  EXPECT_FALSE(bad.is_ok());
}

}  // namespace
}  // namespace tandem::testing
