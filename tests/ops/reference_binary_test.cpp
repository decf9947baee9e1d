// Reference Pow, Mod, comparisons, And/Or/Xor, Where and the variadic Sum/Mean/Min/Max on
// float32, int64, int32 and bool against values written in the test.
#include <gtest/gtest.h>

#include <cmath>

#include "ops/reference_test_util.h"

namespace tandem::testing {
namespace {

using ir::BinaryOp;

Tensor i64(const Shape& s, const std::vector<int64_t>& v) { return tensor_of<int64_t>(s, DType::kInt64, v); }
Tensor f32(const Shape& s, const std::vector<float>& v) { return tensor_of<float>(s, DType::kFloat32, v); }
Tensor boolean(const Shape& s, const std::vector<uint8_t>& v) { return tensor_of<uint8_t>(s, DType::kBool, v); }

const char* op_name(BinaryOp op) {
  static const char* kNames[] = {"Add", "Sub", "Mul", "Div", "Pow", "Mod", "Min", "Max", "Equal", "Less", "Greater",
                                 "LessOrEqual", "GreaterOrEqual", "And", "Or", "Xor"};
  return kNames[static_cast<int>(op)];
}

// One binary node of `a` and `b` writing `out_shape` x `out_type`.
Result<Tensor> eval_binary(const char* op, ir::BinaryAttrs at, const Tensor& a, const Tensor& b, const Shape& out_shape,
                           DType out_type) {
  OneNode g(op, at);
  g.input(a.shape(), a.dtype()).input(b.shape(), b.dtype()).output(out_shape, out_type);
  TANDEM_ASSIGN_OR_RETURN(auto y, g.eval({a, b}));
  return y[0];
}

TEST(ReferencePow, FloatBaseWithFloatAndIntegerExponents) {
  auto y = eval_binary("Pow", {BinaryOp::kPow}, f32({4}, {2, -2, 9, 0.5f}), f32({4}, {3, 2, 0.5f, -1}), {4}, DType::kFloat32);
  ASSERT_TRUE(y.is_ok()) << y.status().to_string();
  expect_near_all(*y, {8, 4, 3, 2});
  auto z = eval_binary("Pow", {BinaryOp::kPow}, f32({2, 2}, {1.5f, -3, 2, 4}), i64({}, {3}), {2, 2}, DType::kFloat32);
  ASSERT_TRUE(z.is_ok()) << z.status().to_string();
  expect_near_all(*z, {3.375f, -27, 8, 64});
}

TEST(ReferencePow, IntegerPowerIsExact) {
  auto y = eval_binary("Pow", {BinaryOp::kPow}, i64({5}, {3, -2, 2, 7, 2}), i64({5}, {4, 3, 40, 0, -1}), {5}, DType::kInt64);
  ASSERT_TRUE(y.is_ok()) << y.status().to_string();
  // 2^-1 truncates to 0, as onnxruntime computes it.
  EXPECT_EQ(y->to_int_vector(), (std::vector<int64_t>{81, -8, int64_t{1} << 40, 1, 0}));
}

TEST(ReferenceMod, SignFollowsDivisorUnlessFmod) {
  const Tensor a = i64({4}, {7, -7, 7, -7}), b = i64({4}, {3, 3, -3, -3});
  auto py = eval_binary("Mod", {BinaryOp::kMod, false}, a, b, {4}, DType::kInt64);
  auto c = eval_binary("Mod", {BinaryOp::kMod, true}, a, b, {4}, DType::kInt64);
  ASSERT_TRUE(py.is_ok() && c.is_ok());
  EXPECT_EQ(py->to_int_vector(), (std::vector<int64_t>{1, 2, -2, -1}));  // Python %
  EXPECT_EQ(c->to_int_vector(), (std::vector<int64_t>{1, -1, 1, -1}));   // C fmod
  auto f = eval_binary("Mod", {BinaryOp::kMod, true}, f32({3}, {-7.5f, 7.5f, 5}), f32({}, {2}), {3}, DType::kFloat32);
  ASSERT_TRUE(f.is_ok());
  expect_near_all(*f, {-1.5f, 1.5f, 1});
  auto zero = eval_binary("Mod", {BinaryOp::kMod, false}, a, i64({}, {0}), {4}, DType::kInt64);
  ASSERT_FALSE(zero.is_ok());
  EXPECT_NE(zero.status().message().find("modulo by zero"), std::string::npos) << zero.status().message();
}

TEST(ReferenceCompare, Int64EqualBroadcastsAndWritesBool) {
  // A shape subgraph's test: which dims of [1, 3, 224] equal [1] / [3] (broadcast over [2, 3]).
  auto y = eval_binary("Equal", {BinaryOp::kEqual}, i64({2, 1}, {1, 3}), i64({3}, {1, 3, 224}), {2, 3}, DType::kBool);
  ASSERT_TRUE(y.is_ok()) << y.status().to_string();
  EXPECT_EQ(y->dtype(), DType::kBool);
  EXPECT_EQ(y->to_int_vector(), (std::vector<int64_t>{1, 0, 0, 0, 1, 0}));
}

TEST(ReferenceCompare, EachComparisonOnFloatAndInt32) {
  const Tensor a = f32({4}, {1, 2, 3, NAN}), b = f32({}, {2});
  const std::pair<BinaryOp, std::vector<int64_t>> cases[] = {
      {BinaryOp::kEqual, {0, 1, 0, 0}},       {BinaryOp::kLess, {1, 0, 0, 0}},
      {BinaryOp::kGreater, {0, 0, 1, 0}},     {BinaryOp::kLessOrEqual, {1, 1, 0, 0}},
      {BinaryOp::kGreaterOrEqual, {0, 1, 1, 0}},  // NaN compares false
  };
  for (const auto& [op, want] : cases) {
    SCOPED_TRACE(static_cast<int>(op));
    auto y = eval_binary(op_name(op), {op}, a, b, {4}, DType::kBool);
    ASSERT_TRUE(y.is_ok()) << y.status().to_string();
    EXPECT_EQ(y->to_int_vector(), want);
  }
  auto z = eval_binary("Greater", {BinaryOp::kGreater}, tensor_of<int32_t>({3}, DType::kInt32, {-1, 5, 9}),
                       tensor_of<int32_t>({1}, DType::kInt32, {5}), {3}, DType::kBool);
  ASSERT_TRUE(z.is_ok()) << z.status().to_string();
  EXPECT_EQ(z->to_int_vector(), (std::vector<int64_t>{0, 0, 1}));
}

TEST(ReferenceCompare, BoolEqualAndLogicOps) {
  const Tensor a = boolean({2, 2}, {0, 0, 1, 1}), b = boolean({2}, {0, 1});
  const std::pair<BinaryOp, std::vector<int64_t>> cases[] = {
      {BinaryOp::kEqual, {1, 0, 0, 1}}, {BinaryOp::kAnd, {0, 0, 0, 1}},
      {BinaryOp::kOr, {0, 1, 1, 1}},    {BinaryOp::kXor, {0, 1, 1, 0}},
  };
  for (const auto& [op, want] : cases) {
    SCOPED_TRACE(static_cast<int>(op));
    auto y = eval_binary(op_name(op), {op}, a, b, {2, 2}, DType::kBool);
    ASSERT_TRUE(y.is_ok()) << y.status().to_string();
    EXPECT_EQ(y->to_int_vector(), want);
  }
}

TEST(ReferenceCompare, LessOnBoolIsRefused) {
  OneNode g("Less", ir::BinaryAttrs{BinaryOp::kLess});
  g.input({2}, DType::kBool).input({2}, DType::kBool).output({2}, DType::kBool);
  auto backend = make_reference_backend();
  ASSERT_TRUE(backend.is_ok());
  const ir::Graph graph = g.finished();
  EXPECT_EQ((*backend)->supports(graph, graph.nodes[0]).code(), StatusCode::kUnsupported);
}

TEST(ReferenceWhere, BroadcastsConditionAndBothBranches) {
  OneNode g("Where", ir::WhereAttrs{});
  g.input({2, 1}, DType::kBool).input({1, 3}).input({}).output({2, 3});
  auto y = g.eval({boolean({2, 1}, {1, 0}), f32({1, 3}, {1, 2, 3}), f32({}, {-9})});
  ASSERT_TRUE(y.is_ok()) << y.status().to_string();
  expect_near_all((*y)[0], {1, 2, 3, -9, -9, -9});
}

TEST(ReferenceWhere, Int64AndBoolValues) {
  // Shape subgraph form: Where(Equal(shape, 0), default_shape, shape).
  OneNode g("Where", ir::WhereAttrs{});
  g.input({3}, DType::kBool).input({3}, DType::kInt64).input({3}, DType::kInt64).output({3}, DType::kInt64);
  auto y = g.eval({boolean({3}, {0, 1, 0}), i64({3}, {1, 2, 3}), i64({3}, {int64_t{1} << 40, 5, 6})});
  ASSERT_TRUE(y.is_ok()) << y.status().to_string();
  EXPECT_EQ((*y)[0].to_int_vector(), (std::vector<int64_t>{int64_t{1} << 40, 2, 6}));
  OneNode h("Where", ir::WhereAttrs{});
  h.input({2}, DType::kBool).input({2}, DType::kBool).input({1}, DType::kBool).output({2}, DType::kBool);
  auto z = h.eval({boolean({2}, {1, 0}), boolean({2}, {0, 1}), boolean({1}, {1})});
  ASSERT_TRUE(z.is_ok()) << z.status().to_string();
  EXPECT_EQ((*z)[0].to_int_vector(), (std::vector<int64_t>{0, 1}));
}

Result<Tensor> eval_variadic(ir::VariadicOp op, const std::vector<Tensor>& ins, const Shape& out) {
  static const char* kNames[] = {"Sum", "Mean", "Min", "Max"};
  OneNode g(kNames[static_cast<int>(op)], ir::VariadicAttrs{op});
  for (const auto& t : ins) g.input(t.shape(), t.dtype());
  g.output(out, ins[0].dtype());
  TANDEM_ASSIGN_OR_RETURN(auto y, g.eval(ins));
  return y[0];
}

TEST(ReferenceVariadic, ThreeInputsBroadcast) {
  const std::vector<Tensor> ins{f32({2, 1}, {1, 10}), f32({3}, {5, -1, 12}), f32({}, {4})};
  const std::pair<ir::VariadicOp, std::vector<float>> cases[] = {
      {ir::VariadicOp::kSum, {10, 4, 17, 19, 13, 26}},
      {ir::VariadicOp::kMean, {10 / 3.0f, 4 / 3.0f, 17 / 3.0f, 19 / 3.0f, 13 / 3.0f, 26 / 3.0f}},
      {ir::VariadicOp::kMin, {1, -1, 1, 4, -1, 4}},
      {ir::VariadicOp::kMax, {5, 4, 12, 10, 10, 12}},
  };
  for (const auto& [op, want] : cases) {
    SCOPED_TRACE(static_cast<int>(op));
    auto y = eval_variadic(op, ins, {2, 3});
    ASSERT_TRUE(y.is_ok()) << y.status().to_string();
    expect_near_all(*y, want);
  }
}

TEST(ReferenceVariadic, OneInputIsACopyAndMinMaxPropagateNan) {
  auto one = eval_variadic(ir::VariadicOp::kMean, {f32({3}, {1, 2, 3})}, {3});
  ASSERT_TRUE(one.is_ok()) << one.status().to_string();
  expect_near_all(*one, {1, 2, 3});
  auto mx = eval_variadic(ir::VariadicOp::kMax, {f32({2}, {NAN, 1}), f32({2}, {0, NAN})}, {2});
  ASSERT_TRUE(mx.is_ok());
  EXPECT_TRUE(std::isnan(mx->data_as<float>()[0]));
  EXPECT_TRUE(std::isnan(mx->data_as<float>()[1]));
}

TEST(ReferenceVariadic, Int64MinMaxForShapeArithmetic) {
  const std::vector<Tensor> ins{i64({3}, {1, 224, -5}), i64({1}, {3})};
  auto mn = eval_variadic(ir::VariadicOp::kMin, ins, {3});
  auto mx = eval_variadic(ir::VariadicOp::kMax, ins, {3});
  ASSERT_TRUE(mn.is_ok() && mx.is_ok());
  EXPECT_EQ(mn->to_int_vector(), (std::vector<int64_t>{1, 3, -5}));
  EXPECT_EQ(mx->to_int_vector(), (std::vector<int64_t>{3, 224, 3}));
}

}  // namespace
}  // namespace tandem::testing
