// Reference Conv / ConvTranspose against independent formulations: Conv via an explicitly
// zero-padded input; ConvTranspose through the adjoint identity <conv(x), y> = <x, convT(y)>.
#include <gtest/gtest.h>

#include "ops/reference_test_util.h"

namespace tandem::testing {
namespace {

struct Conv2dCase {
  int64_t n, c, h, w, m, k, stride, pad, dil, group;
};

// Output size of one spatial dim (floor mode).
int64_t out_dim(int64_t in, int64_t k, int64_t s, int64_t p, int64_t d) { return (in + 2 * p - ((k - 1) * d + 1)) / s + 1; }

std::vector<float> conv2d_padded(const Conv2dCase& t, const Tensor& x, const Tensor& w, const Tensor& b) {
  const int64_t hp = t.h + 2 * t.pad, wp = t.w + 2 * t.pad;
  std::vector<float> xp(static_cast<size_t>(t.n * t.c * hp * wp), 0.0f);
  for (int64_t n = 0; n < t.n; ++n)
    for (int64_t c = 0; c < t.c; ++c)
      for (int64_t i = 0; i < t.h; ++i)
        for (int64_t j = 0; j < t.w; ++j)
          xp[((n * t.c + c) * hp + i + t.pad) * wp + j + t.pad] = x.data_as<float>()[((n * t.c + c) * t.h + i) * t.w + j];
  const int64_t oh = out_dim(t.h, t.k, t.stride, t.pad, t.dil), ow = out_dim(t.w, t.k, t.stride, t.pad, t.dil);
  const int64_t cg = t.c / t.group, mg = t.m / t.group;
  std::vector<float> y;
  for (int64_t n = 0; n < t.n; ++n)
    for (int64_t m = 0; m < t.m; ++m)
      for (int64_t i = 0; i < oh; ++i)
        for (int64_t j = 0; j < ow; ++j) {
          float s = b.data_as<float>()[m];
          for (int64_t c = 0; c < cg; ++c)
            for (int64_t ki = 0; ki < t.k; ++ki)
              for (int64_t kj = 0; kj < t.k; ++kj)
                s += xp[((n * t.c + (m / mg) * cg + c) * hp + i * t.stride + ki * t.dil) * wp + j * t.stride + kj * t.dil] *
                     w.data_as<float>()[((m * cg + c) * t.k + ki) * t.k + kj];
          y.push_back(std::max(s, 0.0f));  // the test fuses a Relu epilogue
        }
  return y;
}

class ReferenceConv2d : public ::testing::TestWithParam<Conv2dCase> {};

TEST_P(ReferenceConv2d, MatchesPaddedFormula) {
  const Conv2dCase t = GetParam();
  ir::ConvAttrs a;
  a.kernel_shape = {t.k, t.k};
  a.strides = {t.stride, t.stride};
  a.pads = {t.pad, t.pad, t.pad, t.pad};
  a.dilations = {t.dil, t.dil};
  a.group = t.group;
  a.epilogue.kind = ir::ActKind::kRelu;
  const int64_t oh = out_dim(t.h, t.k, t.stride, t.pad, t.dil), ow = out_dim(t.w, t.k, t.stride, t.pad, t.dil);
  OneNode g("Conv", a);
  g.input({t.n, t.c, t.h, t.w}).input({t.m, t.c / t.group, t.k, t.k}).input({t.m}).output({t.n, t.m, oh, ow});
  Tensor x = random_tensor({t.n, t.c, t.h, t.w}, 1), w = random_tensor({t.m, t.c / t.group, t.k, t.k}, 2),
         b = random_tensor({t.m}, 3);
  auto y = g.eval({x, w, b});
  ASSERT_TRUE(y.is_ok()) << y.status().to_string();
  expect_near_all((*y)[0], conv2d_padded(t, x, w, b));
}

INSTANTIATE_TEST_SUITE_P(Shapes, ReferenceConv2d,
                         ::testing::Values(Conv2dCase{1, 3, 7, 7, 4, 3, 1, 1, 1, 1}, Conv2dCase{2, 4, 9, 8, 6, 3, 2, 1, 1, 2},
                                           Conv2dCase{1, 6, 8, 8, 6, 3, 1, 2, 2, 6},   // depthwise, dilated
                                           Conv2dCase{1, 2, 5, 6, 3, 1, 1, 0, 1, 1}));

double dot(const Tensor& a, const Tensor& b) {
  double s = 0.0;
  for (int64_t i = 0; i < a.numel(); ++i) s += static_cast<double>(a.data_as<float>()[i]) * b.data_as<float>()[i];
  return s;
}

// ConvTranspose with the same window is the adjoint of Conv: <conv(x, w), y> == <x, convT(y, w)>.
TEST(ReferenceConvTranspose, IsTheAdjointOfConv) {
  const int64_t n = 2, c = 4, h = 7, wd = 6, m = 6, k = 3, group = 2;
  const std::vector<int64_t> strides{2, 2}, pads{1, 0, 1, 1}, dil{1, 2};
  const int64_t oh = (h + 2 - 3) / 2 + 1, ow = (wd + 1 - 5) / 2 + 1;
  ir::ConvAttrs ca;
  ca.kernel_shape = {k, k}, ca.strides = strides, ca.pads = pads, ca.dilations = dil, ca.group = group;
  OneNode conv("Conv", ca);
  conv.input({n, c, h, wd}).input({m, c / group, k, k}).output({n, m, oh, ow});
  ir::ConvTransposeAttrs ta;
  ta.kernel_shape = {k, k}, ta.strides = strides, ta.pads = pads, ta.dilations = dil, ta.group = group;
  OneNode convt("ConvTranspose", ta);
  // ConvTranspose weight [C_in, C_out / group, k, k] is Conv's weight read the other way round.
  convt.input({n, m, oh, ow}).input({m, c / group, k, k}).output({n, c, h, wd});
  Tensor x = random_tensor({n, c, h, wd}, 4), w = random_tensor({m, c / group, k, k}, 5),
         y = random_tensor({n, m, oh, ow}, 6);
  auto cx = conv.eval({x, w});
  auto ty = convt.eval({y, w});
  ASSERT_TRUE(cx.is_ok()) << cx.status().to_string();
  ASSERT_TRUE(ty.is_ok()) << ty.status().to_string();
  EXPECT_NEAR(dot((*cx)[0], y), dot(x, (*ty)[0]), 1e-3);
}

TEST(ReferenceConvTranspose, BiasAndOutputPaddingRows) {
  // 1-D, stride 2, output_padding 1: the extra last output gets only the bias.
  ir::ConvTransposeAttrs a;
  a.kernel_shape = {2}, a.strides = {2}, a.pads = {0, 0}, a.dilations = {1}, a.output_padding = {1};
  OneNode g("ConvTranspose", a);
  g.input({1, 1, 3}).input({1, 1, 2}).input({1}).output({1, 1, 7});
  auto y = g.eval({tensor_of<float>({1, 1, 3}, DType::kFloat32, {1, 2, 3}),
                   tensor_of<float>({1, 1, 2}, DType::kFloat32, {10, 1}), tensor_of<float>({1}, DType::kFloat32, {0.5})});
  ASSERT_TRUE(y.is_ok()) << y.status().to_string();
  expect_near_all((*y)[0], {10.5f, 1.5f, 20.5f, 2.5f, 30.5f, 3.5f, 0.5f});
}

TEST(ReferenceConv, Conv1dEqualsConv2dWithUnitHeight) {
  ir::ConvAttrs a1;
  a1.kernel_shape = {3}, a1.strides = {2}, a1.pads = {1, 2}, a1.dilations = {1};
  ir::ConvAttrs a2;
  a2.kernel_shape = {1, 3}, a2.strides = {1, 2}, a2.pads = {0, 1, 0, 2}, a2.dilations = {1, 1};
  OneNode g1("Conv", a1), g2("Conv", a2);
  g1.input({1, 2, 10}).input({3, 2, 3}).output({1, 3, 6});
  g2.input({1, 2, 1, 10}).input({3, 2, 1, 3}).output({1, 3, 1, 6});
  Tensor x = random_tensor({1, 2, 10}, 7), w = random_tensor({3, 2, 3}, 8);
  auto y1 = g1.eval({x, w});
  auto y2 = g2.eval({*x.reshaped({1, 2, 1, 10}), *w.reshaped({3, 2, 1, 3})});
  ASSERT_TRUE(y1.is_ok() && y2.is_ok());
  const Tensor& b = (*y2)[0];
  expect_near_all((*y1)[0], std::vector<float>(b.data_as<float>(), b.data_as<float>() + b.numel()));
}

TEST(ReferenceConv, RefusesFloat16) {
  auto be = make_reference_backend();
  ASSERT_TRUE(be.is_ok());
  ir::ConvAttrs a;
  a.kernel_shape = {1, 1};
  OneNode g("Conv", a);
  g.input({1, 1, 2, 2}, DType::kFloat16).input({1, 1, 1, 1}, DType::kFloat16).output({1, 1, 2, 2}, DType::kFloat16);
  Status st = (*be)->supports(g.finished(), g.node);
  EXPECT_EQ(st.code(), StatusCode::kUnsupported);
  EXPECT_NE(st.message().find("float16"), std::string::npos) << st.message();
}

}  // namespace
}  // namespace tandem::testing
