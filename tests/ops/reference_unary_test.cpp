// Reference unary math ops (Erf ... Sign, Not) and the activations Gelu, Softplus, Elu, Selu, Mish
// against values and formulas written in the test.
#include <gtest/gtest.h>

#include <cmath>

#include "ops/reference_test_util.h"

namespace tandem::testing {
namespace {

using ir::UnaryOp;

Result<Tensor> eval_unary(UnaryOp op, const Tensor& x) {
  OneNode g(ir::unary_op_name(op), ir::UnaryAttrs{op});
  g.input(x.shape(), x.dtype()).output(x.shape(), x.dtype());
  TANDEM_ASSIGN_OR_RETURN(auto y, g.eval({x}));
  return y[0];
}

Tensor floats(const std::vector<float>& v) { return tensor_of<float>({static_cast<int64_t>(v.size())}, DType::kFloat32, v); }

void expect_unary(UnaryOp op, const std::vector<float>& in, const std::vector<float>& want) {
  SCOPED_TRACE(ir::unary_op_name(op));
  auto y = eval_unary(op, floats(in));
  ASSERT_TRUE(y.is_ok()) << y.status().to_string();
  expect_near_all(*y, want, 1e-6f);
}

TEST(ReferenceUnary, KnownValues) {
  expect_unary(UnaryOp::kErf, {0.0f, 0.5f, -1.0f, 3.0f}, {0.0f, 0.5204998778f, -0.8427007929f, 0.9999779095f});
  expect_unary(UnaryOp::kSqrt, {0.0f, 4.0f, 2.0f}, {0.0f, 2.0f, 1.4142135624f});
  expect_unary(UnaryOp::kExp, {0.0f, 1.0f, -2.0f}, {1.0f, 2.7182818285f, 0.1353352832f});
  expect_unary(UnaryOp::kLog, {1.0f, 2.7182818285f, 0.5f}, {0.0f, 1.0f, -0.6931471806f});
  expect_unary(UnaryOp::kNeg, {1.5f, -2.0f, 0.0f}, {-1.5f, 2.0f, 0.0f});
  expect_unary(UnaryOp::kAbs, {1.5f, -2.0f, 0.0f}, {1.5f, 2.0f, 0.0f});
  expect_unary(UnaryOp::kReciprocal, {2.0f, -0.25f, 1.0f}, {0.5f, -4.0f, 1.0f});
  expect_unary(UnaryOp::kSin, {0.0f, 1.5707963268f, -0.5f}, {0.0f, 1.0f, -0.4794255386f});
  expect_unary(UnaryOp::kCos, {0.0f, 3.1415926536f, 0.5f}, {1.0f, -1.0f, 0.8775825619f});
  expect_unary(UnaryOp::kCeil, {1.2f, -1.2f, 2.0f, -0.5f}, {2.0f, -1.0f, 2.0f, 0.0f});
  expect_unary(UnaryOp::kFloor, {1.8f, -1.2f, 2.0f, -0.5f}, {1.0f, -2.0f, 2.0f, -1.0f});
  expect_unary(UnaryOp::kSign, {3.5f, -0.1f, 0.0f}, {1.0f, -1.0f, 0.0f});
}

TEST(ReferenceUnary, RoundIsHalfToEven) {
  expect_unary(UnaryOp::kRound, {0.5f, 1.5f, 2.5f, -0.5f, -1.5f, -2.5f, 2.4f, 2.6f, -2.6f},
               {0.0f, 2.0f, 2.0f, 0.0f, -2.0f, -2.0f, 2.0f, 3.0f, -3.0f});
}

TEST(ReferenceUnary, SignKeepsNan) {
  auto y = eval_unary(UnaryOp::kSign, floats({NAN}));
  ASSERT_TRUE(y.is_ok());
  EXPECT_TRUE(std::isnan(y->data_as<float>()[0]));
}

TEST(ReferenceUnary, IntegerNegAbsSign) {
  const std::vector<int64_t> in{-5, 0, 7, -(int64_t{1} << 40)};
  const Tensor x = tensor_of<int64_t>({4}, DType::kInt64, in);
  auto neg = eval_unary(UnaryOp::kNeg, x);
  auto abs = eval_unary(UnaryOp::kAbs, x);
  auto sign = eval_unary(UnaryOp::kSign, x);
  ASSERT_TRUE(neg.is_ok() && abs.is_ok() && sign.is_ok());
  EXPECT_EQ(neg->to_int_vector(), (std::vector<int64_t>{5, 0, -7, int64_t{1} << 40}));
  EXPECT_EQ(abs->to_int_vector(), (std::vector<int64_t>{5, 0, 7, int64_t{1} << 40}));
  EXPECT_EQ(sign->to_int_vector(), (std::vector<int64_t>{-1, 0, 1, -1}));
  auto neg32 = eval_unary(UnaryOp::kNeg, tensor_of<int32_t>({2}, DType::kInt32, {3, -4}));
  ASSERT_TRUE(neg32.is_ok());
  EXPECT_EQ(neg32->dtype(), DType::kInt32);
  EXPECT_EQ(neg32->to_int_vector(), (std::vector<int64_t>{-3, 4}));
}

TEST(ReferenceUnary, NotOnBool) {
  auto y = eval_unary(UnaryOp::kNot, tensor_of<uint8_t>({3}, DType::kBool, {1, 0, 1}));
  ASSERT_TRUE(y.is_ok()) << y.status().to_string();
  EXPECT_EQ(y->dtype(), DType::kBool);
  EXPECT_EQ(y->to_int_vector(), (std::vector<int64_t>{0, 1, 0}));
}

TEST(ReferenceUnary, RefusesTypesItDoesNotRun) {
  auto sqrt_int = eval_unary(UnaryOp::kSqrt, tensor_of<int64_t>({1}, DType::kInt64, {4}));
  ASSERT_FALSE(sqrt_int.is_ok());
  EXPECT_EQ(sqrt_int.status().code(), StatusCode::kUnsupported);
  auto not_float = eval_unary(UnaryOp::kNot, floats({1.0f}));
  ASSERT_FALSE(not_float.is_ok());
  EXPECT_EQ(not_float.status().code(), StatusCode::kUnsupported);
}

std::vector<float> eval_activation(const char* op, ir::Epilogue e, const std::vector<float>& in) {
  OneNode g(op, ir::ActivationAttrs{e});
  const Shape s{static_cast<int64_t>(in.size())};
  g.input(s).output(s);
  auto y = g.eval({floats(in)});
  EXPECT_TRUE(y.is_ok()) << y.status().to_string();
  if (!y.is_ok()) return {};
  return std::vector<float>((*y)[0].data_as<float>(), (*y)[0].data_as<float>() + in.size());
}

// Written out from the definitions (double precision), independent of ir::apply_epilogue.
double gelu_erf(double x) { return 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0))); }
double gelu_tanh(double x) {
  const double pi = std::acos(-1.0);
  return 0.5 * x * (1.0 + std::tanh(std::sqrt(2.0 / pi) * (x + 0.044715 * x * x * x)));
}
double softplus(double x) { return std::log(1.0 + std::exp(x)); }

TEST(ReferenceActivation, GeluBothForms) {
  const std::vector<float> in{-3.0f, -1.0f, -0.25f, 0.0f, 0.5f, 1.0f, 2.5f};
  const auto exact = eval_activation("Gelu", {ir::ActKind::kGelu}, in);
  const auto approx = eval_activation("Gelu", {ir::ActKind::kGeluTanh}, in);
  ASSERT_EQ(exact.size(), in.size());
  ASSERT_EQ(approx.size(), in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    EXPECT_NEAR(exact[i], gelu_erf(in[i]), 1e-6) << in[i];
    EXPECT_NEAR(approx[i], gelu_tanh(in[i]), 1e-6) << in[i];
  }
  EXPECT_NEAR(exact[5], 0.8413447461f, 1e-6f);   // GELU(1) = Phi(1)
  EXPECT_NEAR(approx[5], 0.8411919906f, 1e-6f);  // the tanh form differs in the 4th digit
}

TEST(ReferenceActivation, SoftplusEluSeluMish) {
  const std::vector<float> in{-20.0f, -2.0f, -0.5f, 0.0f, 0.7f, 3.0f};
  const auto sp = eval_activation("Softplus", {ir::ActKind::kSoftplus}, in);
  const auto elu = eval_activation("Elu", {ir::ActKind::kElu, 0.7f}, in);
  const float alpha = 1.67326319f, gamma = 1.05070102f;
  const auto selu = eval_activation("Selu", {ir::ActKind::kSelu, alpha, gamma}, in);
  const auto mish = eval_activation("Mish", {ir::ActKind::kMish}, in);
  ASSERT_EQ(mish.size(), in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    const double x = in[i];
    EXPECT_NEAR(sp[i], softplus(x), 1e-6) << x;
    EXPECT_NEAR(elu[i], x > 0 ? x : 0.7 * (std::exp(x) - 1.0), 1e-6) << x;
    EXPECT_NEAR(selu[i], gamma * (x > 0 ? x : alpha * (std::exp(x) - 1.0)), 1e-6) << x;
    EXPECT_NEAR(mish[i], x * std::tanh(softplus(x)), 1e-6) << x;
  }
}

TEST(ReferenceActivation, SoftplusAndMishDoNotOverflow) {
  const auto sp = eval_activation("Softplus", {ir::ActKind::kSoftplus}, {100.0f, 200.0f, -200.0f});
  const auto mish = eval_activation("Mish", {ir::ActKind::kMish}, {100.0f, -200.0f});
  ASSERT_EQ(sp.size(), 3u);
  EXPECT_FLOAT_EQ(sp[0], 100.0f);
  EXPECT_FLOAT_EQ(sp[1], 200.0f);
  EXPECT_GE(sp[2], 0.0f);
  EXPECT_LT(sp[2], 1e-30f);
  ASSERT_EQ(mish.size(), 2u);
  EXPECT_FLOAT_EQ(mish[0], 100.0f);
  EXPECT_NEAR(mish[1], 0.0f, 1e-30f);
}

}  // namespace
}  // namespace tandem::testing
