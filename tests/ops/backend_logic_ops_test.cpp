// Comparisons, logic, Cast to integers and Shape of the op-test matrix: every case in every
// column (cpu; cuda fp32, tf32, fp16) against the reference backend (ops/op_matrix.h). Bool and
// integer outputs must be equal in every column. The cpu unit runs most of these through its reference fallback
// (plain buffers behind its own layouts); cuda keeps float32 tensors only, so it may refuse a
// graph that makes or reads bool or integer tensors (Cast to float32: backend_transformer_ops_test).
#include <gtest/gtest.h>

#include "ops/op_matrix.h"

namespace tandem {
namespace {

using optest::GraphBuilder;

class LogicOps : public optest::MatrixTest {};

// Values k / 4 for k in [-8, 8]: small integers and quarters, so that equal elements occur and
// fp16 holds every one exactly.
Tensor quarters(const Shape& s, int shift) {
  Tensor t(s, DType::kFloat32);
  for (int64_t i = 0; i < t.numel(); ++i) t.data_as<float>()[i] = static_cast<float>((i * 7 + shift) % 17 - 8) / 4.0f;
  return t;
}

const char* binary_name(ir::BinaryOp op) {
  static const char* kNames[] = {"Add",   "Sub",  "Mul",     "Div",         "Pow",            "Mod",
                                 "Min",   "Max",  "Equal",   "Less",        "Greater",        "LessOrEqual",
                                 "GreaterOrEqual", "And",   "Or",          "Xor"};
  return kNames[static_cast<int>(op)];
}

TANDEM_MATRIX_CASE(LogicOps, ComparisonsOfFloatsWriteBool) {
  using B = ir::BinaryOp;
  const Shape s{2, 3, 4, 5};
  for (B op : {B::kEqual, B::kLess, B::kGreater, B::kLessOrEqual, B::kGreaterOrEqual}) {
    SCOPED_TRACE(binary_name(op));
    r.check_unless_refused(GraphBuilder()
                               .input("a", s).input("b", {3, 1, 5})
                               .value("y", s, DType::kBool)
                               .node(binary_name(op), {"a", "b"}, {"y"}, ir::BinaryAttrs{op}, {s})
                               .output("y")
                               .build(),
                           {"cuda"}, {quarters(s, 0), quarters({3, 1, 5}, 3)});
  }
}

TANDEM_MATRIX_CASE(LogicOps, EqualOfInt64) {  // shape arithmetic: Equal(shape, 0)
  const Tensor shape = Tensor::from_vector<int64_t>({4}, DType::kInt64, {2, 0, -1, 0});
  r.check_unless_refused(GraphBuilder()
                             .input("s", {4}, DType::kInt64)
                             .constant("zero", Tensor::from_vector<int64_t>({}, DType::kInt64, {0}))
                             .value("y", {4}, DType::kBool)
                             .node("Equal", {"s", "zero"}, {"y"}, ir::BinaryAttrs{ir::BinaryOp::kEqual}, {{4}})
                             .output("y")
                             .build(),
                         {"cuda"}, {shape});
}

// And, Or, Xor and Not of masks made by comparisons; Where selects by one of them.
TANDEM_MATRIX_CASE(LogicOps, LogicOfMasksAndWhere) {
  using B = ir::BinaryOp;
  const Shape s{2, 8, 6};
  const std::vector<Tensor> in{quarters(s, 0), quarters(s, 5)};
  for (B op : {B::kAnd, B::kOr, B::kXor}) {
    SCOPED_TRACE(binary_name(op));
    r.check_unless_refused(GraphBuilder()
                               .input("a", s).input("b", s)
                               .constant("zero", Tensor::from_vector<float>({}, DType::kFloat32, {0.0f}))
                               .value("lt", s, DType::kBool).value("pos", s, DType::kBool)
                               .value("m", s, DType::kBool).value("y", s, DType::kBool)
                               .node("Less", {"a", "b"}, {"lt"}, ir::BinaryAttrs{B::kLess}, {s})
                               .node("Greater", {"a", "zero"}, {"pos"}, ir::BinaryAttrs{B::kGreater}, {s})
                               .node(binary_name(op), {"lt", "pos"}, {"m"}, ir::BinaryAttrs{op}, {s})
                               .node("Not", {"m"}, {"y"}, ir::UnaryAttrs{ir::UnaryOp::kNot}, {s})
                               .output("m").output("y")
                               .build(),
                           {"cuda"}, in);
  }
  r.check_unless_refused(GraphBuilder()
                             .input("a", s).input("b", s)
                             .value("lt", s, DType::kBool)
                             .node("Less", {"a", "b"}, {"lt"}, ir::BinaryAttrs{B::kLess}, {s})
                             .node("Where", {"lt", "a", "b"}, {"y"}, ir::WhereAttrs{}, {s})
                             .output("y")
                             .build(),
                         {"cuda"}, in);
}

// Cast of a float32 tensor to int32 (truncates) and of a computed mask to float32.
TANDEM_MATRIX_CASE(LogicOps, CastToIntAndOfMasks) {
  const Shape s{3, 16};
  r.check_unless_refused(GraphBuilder()
                             .input("x", s)
                             .value("y", s, DType::kInt32)
                             .node("Cast", {"x"}, {"y"}, ir::CastAttrs{DType::kInt32}, {s})
                             .output("y")
                             .build(),
                         {"cuda"}, {quarters(s, 1)});
  r.check_unless_refused(GraphBuilder()
                             .input("a", s).input("b", s)
                             .value("lt", s, DType::kBool)
                             .node("Less", {"a", "b"}, {"lt"}, ir::BinaryAttrs{ir::BinaryOp::kLess}, {s})
                             .node("Cast", {"lt"}, {"y"}, ir::CastAttrs{DType::kFloat32}, {s})
                             .output("y")
                             .build(),
                         {"cuda"}, {quarters(s, 0), quarters(s, 4)});
}

TANDEM_MATRIX_CASE(LogicOps, ShapeWithStartAndEnd) {
  ir::ShapeAttrs part;
  part.start = 1, part.end = -1;
  r.check_unless_refused(GraphBuilder()
                             .input("x", {2, 3, 4, 5})
                             .value("s", {4}, DType::kInt64).value("p", {2}, DType::kInt64)
                             .node("Shape", {"x"}, {"s"}, ir::ShapeAttrs{}, {{4}})
                             .node("Shape", {"x"}, {"p"}, part, {{2}})
                             .output("s").output("p")
                             .build(),
                         {"cuda"});
}

INSTANTIATE_TEST_SUITE_P(Backends, LogicOps, ::testing::ValuesIn(optest::matrix_columns()), optest::column_test_name);

}  // namespace
}  // namespace tandem
