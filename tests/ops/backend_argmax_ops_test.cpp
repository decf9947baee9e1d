// ArgMax in the op-test matrix (every column: cpu; cuda fp32, tf32, fp16) against the reference
// backend: int64 indices must be equal in every column (ops/tolerance.h). Inputs are graph inputs
// or a Relu of them (exact in every precision; fp16 columns see inputs rounded to fp16 first), so
// the values compared are the ones the unit stores, and ties are real: Relu's zeros, and inputs
// drawn from {0, 0.5, 1}, where the first (or, select_last_index, the last) maximum must win.
// Also Cast to float16, what fp16 outputs (EngineOptions::output_dtype) append: equal fp16 values.
#include <gtest/gtest.h>

#include "ops/op_matrix.h"

namespace tandem {
namespace {

using optest::GraphBuilder;

class ArgMaxOps : public optest::MatrixTest {};

// ArgMax of `x` [shape] along `axis` (normalised), optionally after a Relu.
ir::Graph argmax_graph(const Shape& in, int64_t axis, bool keepdims, bool last, bool relu = false) {
  Shape out;
  for (size_t d = 0; d < in.size(); ++d) {
    if (int64_t(d) != axis) out.push_back(in[d]);
    else if (keepdims) out.push_back(1);
  }
  GraphBuilder b;
  b.input("x", in).value("y", out, DType::kInt64);
  if (relu) b.node("Relu", {"x"}, {"r"}, ir::ActivationAttrs{{ir::ActKind::kRelu}}, {in});
  return b.node("ArgMax", {relu ? "r" : "x"}, {"y"}, ir::ArgMaxAttrs{axis, keepdims, last}, {out}).output("y").build();
}

// Values from {0, 0.5, 1}: most lines have several maxima.
Tensor coarse(const Shape& s, uint32_t seed) {
  Tensor t(s, DType::kFloat32);
  uint32_t v = seed;
  for (int64_t i = 0; i < t.numel(); ++i) {
    v = v * 1664525u + 1013904223u;
    t.data_as<float>()[i] = 0.5f * static_cast<float>((v >> 16) % 3);
  }
  return t;
}

// The class axis of an NCHW (NHWC in the fp16 column) map, keepdims 0 and 1.
TANDEM_MATRIX_CASE(ArgMaxOps, ChannelAxisOf4D) {
  r.check(argmax_graph({2, 21, 7, 9}, 1, false, false));
  r.check(argmax_graph({3, 5, 4, 4}, 1, true, false));
}

TANDEM_MATRIX_CASE(ArgMaxOps, OtherAxesAndRanks) {
  r.check(argmax_graph({4, 10}, 1, false, false));      // a classifier's logits
  r.check(argmax_graph({3, 6, 5}, 2, true, false));     // the innermost axis
  r.check(argmax_graph({5, 3, 4, 2}, 0, false, false));  // the batch axis
  r.check(argmax_graph({2, 3, 4, 5}, 3, false, false));  // W of NCHW
}

TANDEM_MATRIX_CASE(ArgMaxOps, TiesTakeTheFirstOrTheLastIndex) {
  for (bool last : {false, true}) {
    const ir::Graph g = argmax_graph({2, 6, 5, 5}, 1, false, last);
    r.check(g, {coarse({2, 6, 5, 5}, 3)});
    r.check(argmax_graph({2, 6, 5, 5}, 1, true, last, true));  // Relu: every negative line ties at 0
  }
}

TANDEM_MATRIX_CASE(ArgMaxOps, CastToFloat16) {
  for (const Shape& s : {Shape{2, 5, 6, 7}, Shape{3, 11}}) {
    GraphBuilder b;
    b.input("x", s).value("h", s, DType::kFloat16);
    r.check(b.node("Relu", {"x"}, {"r"}, ir::ActivationAttrs{{ir::ActKind::kRelu}}, {s})
                .node("Cast", {"r"}, {"h"}, ir::CastAttrs{DType::kFloat16}, {s})
                .output("h")
                .build());
  }
}

INSTANTIATE_TEST_SUITE_P(Columns, ArgMaxOps, ::testing::ValuesIn(optest::matrix_columns()), optest::column_test_name);

}  // namespace
}  // namespace tandem
