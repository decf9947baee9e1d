// Reference Split, Pad, Expand, Tile, ConstantOfShape and Range checked element by element
// against index arithmetic written in the test (inputs are iota, so each output element names
// the input element it came from).
#include <gtest/gtest.h>

#include <numeric>

#include "ops/reference_test_util.h"

namespace tandem::testing {
namespace {

Tensor iota_i64(const Shape& shape) {
  Tensor t(shape, DType::kInt64);
  std::iota(t.data_as<int64_t>(), t.data_as<int64_t>() + t.numel(), 0);
  return t;
}

TEST(ReferenceSplit, UnevenPartsAlongTheMiddleAxis) {
  OneNode g("Split", ir::SplitAttrs{1, {1, 3}});
  g.input({2, 4, 3}, DType::kInt64).output({2, 1, 3}, DType::kInt64).output({2, 3, 3}, DType::kInt64);
  auto y = g.eval({iota_i64({2, 4, 3})});
  ASSERT_TRUE(y.is_ok()) << y.status().to_string();
  std::vector<int64_t> a, b;
  for (int64_t n = 0; n < 2; ++n)
    for (int64_t c = 0; c < 4; ++c)
      for (int64_t w = 0; w < 3; ++w) (c < 1 ? a : b).push_back((n * 4 + c) * 3 + w);
  EXPECT_EQ((*y)[0].to_int_vector(), a);
  EXPECT_EQ((*y)[1].to_int_vector(), b);
}

TEST(ReferenceSplit, SizesThatDoNotAddUpAreAnError) {
  OneNode g("Split", ir::SplitAttrs{0, {1, 1}});
  g.input({3}, DType::kInt64).output({1}, DType::kInt64).output({1}, DType::kInt64);
  EXPECT_FALSE(g.eval({iota_i64({3})}).is_ok());
}

// Source index along one dim of size n for padded position o (begin pad b), by mode; -1: constant.
int64_t pad_source(ir::PadMode mode, int64_t o, int64_t b, int64_t n) {
  int64_t i = o - b;
  if (i >= 0 && i < n) return i;
  if (mode == ir::PadMode::kConstant) return -1;
  if (mode == ir::PadMode::kEdge) return i < 0 ? 0 : n - 1;
  return i < 0 ? -i : 2 * n - 2 - i;  // reflect: numpy's 'reflect'
}

TEST(ReferencePad, EachModeMatchesTheIndexFormula) {
  const Shape in{3, 4};
  // dim 0: +2 / +1, dim 1: crop 1 / +2 (onnxruntime gives the same for each mode)
  const std::vector<int64_t> pads{2, -1, 1, 2};
  const Shape out{6, 5};
  for (ir::PadMode mode : {ir::PadMode::kConstant, ir::PadMode::kReflect, ir::PadMode::kEdge}) {
    SCOPED_TRACE(ir::pad_mode_name(mode));
    ir::PadAttrs a;
    a.mode = mode, a.pads = pads, a.value = -7.0f;
    OneNode g("Pad", a);
    g.input(in, DType::kInt64).output(out, DType::kInt64);
    auto y = g.eval({iota_i64(in)});
    ASSERT_TRUE(y.is_ok()) << y.status().to_string();
    std::vector<int64_t> want;
    for (int64_t r = 0; r < out[0]; ++r)
      for (int64_t c = 0; c < out[1]; ++c) {
        const int64_t i = pad_source(mode, r, 2, 3), j = pad_source(mode, c, -1, 4);
        want.push_back(i < 0 || j < 0 ? -7 : i * 4 + j);
      }
    EXPECT_EQ((*y)[0].to_int_vector(), want);
  }
}

TEST(ReferencePad, ReflectByHandOnARow) {  // numpy.pad([0, 1, 2, 3], (2, 3), 'reflect')
  ir::PadAttrs a;
  a.mode = ir::PadMode::kReflect, a.pads = {2, 3};
  OneNode g("Pad", a);
  g.input({4}, DType::kInt64).output({9}, DType::kInt64);
  auto y = g.eval({iota_i64({4})});
  ASSERT_TRUE(y.is_ok()) << y.status().to_string();
  EXPECT_EQ((*y)[0].to_int_vector(), (std::vector<int64_t>{2, 1, 0, 1, 2, 3, 2, 1, 0}));
}

TEST(ReferencePad, FloatConstant) {
  ir::PadAttrs a;
  a.pads = {0, 1, 0, 1};
  a.value = 0.25f;
  OneNode g("Pad", a);
  g.input({2, 1}).output({2, 3});
  auto y = g.eval({tensor_of<float>({2, 1}, DType::kFloat32, {5.0f, 6.0f})});
  ASSERT_TRUE(y.is_ok()) << y.status().to_string();
  expect_near_all((*y)[0], {0.25f, 5.0f, 0.25f, 0.25f, 6.0f, 0.25f});
}

TEST(ReferenceExpand, BroadcastsBothWays) {
  ir::ExpandAttrs a;
  a.shape = {2, 1, 4};
  OneNode g("Expand", a);
  g.input({3, 1}, DType::kInt64).output({2, 3, 4}, DType::kInt64);
  auto y = g.eval({iota_i64({3, 1})});
  ASSERT_TRUE(y.is_ok()) << y.status().to_string();
  std::vector<int64_t> want;
  for (int64_t n = 0; n < 2; ++n)
    for (int64_t i = 0; i < 3; ++i)
      for (int64_t j = 0; j < 4; ++j) want.push_back(i);
  EXPECT_EQ((*y)[0].to_int_vector(), want);
}

TEST(ReferenceTile, RepeatsEachDim) {
  ir::TileAttrs a;
  a.repeats = {2, 3};
  OneNode g("Tile", a);
  g.input({2, 3}, DType::kInt64).output({4, 9}, DType::kInt64);
  auto y = g.eval({iota_i64({2, 3})});
  ASSERT_TRUE(y.is_ok()) << y.status().to_string();
  std::vector<int64_t> want;
  for (int64_t r = 0; r < 4; ++r)
    for (int64_t c = 0; c < 9; ++c) want.push_back((r % 2) * 3 + c % 3);
  EXPECT_EQ((*y)[0].to_int_vector(), want);
}

TEST(ReferenceConstantOfShape, FillsWithTheValueAndItsDtype) {
  ir::ConstantOfShapeAttrs a;
  a.value = tensor_of<int32_t>({1}, DType::kInt32, {-3});
  OneNode g("ConstantOfShape", a);
  g.input({2}, DType::kInt64).output({2, 3}, DType::kInt32);
  auto y = g.eval({tensor_of<int64_t>({2}, DType::kInt64, {2, 3})});
  ASSERT_TRUE(y.is_ok()) << y.status().to_string();
  EXPECT_EQ((*y)[0].dtype(), DType::kInt32);
  EXPECT_EQ((*y)[0].to_int_vector(), std::vector<int64_t>(6, -3));
}

TEST(ReferenceRange, IntegerAndFloatSteps) {
  OneNode g("Range", ir::RangeAttrs{});
  g.input({}, DType::kInt64).input({}, DType::kInt64).input({}, DType::kInt64).output({4}, DType::kInt64);
  auto y = g.eval({tensor_of<int64_t>({}, DType::kInt64, {10}), tensor_of<int64_t>({}, DType::kInt64, {-1}),
                   tensor_of<int64_t>({}, DType::kInt64, {-3})});
  ASSERT_TRUE(y.is_ok()) << y.status().to_string();
  EXPECT_EQ((*y)[0].to_int_vector(), (std::vector<int64_t>{10, 7, 4, 1}));
  OneNode f("Range", ir::RangeAttrs{});
  f.input({}).input({}).input({}).output({3});
  auto z = f.eval({tensor_of<float>({}, DType::kFloat32, {0.5f}), tensor_of<float>({}, DType::kFloat32, {2.0f}),
                   tensor_of<float>({}, DType::kFloat32, {0.5f})});
  ASSERT_TRUE(z.is_ok()) << z.status().to_string();
  expect_near_all((*z)[0], {0.5f, 1.0f, 1.5f});
}

}  // namespace
}  // namespace tandem::testing
