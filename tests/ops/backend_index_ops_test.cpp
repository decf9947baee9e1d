// Index and generator ops of the op-test matrix (TopK, NonMaxSuppression, GatherND, ScatterND, Range,
// ConstantOfShape): every case in every column (cpu; cuda fp32, tf32, fp16) against the
// reference backend (ops/op_matrix.h). Integer outputs (TopK's indices, an int64 Range) must be
// equal in every column. No backend but the reference has kernels for these: the cpu unit runs
// them through its reference fallback, and cuda (float32 tensors only) may refuse them.
#include <gtest/gtest.h>

#include "ops/op_matrix.h"

namespace tandem {
namespace {

using optest::GraphBuilder;

class IndexOps : public optest::MatrixTest {};

Tensor ints(const Shape& s, std::vector<int64_t> v) { return Tensor::from_vector<int64_t>(s, DType::kInt64, v); }

ir::Graph topk_graph(const Shape& in, int64_t axis, int64_t k, bool largest) {
  ir::TopKAttrs a;
  a.axis = axis, a.k = k, a.largest = largest;
  Shape out = in;
  out[static_cast<size_t>(axis)] = k;
  return GraphBuilder()
      .input("x", in)
      .value("i", out, DType::kInt64)
      .node("TopK", {"x"}, {"v", "i"}, a, {out, out})
      .output("v").output("i")
      .build();
}

// Random values (no ties): values and indices along the last and a middle axis.
TANDEM_MATRIX_CASE(IndexOps, TopKLargestAndSmallest) {
  r.check_unless_refused(topk_graph({3, 10}, 1, 4, true), {"cuda"});
  r.check_unless_refused(topk_graph({2, 7, 5}, 1, 3, false), {"cuda"});
  r.check_unless_refused(topk_graph({2, 6}, 1, 6, true), {"cuda"});  // k = the whole axis: a sort
}

// NonMaxSuppression's row count depends on the data (its output keeps an open dim): only the
// reference interpreter runs it, so every other column must refuse it, with kUnsupported.
// tests/onnx/detection_ops_test.cpp and tests/e2e/detection_test.cpp check its values.
TANDEM_MATRIX_CASE(IndexOps, NonMaxSuppressionOnlyOnTheReference) {
  ir::Graph g = GraphBuilder()
                    .input("boxes", {1, 6, 4})
                    .input("scores", {1, 2, 6})
                    .constant("max", ints({1}, {2}))
                    .value("sel", {-1, 3}, DType::kInt64)
                    .node("NonMaxSuppression", {"boxes", "scores", "max"}, {"sel"}, ir::NmsAttrs{}, {{-1, 3}})
                    .output("sel")
                    .build();
  r.check_unless_refused(g, {"cpu", "cuda"});
}

TANDEM_MATRIX_CASE(IndexOps, GatherNDTuplesSlicesAndBatchDims) {
  r.check_unless_refused(GraphBuilder()  // whole elements
                             .input("x", {3, 4})
                             .constant("idx", ints({3, 2}, {0, 0, 2, 3, -1, -4}))
                             .node("GatherND", {"x", "idx"}, {"y"}, ir::GatherNDAttrs{0}, {{3}})
                             .output("y")
                             .build(),
                         {"cuda"});
  r.check_unless_refused(GraphBuilder()  // rows of a 3-D tensor
                             .input("x", {4, 3, 5})
                             .constant("idx", ints({2, 1}, {3, 1}))
                             .node("GatherND", {"x", "idx"}, {"y"}, ir::GatherNDAttrs{0}, {{2, 3, 5}})
                             .output("y")
                             .build(),
                         {"cuda"});
  r.check_unless_refused(GraphBuilder()  // batch_dims 1: one row per batch
                             .input("x", {2, 4, 3})
                             .constant("idx", ints({2, 1}, {3, 0}))
                             .node("GatherND", {"x", "idx"}, {"y"}, ir::GatherNDAttrs{1}, {{2, 3}})
                             .output("y")
                             .build(),
                         {"cuda"});
}

TANDEM_MATRIX_CASE(IndexOps, ScatterNDEachReduction) {
  using R = ir::ScatterReduction;
  for (R red : {R::kNone, R::kAdd, R::kMul}) {
    SCOPED_TRACE(static_cast<int>(red));
    r.check_unless_refused(GraphBuilder()
                               .input("x", {5, 3}).input("u", {2, 3})
                               .constant("idx", ints({2, 1}, {4, 1}))
                               .node("ScatterND", {"x", "idx", "u"}, {"y"}, ir::ScatterNDAttrs{red}, {{5, 3}})
                               .output("y")
                               .build(),
                           {"cuda"});
  }
  r.check_unless_refused(GraphBuilder()  // single elements of a 3-D tensor
                             .input("x", {2, 3, 4}).input("u", {3})
                             .constant("idx", ints({3, 3}, {0, 0, 0, 1, 2, 3, -1, 1, -2}))
                             .node("ScatterND", {"x", "idx", "u"}, {"y"}, ir::ScatterNDAttrs{}, {{2, 3, 4}})
                             .output("y")
                             .build(),
                         {"cuda"});
}

// Range and ConstantOfShape read constants only; their outputs are added to a graph input so
// that the graph runs on data.
TANDEM_MATRIX_CASE(IndexOps, RangeOfFloatsAndInt64) {
  auto scalar = [](float v) { return Tensor::from_vector<float>({}, DType::kFloat32, {v}); };
  r.check_unless_refused(GraphBuilder()
                             .input("x", {2, 6})
                             .constant("start", scalar(0.5f)).constant("limit", scalar(3.5f)).constant("delta", scalar(0.5f))
                             .node("Range", {"start", "limit", "delta"}, {"ramp"}, ir::RangeAttrs{}, {{6}})
                             .node("Add", {"x", "ramp"}, {"y"}, ir::BinaryAttrs{ir::BinaryOp::kAdd}, {{2, 6}})
                             .output("y")
                             .build(),
                         {"cuda"});
  r.check_unless_refused(GraphBuilder()
                             .input("x", {3})
                             .constant("start", ints({}, {10})).constant("limit", ints({}, {-1})).constant("delta", ints({}, {-3}))
                             .value("ramp", {4}, DType::kInt64)
                             .node("Range", {"start", "limit", "delta"}, {"ramp"}, ir::RangeAttrs{}, {{4}})
                             .node("Relu", {"x"}, {"y"}, ir::ActivationAttrs{{ir::ActKind::kRelu}}, {{3}})
                             .output("ramp").output("y")
                             .build(),
                         {"cuda"});
}

TANDEM_MATRIX_CASE(IndexOps, ConstantOfShapeFillsTheValue) {
  ir::ConstantOfShapeAttrs a;
  a.value = Tensor::from_vector<float>({1}, DType::kFloat32, {0.75f});
  r.check_unless_refused(GraphBuilder()
                             .input("x", {2, 3, 4})
                             .constant("shape", ints({2}, {3, 4}))
                             .node("ConstantOfShape", {"shape"}, {"c"}, a, {{3, 4}})
                             .node("Mul", {"x", "c"}, {"y"}, ir::BinaryAttrs{ir::BinaryOp::kMul}, {{2, 3, 4}})
                             .output("y")
                             .build(),
                         {"cuda"});
}

INSTANTIATE_TEST_SUITE_P(Backends, IndexOps, ::testing::ValuesIn(optest::matrix_columns()), optest::column_test_name);

}  // namespace
}  // namespace tandem
