// Reference Gemm, MatMul, binary ops, activations, pooling, BatchNormalization and Softmax
// against formulas written independently in the test.
#include <gtest/gtest.h>

#include <cmath>

#include "ops/reference_test_util.h"

namespace tandem::testing {
namespace {

const float* f(const Tensor& t) { return t.data_as<float>(); }

TEST(ReferenceGemm, TransposesScalesAndBroadcastsBias) {
  const int64_t m = 3, k = 5, n = 4;
  ir::GemmAttrs a;
  a.alpha = 0.5f, a.beta = 2.0f, a.trans_a = true, a.trans_b = true;
  OneNode g("Gemm", a);
  g.input({k, m}).input({n, k}).input({n}).output({m, n});
  Tensor at = random_tensor({k, m}, 1), bt = random_tensor({n, k}, 2), c = random_tensor({n}, 3);
  auto y = g.eval({at, bt, c});
  ASSERT_TRUE(y.is_ok()) << y.status().to_string();
  std::vector<float> want;
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      float s = 0;
      for (int64_t p = 0; p < k; ++p) s += f(at)[p * m + i] * f(bt)[j * k + p];
      want.push_back(0.5f * s + 2.0f * f(c)[j]);
    }
  expect_near_all((*y)[0], want);
}

TEST(ReferenceMatMul, BroadcastsBatchDims) {
  OneNode g("MatMul", ir::MatMulAttrs{});
  g.input({2, 1, 3, 4}).input({3, 4, 5}).output({2, 3, 3, 5});
  Tensor a = random_tensor({2, 1, 3, 4}, 4), b = random_tensor({3, 4, 5}, 5);
  auto y = g.eval({a, b});
  ASSERT_TRUE(y.is_ok()) << y.status().to_string();
  std::vector<float> want;
  for (int64_t i = 0; i < 2; ++i)
    for (int64_t j = 0; j < 3; ++j)
      for (int64_t r = 0; r < 3; ++r)
        for (int64_t c = 0; c < 5; ++c) {
          float s = 0;
          for (int64_t p = 0; p < 4; ++p) s += f(a)[(i * 3 + r) * 4 + p] * f(b)[(j * 4 + p) * 5 + c];
          want.push_back(s);
        }
  expect_near_all((*y)[0], want);
}

TEST(ReferenceMatMul, VectorTimesVectorIsADot) {
  OneNode g("MatMul", ir::MatMulAttrs{});
  g.input({3}).input({3}).output({});
  auto y = g.eval({tensor_of<float>({3}, DType::kFloat32, {1, 2, 3}), tensor_of<float>({3}, DType::kFloat32, {4, 5, 6})});
  ASSERT_TRUE(y.is_ok()) << y.status().to_string();
  expect_near_all((*y)[0], {32.0f});
}

TEST(ReferenceBinary, BroadcastsBothWays) {
  OneNode g("Sub", ir::BinaryAttrs{ir::BinaryOp::kSub});
  g.input({3, 1}).input({1, 4}).output({3, 4});
  auto y = g.eval({tensor_of<float>({3, 1}, DType::kFloat32, {10, 20, 30}),
                   tensor_of<float>({1, 4}, DType::kFloat32, {1, 2, 3, 4})});
  ASSERT_TRUE(y.is_ok()) << y.status().to_string();
  expect_near_all((*y)[0], {9, 8, 7, 6, 19, 18, 17, 16, 29, 28, 27, 26});
}

TEST(ReferenceBinary, IntegerDivTruncatesAndRefusesZero) {
  OneNode g("Div", ir::BinaryAttrs{ir::BinaryOp::kDiv});
  g.input({4}, DType::kInt64).input({}, DType::kInt64).output({4}, DType::kInt64);
  auto y = g.eval({tensor_of<int64_t>({4}, DType::kInt64, {7, -7, 6, 0}), tensor_of<int64_t>({}, DType::kInt64, {2})});
  ASSERT_TRUE(y.is_ok()) << y.status().to_string();
  EXPECT_EQ((*y)[0].to_int_vector(), (std::vector<int64_t>{3, -3, 3, 0}));
  auto bad = g.eval({tensor_of<int64_t>({4}, DType::kInt64, {1, 2, 3, 4}), tensor_of<int64_t>({}, DType::kInt64, {0})});
  ASSERT_FALSE(bad.is_ok());
  EXPECT_NE(bad.status().message().find("division by zero"), std::string::npos) << bad.status().message();
}

TEST(ReferenceActivation, ClipAndLeakyRelu) {
  ir::ActivationAttrs clip;
  clip.act = {ir::ActKind::kClip, 0.0f, 6.0f};
  OneNode g("Clip", clip);
  g.input({4}).output({4});
  auto y = g.eval({tensor_of<float>({4}, DType::kFloat32, {-1, 3, 6.5f, 2})});
  ASSERT_TRUE(y.is_ok());
  expect_near_all((*y)[0], {0, 3, 6, 2});
  ir::ActivationAttrs leaky;
  leaky.act = {ir::ActKind::kLeakyRelu, 0.1f, 0.0f};
  OneNode h("LeakyRelu", leaky);
  h.input({2}).output({2});
  auto z = h.eval({tensor_of<float>({2}, DType::kFloat32, {-2, 2})});
  ASSERT_TRUE(z.is_ok());
  expect_near_all((*z)[0], {-0.2f, 2});
}

TEST(ReferencePool, MaxAndAverageWithPadding) {
  // 1x1x3x3 input 1..9, kernel 2, stride 1, pad 1 on the end only.
  ir::PoolAttrs a;
  a.kernel_shape = {2, 2}, a.strides = {1, 1}, a.pads = {0, 0, 1, 1}, a.dilations = {1, 1};
  Tensor x = tensor_of<float>({1, 1, 3, 3}, DType::kFloat32, {1, 2, 3, 4, 5, 6, 7, 8, 9});
  a.kind = ir::PoolKind::kMax;
  OneNode mx("MaxPool", a);
  mx.input({1, 1, 3, 3}).output({1, 1, 3, 3});
  auto y = mx.eval({x});
  ASSERT_TRUE(y.is_ok()) << y.status().to_string();
  expect_near_all((*y)[0], {5, 6, 6, 8, 9, 9, 8, 9, 9});
  a.kind = ir::PoolKind::kAverage;
  OneNode avg("AveragePool", a);
  avg.input({1, 1, 3, 3}).output({1, 1, 3, 3});
  y = avg.eval({x});
  ASSERT_TRUE(y.is_ok());
  expect_near_all((*y)[0], {3, 4, 4.5f, 6, 7, 7.5f, 7.5f, 8.5f, 9});
  a.count_include_pad = true;
  OneNode avg_pad("AveragePool", a);
  avg_pad.input({1, 1, 3, 3}).output({1, 1, 3, 3});
  y = avg_pad.eval({x});
  ASSERT_TRUE(y.is_ok());
  expect_near_all((*y)[0], {3, 4, 9.0f / 4, 6, 7, 15.0f / 4, 15.0f / 4, 17.0f / 4, 9.0f / 4});
}

TEST(ReferencePool, RefusesMaxPoolIndices) {
  auto be = make_reference_backend();
  ASSERT_TRUE(be.is_ok());
  ir::PoolAttrs a;
  a.kernel_shape = {2, 2};
  OneNode g("MaxPool", a);
  g.input({1, 1, 4, 4}).output({1, 1, 3, 3}).output({1, 1, 3, 3}, DType::kInt64);
  EXPECT_EQ((*be)->supports(g.finished(), g.node).code(), StatusCode::kUnsupported);
}

TEST(ReferenceGlobalPool, AveragesEachPlane) {
  OneNode g("GlobalAveragePool", ir::GlobalPoolAttrs{ir::PoolKind::kAverage});
  g.input({1, 2, 2, 2}).output({1, 2, 1, 1});
  auto y = g.eval({tensor_of<float>({1, 2, 2, 2}, DType::kFloat32, {1, 2, 3, 4, -1, -1, -1, 3})});
  ASSERT_TRUE(y.is_ok());
  expect_near_all((*y)[0], {2.5f, 0});
}

TEST(ReferenceBatchNorm, NormalisesPerChannel) {
  OneNode g("BatchNormalization", ir::BatchNormAttrs{0.0f});
  g.input({1, 2, 2}).input({2}).input({2}).input({2}).input({2}).output({1, 2, 2});
  auto y = g.eval({tensor_of<float>({1, 2, 2}, DType::kFloat32, {1, 3, 5, 9}), tensor_of<float>({2}, DType::kFloat32, {2, 1}),
                   tensor_of<float>({2}, DType::kFloat32, {0, 1}), tensor_of<float>({2}, DType::kFloat32, {2, 7}),
                   tensor_of<float>({2}, DType::kFloat32, {1, 4})});
  ASSERT_TRUE(y.is_ok());
  expect_near_all((*y)[0], {-2, 2, 0, 2});
}

TEST(ReferenceSoftmax, SumsToOneAlongTheAxis) {
  ir::SoftmaxAttrs a;
  a.axis = 1;
  OneNode g("Softmax", a);
  g.input({2, 3, 4}).output({2, 3, 4});
  Tensor x = random_tensor({2, 3, 4}, 9, -5, 5);
  auto y = g.eval({x});
  ASSERT_TRUE(y.is_ok()) << y.status().to_string();
  const float* py = f((*y)[0]);
  for (int64_t n = 0; n < 2; ++n)
    for (int64_t i = 0; i < 4; ++i) {
      float s = 0;
      for (int64_t c = 0; c < 3; ++c) s += py[(n * 3 + c) * 4 + i];
      EXPECT_NEAR(s, 1.0f, 1e-5);
      // Ratios follow exp differences.
      const int64_t a0 = (n * 3) * 4 + i, a1 = (n * 3 + 1) * 4 + i;
      EXPECT_NEAR(py[a0] / py[a1], std::exp(f(x)[a0] - f(x)[a1]), 1e-3 * std::exp(f(x)[a0] - f(x)[a1]));
    }
}

}  // namespace
}  // namespace tandem::testing
