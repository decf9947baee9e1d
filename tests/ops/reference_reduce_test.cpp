// Reference Reduce* and LayerNormalization against formulas written independently in the test.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>

#include "backends/reference/reference_backend.h"
#include "ops/reference_test_util.h"

namespace tandem::testing {
namespace {

using ir::ReduceKind;

const float* f(const Tensor& t) { return t.data_as<float>(); }

ir::ReduceAttrs reduce(ReduceKind k, std::vector<int64_t> axes, bool keepdims = true) {
  ir::ReduceAttrs a;
  a.kind = k;
  a.axes = std::move(axes);
  a.keepdims = keepdims;
  return a;
}

// The value each kind gives for a group, written from the ONNX definitions.
double formula(ReduceKind k, const std::vector<double>& v) {
  double s = 0, p = 1, mx = -INFINITY, mn = INFINITY, l1 = 0, sq = 0, e = 0;
  for (double x : v) s += x, p *= x, mx = std::max(mx, x), mn = std::min(mn, x), l1 += std::fabs(x), sq += x * x;
  for (double x : v) e += std::exp(x);
  switch (k) {
    case ReduceKind::kSum: return s;
    case ReduceKind::kMean: return s / static_cast<double>(v.size());
    case ReduceKind::kMax: return mx;
    case ReduceKind::kMin: return mn;
    case ReduceKind::kProd: return p;
    case ReduceKind::kL1: return l1;
    case ReduceKind::kL2: return std::sqrt(sq);
    case ReduceKind::kSumSquare: return sq;
    case ReduceKind::kLogSum: return std::log(s);
    case ReduceKind::kLogSumExp: return std::log(e);
  }
  return NAN;
}

TEST(ReferenceReduce, EachKindOverTheMiddleAxis) {
  const Tensor x = random_tensor({2, 3, 4}, 11, 0.5f, 1.5f);  // positive: LogSum is defined
  for (int k = 0; k <= static_cast<int>(ReduceKind::kLogSumExp); ++k) {
    const auto kind = static_cast<ReduceKind>(k);
    SCOPED_TRACE(ir::reduce_op_type(kind));
    OneNode g(ir::reduce_op_type(kind), reduce(kind, {1}));
    g.input({2, 3, 4}).output({2, 1, 4});
    auto y = g.eval({x});
    ASSERT_TRUE(y.is_ok()) << y.status().to_string();
    std::vector<float> want;
    for (int i = 0; i < 2; ++i)
      for (int c = 0; c < 4; ++c) {
        std::vector<double> group;
        for (int j = 0; j < 3; ++j) group.push_back(f(x)[(i * 3 + j) * 4 + c]);
        want.push_back(static_cast<float>(formula(kind, group)));
      }
    expect_near_all((*y)[0], want);
  }
}

TEST(ReferenceReduce, AxisSetsAndKeepdims) {
  const Tensor x = random_tensor({2, 3, 4, 5}, 12);
  {  // H and W of NCHW, kept as 1s: the squeeze-excitation mean
    OneNode g("ReduceMean", reduce(ReduceKind::kMean, {2, 3}));
    g.input({2, 3, 4, 5}).output({2, 3, 1, 1});
    auto y = g.eval({x});
    ASSERT_TRUE(y.is_ok()) << y.status().to_string();
    std::vector<float> want;
    for (int p = 0; p < 6; ++p) {
      double s = 0;
      for (int i = 0; i < 20; ++i) s += f(x)[p * 20 + i];
      want.push_back(static_cast<float>(s / 20));
    }
    expect_near_all((*y)[0], want);
  }
  {  // N and H dropped
    OneNode g("ReduceMax", reduce(ReduceKind::kMax, {0, 2}, false));
    g.input({2, 3, 4, 5}).output({3, 5});
    auto y = g.eval({x});
    ASSERT_TRUE(y.is_ok()) << y.status().to_string();
    std::vector<float> want;
    for (int c = 0; c < 3; ++c)
      for (int w = 0; w < 5; ++w) {
        float m = -INFINITY;
        for (int n = 0; n < 2; ++n)
          for (int h = 0; h < 4; ++h) m = std::max(m, f(x)[((n * 3 + c) * 4 + h) * 5 + w]);
        want.push_back(m);
      }
    expect_near_all((*y)[0], want);
  }
  {  // every axis, no dims kept: a scalar
    OneNode g("ReduceSum", reduce(ReduceKind::kSum, {0, 1, 2, 3}, false));
    g.input({2, 3, 4, 5}).output({});
    auto y = g.eval({x});
    ASSERT_TRUE(y.is_ok()) << y.status().to_string();
    double s = 0;
    for (int i = 0; i < 120; ++i) s += f(x)[i];
    expect_near_all((*y)[0], {static_cast<float>(s)});
  }
}

TEST(ReferenceReduce, NoAxesWithNoopIsElementwise) {
  const Tensor x = tensor_of<float>({4}, DType::kFloat32, {-2, -0.5f, 1, 3});
  ir::ReduceAttrs sq = reduce(ReduceKind::kSumSquare, {});
  sq.noop_with_empty_axes = true;
  OneNode g("ReduceSumSquare", sq);
  g.input({4}).output({4});
  auto y = g.eval({x});
  ASSERT_TRUE(y.is_ok()) << y.status().to_string();
  expect_near_all((*y)[0], {4, 0.25f, 1, 9});
  OneNode l1("ReduceL1", reduce(ReduceKind::kL1, {}));
  l1.input({4}).output({4});
  y = l1.eval({x});
  ASSERT_TRUE(y.is_ok()) << y.status().to_string();
  expect_near_all((*y)[0], {2, 0.5f, 1, 3});
}

TEST(ReferenceReduce, LogSumExpDoesNotOverflow) {
  OneNode g("ReduceLogSumExp", reduce(ReduceKind::kLogSumExp, {0}, false));
  g.input({2}).output({});
  auto y = g.eval({tensor_of<float>({2}, DType::kFloat32, {1000, 1001})});
  ASSERT_TRUE(y.is_ok()) << y.status().to_string();
  expect_near_all((*y)[0], {static_cast<float>(1001 + std::log(1 + std::exp(-1.0)))}, 1e-3f);
}

TEST(ReferenceReduce, IntegerSumProdMaxMin) {
  const Tensor x = tensor_of<int64_t>({2, 3}, DType::kInt64, {1, 2, 3, 4, 5, 6});
  const std::pair<ReduceKind, std::vector<int64_t>> cases[] = {
      {ReduceKind::kSum, {6, 15}}, {ReduceKind::kProd, {6, 120}}, {ReduceKind::kMax, {3, 6}}, {ReduceKind::kMin, {1, 4}}};
  for (const auto& [kind, want] : cases) {
    OneNode g(ir::reduce_op_type(kind), reduce(kind, {1}, false));
    g.input({2, 3}, DType::kInt64).output({2}, DType::kInt64);
    auto y = g.eval({x});
    ASSERT_TRUE(y.is_ok()) << y.status().to_string();
    EXPECT_EQ((*y)[0].dtype(), DType::kInt64);
    EXPECT_EQ((*y)[0].to_int_vector(), want) << ir::reduce_op_type(kind);
  }
  OneNode g("ReduceProd", reduce(ReduceKind::kProd, {0, 1}, false));
  g.input({2, 3}, DType::kInt32).output({}, DType::kInt32);
  auto y = g.eval({tensor_of<int32_t>({2, 3}, DType::kInt32, {1, 2, 3, 4, 5, 6})});
  ASSERT_TRUE(y.is_ok()) << y.status().to_string();
  EXPECT_EQ((*y)[0].to_int_vector(), std::vector<int64_t>{720});
}

TEST(ReferenceReduce, RefusesIntegerMean) {
  OneNode g("ReduceMean", reduce(ReduceKind::kMean, {1}));
  g.input({2, 3}, DType::kInt64).output({2, 1}, DType::kInt64);
  auto backend = make_reference_backend();
  ASSERT_TRUE(backend.is_ok());
  const ir::Graph graph = g.finished();
  const Status st = (*backend)->supports(graph, graph.nodes[0]);
  EXPECT_EQ(st.code(), StatusCode::kUnsupported) << st.to_string();
}

// Y for rows of n elements, from mean and the biased variance; scale/bias indexed by `param(j)`.
std::vector<float> layer_norm_formula(const Tensor& x, int64_t n, float eps, const std::function<float(int64_t)>& scale,
                                      const std::function<float(int64_t)>& bias) {
  std::vector<float> out;
  for (int64_t r = 0; r < x.numel() / n; ++r) {
    const float* row = f(x) + r * n;
    double mean = 0, var = 0;
    for (int64_t j = 0; j < n; ++j) mean += row[j] / static_cast<double>(n);
    for (int64_t j = 0; j < n; ++j) var += (row[j] - mean) * (row[j] - mean) / static_cast<double>(n);
    for (int64_t j = 0; j < n; ++j)
      out.push_back(static_cast<float>((row[j] - mean) / std::sqrt(var + eps) * scale(j) + bias(j)));
  }
  return out;
}

TEST(ReferenceLayerNorm, LastAxisWithScaleAndBias) {
  const Tensor x = random_tensor({2, 3, 8}, 21, -2.0f, 3.0f), s = random_tensor({8}, 22), b = random_tensor({8}, 23);
  OneNode g("LayerNormalization", ir::LayerNormAttrs{2, 1e-5f, 1});
  g.input({2, 3, 8}).input({8}).input({8}).output({2, 3, 8});
  auto y = g.eval({x, s, b});
  ASSERT_TRUE(y.is_ok()) << y.status().to_string();
  expect_near_all((*y)[0], layer_norm_formula(x, 8, 1e-5f, [&](int64_t j) { return f(s)[j]; },
                                              [&](int64_t j) { return f(b)[j]; }));
}

TEST(ReferenceLayerNorm, TrailingAxesWithoutBiasAndStatistics) {
  const Tensor x = random_tensor({2, 3, 4}, 24), s = random_tensor({3, 4}, 25);
  OneNode g("LayerNormalization", ir::LayerNormAttrs{1, 0.1f, 1});
  g.input({2, 3, 4}).input({3, 4}).absent_input().output({2, 3, 4}).output({2, 1, 1}).output({2, 1, 1});
  auto y = g.eval({x, s, Tensor()});
  ASSERT_TRUE(y.is_ok()) << y.status().to_string();
  expect_near_all((*y)[0], layer_norm_formula(x, 12, 0.1f, [&](int64_t j) { return f(s)[j]; }, [](int64_t) { return 0.0f; }));
  for (int r = 0; r < 2; ++r) {
    double mean = 0, var = 0;
    for (int j = 0; j < 12; ++j) mean += f(x)[r * 12 + j] / 12.0;
    for (int j = 0; j < 12; ++j) var += (f(x)[r * 12 + j] - mean) * (f(x)[r * 12 + j] - mean) / 12.0;
    EXPECT_NEAR(f((*y)[1])[r], mean, 1e-5);
    EXPECT_NEAR(f((*y)[2])[r], 1.0 / std::sqrt(var + 0.1), 1e-4);
  }
}

TEST(ReferenceLayerNorm, ScaleBroadcastsAlongTheGroup) {
  const Tensor x = random_tensor({2, 3, 4}, 26), s = random_tensor({1, 4}, 27);
  OneNode g("LayerNormalization", ir::LayerNormAttrs{1, 1e-5f, 1});
  g.input({2, 3, 4}).input({1, 4}).output({2, 3, 4});
  auto y = g.eval({x, s});
  ASSERT_TRUE(y.is_ok()) << y.status().to_string();
  expect_near_all((*y)[0], layer_norm_formula(x, 12, 1e-5f, [&](int64_t j) { return f(s)[j % 4]; },
                                              [](int64_t) { return 0.0f; }));
}

}  // namespace
}  // namespace tandem::testing
