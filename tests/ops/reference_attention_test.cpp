// Reference kernels of the transformer ops against formulas written out here: FusedAttention
// (every flag, a periodic bias), MatMul's fused bias and activation, and Einsum.
#include <cmath>

#include "ops/reference_test_util.h"

namespace tandem::testing {
namespace {

// softmax(scale * q k^T + bias) v for one [n, d] x [m, d] x [m, dv] problem, row-major.
std::vector<float> attention_formula(const float* q, const float* k, const float* v, const float* bias, int64_t n,
                                     int64_t m, int64_t d, int64_t dv, float scale) {
  std::vector<float> out(size_t(n * dv), 0.0f);
  for (int64_t i = 0; i < n; ++i) {
    std::vector<double> p(static_cast<size_t>(m));
    double sum = 0.0, mx = -1e300;
    for (int64_t j = 0; j < m; ++j) {
      double s = 0.0;
      for (int64_t t = 0; t < d; ++t) s += double(q[i * d + t]) * k[j * d + t];
      p[size_t(j)] = scale * s + (bias ? bias[i * m + j] : 0.0f);
      mx = std::max(mx, p[size_t(j)]);
    }
    for (auto& x : p) sum += (x = std::exp(x - mx));
    for (int64_t e = 0; e < dv; ++e) {
      double acc = 0.0;
      for (int64_t j = 0; j < m; ++j) acc += p[size_t(j)] / sum * v[j * dv + e];
      out[size_t(i * dv + e)] = float(acc);
    }
  }
  return out;
}

Tensor transpose_last_two(const Tensor& t) {
  const Shape& s = t.shape();
  const int64_t r = s[s.size() - 2], c = s.back(), batch = t.numel() / (r * c);
  Shape ts = s;
  std::swap(ts[ts.size() - 1], ts[ts.size() - 2]);
  Tensor out(ts, DType::kFloat32);
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t i = 0; i < r; ++i)
      for (int64_t j = 0; j < c; ++j) out.data_as<float>()[(b * c + j) * r + i] = t.data_as<float>()[(b * r + i) * c + j];
  return out;
}

TEST(ReferenceAttention, MatchesTheFormulaPerHead) {
  const int64_t b = 2, h = 2, n = 5, m = 7, d = 4, dv = 3;
  Tensor q = random_tensor({b, h, n, d}, 1), k = random_tensor({b, h, m, d}, 2), v = random_tensor({b, h, m, dv}, 3);
  Tensor bias = random_tensor({h, n, m}, 4);  // per head, the same for every batch
  ir::AttentionAttrs a{0.7f, false, false, false, true};
  OneNode node("FusedAttention", a);
  node.input(q.shape()).input(k.shape()).input(v.shape()).input(bias.shape()).output({b, h, n, dv});
  auto out = node.eval({q, k, v, bias});
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  for (int64_t bb = 0; bb < b; ++bb)
    for (int64_t hh = 0; hh < h; ++hh) {
      const int64_t bh = bb * h + hh;
      auto want = attention_formula(q.data_as<float>() + bh * n * d, k.data_as<float>() + bh * m * d,
                                    v.data_as<float>() + bh * m * dv, bias.data_as<float>() + hh * n * m, n, m, d, dv, 0.7f);
      for (int64_t i = 0; i < n * dv; ++i)
        ASSERT_NEAR((*out)[0].data_as<float>()[bh * n * dv + i], want[size_t(i)], 1e-5f) << bh << " " << i;
    }
}

TEST(ReferenceAttention, TransposedOperandsReadTheSameProblem) {
  const Shape qs{3, 6, 8};
  Tensor q = random_tensor(qs, 5), k = random_tensor({3, 9, 8}, 6), v = random_tensor({3, 9, 4}, 7);
  OneNode plain("FusedAttention", ir::AttentionAttrs{0.5f});
  plain.input(qs).input(k.shape()).input(v.shape()).output({3, 6, 4});
  auto want = plain.eval({q, k, v});
  ASSERT_TRUE(want.is_ok()) << want.status().to_string();
  OneNode flipped("FusedAttention", ir::AttentionAttrs{0.5f, true, true, true, false});
  flipped.input(qs).input({3, 8, 9}).input({3, 4, 9}).output({3, 4, 6});
  auto got = flipped.eval({q, transpose_last_two(k), transpose_last_two(v)});
  ASSERT_TRUE(got.is_ok()) << got.status().to_string();
  Tensor back = transpose_last_two((*got)[0]);
  for (int64_t i = 0; i < back.numel(); ++i)
    ASSERT_NEAR(back.data_as<float>()[i], (*want)[0].data_as<float>()[i], 1e-6f) << i;
}

// Swin's shifted windows: batch = images x windows, bias [windows, ...] read at b mod windows.
TEST(ReferenceAttention, PeriodicBiasRepeatsOverImages) {
  const int64_t images = 2, windows = 3, n = 4, d = 2;
  Tensor q = random_tensor({images * windows, 1, n, d}, 8), k = random_tensor({images * windows, 1, n, d}, 9);
  Tensor v = random_tensor({images * windows, 1, n, d}, 10), bias = random_tensor({windows, 1, n, n}, 11, -3.0f, 3.0f);
  OneNode node("FusedAttention", ir::AttentionAttrs{1.0f, false, false, false, true});
  node.input(q.shape()).input(k.shape()).input(v.shape()).input(bias.shape()).output(q.shape());
  auto out = node.eval({q, k, v, bias});
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  for (int64_t b = 0; b < images * windows; ++b) {
    auto want = attention_formula(q.data_as<float>() + b * n * d, k.data_as<float>() + b * n * d,
                                  v.data_as<float>() + b * n * d, bias.data_as<float>() + (b % windows) * n * n, n, n, d,
                                  d, 1.0f);
    for (int64_t i = 0; i < n * d; ++i) ASSERT_NEAR((*out)[0].data_as<float>()[b * n * d + i], want[size_t(i)], 1e-5f);
  }
}

TEST(ReferenceAttention, RefusesABiasThatDoesNotFit) {
  OneNode node("FusedAttention", ir::AttentionAttrs{1.0f, false, false, false, true});
  node.input({4, 1, 3, 2}).input({4, 1, 3, 2}).input({4, 1, 3, 2}).input({3, 1, 3, 3}).output({4, 1, 3, 2});
  auto out = node.eval({random_tensor({4, 1, 3, 2}, 1), random_tensor({4, 1, 3, 2}, 2), random_tensor({4, 1, 3, 2}, 3),
                        random_tensor({3, 1, 3, 3}, 4)});
  EXPECT_FALSE(out.is_ok());  // 3 does not divide the batch of 4
}

TEST(ReferenceMatMul, FusedBiasAndActivation) {
  Tensor a = tensor_of<float>({2, 1, 2}, DType::kFloat32, {1, 2, -3, 1});
  Tensor w = tensor_of<float>({2, 3}, DType::kFloat32, {1, 0, 2, 0, 1, -1});
  Tensor bias = tensor_of<float>({3}, DType::kFloat32, {0.5f, -1.0f, 0.0f});
  OneNode node("MatMul", ir::MatMulAttrs{true, {ir::ActKind::kRelu}});
  node.input({2, 1, 2}).input({2, 3}).input({3}).output({2, 1, 3});
  auto out = node.eval({a, w, bias});
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  // [1, 2] W = [1, 2, 0] + bias = [1.5, 1, 0]; [-3, 1] W = [-3, 1, -7] + bias = [-2.5, 0, -7] -> Relu.
  expect_near_all((*out)[0], {1.5f, 1.0f, 0.0f, 0.0f, 0.0f, 0.0f});
}

Result<Tensor> einsum(const std::string& eq, const std::vector<Tensor>& ins, const Shape& out) {
  OneNode node("Einsum", ir::EinsumAttrs{eq, {}, ""});
  for (const auto& t : ins) node.input(t.shape());
  node.output(out);
  TANDEM_ASSIGN_OR_RETURN(auto outs, node.eval(ins));
  return outs[0];
}

TEST(ReferenceEinsum, BatchedProductsAndTranspose) {
  Tensor a = random_tensor({2, 3, 4, 5}, 1), b = random_tensor({2, 3, 6, 5}, 2);
  auto s = einsum("bhid,bhjd->bhij", {a, b}, {2, 3, 4, 6});
  ASSERT_TRUE(s.is_ok()) << s.status().to_string();
  for (int64_t bh = 0; bh < 6; ++bh)
    for (int64_t i = 0; i < 4; ++i)
      for (int64_t j = 0; j < 6; ++j) {
        double acc = 0.0;
        for (int64_t t = 0; t < 5; ++t) acc += double(a.data_as<float>()[(bh * 4 + i) * 5 + t]) * b.data_as<float>()[(bh * 6 + j) * 5 + t];
        ASSERT_NEAR(s->data_as<float>()[(bh * 4 + i) * 6 + j], acc, 1e-5) << bh << " " << i << " " << j;
      }
  Tensor x = random_tensor({2, 3, 4}, 3), y = random_tensor({2, 3, 5}, 4);
  auto ntp = einsum("nct,ncp->ntp", {x, y}, {2, 4, 5});
  ASSERT_TRUE(ntp.is_ok()) << ntp.status().to_string();
  for (int64_t n = 0; n < 2; ++n)
    for (int64_t t = 0; t < 4; ++t)
      for (int64_t p = 0; p < 5; ++p) {
        double acc = 0.0;
        for (int64_t c = 0; c < 3; ++c) acc += double(x.data_as<float>()[(n * 3 + c) * 4 + t]) * y.data_as<float>()[(n * 3 + c) * 5 + p];
        ASSERT_NEAR(ntp->data_as<float>()[(n * 4 + t) * 5 + p], acc, 1e-5);
      }
  auto tr = einsum("ij->ji", {tensor_of<float>({2, 3}, DType::kFloat32, {1, 2, 3, 4, 5, 6})}, {3, 2});
  ASSERT_TRUE(tr.is_ok()) << tr.status().to_string();
  expect_near_all(*tr, {1, 4, 2, 5, 3, 6});
}

TEST(ReferenceEinsum, TraceImplicitOutputAndEllipsis) {
  Tensor m = tensor_of<float>({3, 3}, DType::kFloat32, {1, 2, 3, 4, 5, 6, 7, 8, 9});
  auto trace = einsum("ii", {m}, {});  // implicit output: no label occurs once -> a scalar
  ASSERT_TRUE(trace.is_ok()) << trace.status().to_string();
  expect_near_all(*trace, {15});
  auto rows = einsum("ij", {m}, {3, 3});  // implicit: "ij->ij"
  ASSERT_TRUE(rows.is_ok());
  expect_near_all(*rows, {1, 2, 3, 4, 5, 6, 7, 8, 9});
  // "...ij,...jk->...ik" with the ellipsis broadcasting [2, 1] against [3].
  Tensor a = random_tensor({2, 1, 2, 3}, 5), b = random_tensor({3, 3, 2}, 6);
  auto p = einsum("...ij,...jk->...ik", {a, b}, {2, 3, 2, 2});
  ASSERT_TRUE(p.is_ok()) << p.status().to_string();
  for (int64_t x = 0; x < 2; ++x)
    for (int64_t y = 0; y < 3; ++y)
      for (int64_t i = 0; i < 2; ++i)
        for (int64_t k = 0; k < 2; ++k) {
          double acc = 0.0;
          for (int64_t j = 0; j < 3; ++j) acc += double(a.data_as<float>()[(x * 2 + i) * 3 + j]) * b.data_as<float>()[(y * 3 + j) * 2 + k];
          ASSERT_NEAR(p->data_as<float>()[((x * 3 + y) * 2 + i) * 2 + k], acc, 1e-5);
        }
}

TEST(ReferenceEinsum, RefusesMismatchedLabels) {
  auto bad = einsum("ij,jk->ik", {random_tensor({2, 3}, 1), random_tensor({4, 2}, 2)}, {2, 2});
  EXPECT_FALSE(bad.is_ok());
}

}  // namespace
}  // namespace tandem::testing
