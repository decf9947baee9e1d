// Reduce* and LayerNormalization of the op-test matrix in every column (cpu; cuda fp32, tf32,
// fp16 with 4-D tensors stored NHWC) against the reference backend (ops/op_matrix.h). The shapes
// cover each cuda kernel path: a warp or a block per output over a contiguous run, 32
// neighbouring outputs per block (the SE mean over H, W of NHWC), one thread per output; layer
// norm (and AddLayerNorm, its fused residual Add) on contiguous rows (a warp or a block per row)
// and on NHWC storage. A column whose
// backend is missing is skipped with one line.
#include <gtest/gtest.h>

#include <algorithm>

#include "ops/op_matrix.h"

namespace tandem {
namespace {

using optest::GraphBuilder;

class ReduceNormOps : public optest::MatrixTest {};

ir::Graph reduce_graph(ir::ReduceKind k, const Shape& in, std::vector<int64_t> axes, bool keepdims) {
  Shape out;
  for (size_t d = 0; d < in.size(); ++d) {
    const bool r = std::find(axes.begin(), axes.end(), static_cast<int64_t>(d)) != axes.end();
    if (!r) out.push_back(in[d]);
    else if (keepdims) out.push_back(1);
  }
  return GraphBuilder()
      .input("x", in)
      .node(ir::reduce_op_type(k), {"x"}, {"y"}, optest::reduce_attrs(k, std::move(axes), keepdims), {out})
      .output("y")
      .build();
}

TANDEM_MATRIX_CASE(ReduceNormOps, SqueezeExcitationMeanKeepdims) {  // NHWC in fp16: 32 channels per block
  r.check(reduce_graph(ir::ReduceKind::kMean, {3, 72, 14, 14}, {2, 3}, true));
  r.check(reduce_graph(ir::ReduceKind::kMean, {1, 40, 28, 28}, {2, 3}, true));  // groups of 784
}

TANDEM_MATRIX_CASE(ReduceNormOps, MeanOverHWToTwoDims) {  // ShuffleNetV2's x.mean([2, 3]): NHWC in, row-major out
  r.check(reduce_graph(ir::ReduceKind::kMean, {2, 24, 7, 7}, {2, 3}, false));
}

TANDEM_MATRIX_CASE(ReduceNormOps, EachKindOverChannelsAndLastAxis) {
  using K = ir::ReduceKind;
  for (K k : {K::kSum, K::kMean, K::kMax, K::kMin, K::kL1, K::kL2, K::kSumSquare, K::kLogSumExp}) {
    SCOPED_TRACE(ir::reduce_op_type(k));
    r.check(reduce_graph(k, {2, 16, 5, 6}, {1}, true));   // NHWC: the innermost stored dim
    r.check(reduce_graph(k, {2, 16, 5, 6}, {3}, false));  // NHWC: a strided dim
    r.check(reduce_graph(k, {4, 7, 96}, {2}, true));      // row-major: a warp per row
  }
}

TANDEM_MATRIX_CASE(ReduceNormOps, LargeGroupsAndAllAxes) {
  r.check(reduce_graph(ir::ReduceKind::kSum, {2, 8, 30, 30}, {0, 1, 2, 3}, false));
  r.check(reduce_graph(ir::ReduceKind::kMax, {3, 5000}, {1}, true));
  r.check(reduce_graph(ir::ReduceKind::kMean, {2, 3, 4, 5, 6}, {0, 2, 4}, false));  // rank 5: row-major
}

ir::Graph layer_norm_graph(const Shape& x, int64_t axis, bool runtime_params) {
  const Shape inner(x.begin() + axis, x.end());
  GraphBuilder b;
  b.input("x", x);
  if (runtime_params) b.input("scale", inner).input("bias", inner);
  else b.weight("scale", inner, 0.5f, 1.5f).weight("bias", inner);
  return b.node("LayerNormalization", {"x", "scale", "bias"}, {"y"}, ir::LayerNormAttrs{axis, 1e-5f, 1}, {x})
      .output("y")
      .build();
}

TANDEM_MATRIX_CASE(ReduceNormOps, LayerNormRows) {
  r.check(layer_norm_graph({2, 197, 192}, 2, false));  // ViT-Tiny tokens: a warp per row
  r.check(layer_norm_graph({2, 5, 1536}, 2, false));   // a block per row
  r.check(layer_norm_graph({2, 7, 64}, 2, true));      // Scale and B converted from the unit's type
}

TANDEM_MATRIX_CASE(ReduceNormOps, LayerNormOnNhwcStorage) {  // 4-D: NHWC in fp16, addressed through strides
  r.check(layer_norm_graph({2, 7, 7, 48}, 3, false));
  r.check(layer_norm_graph({2, 6, 5, 4}, 1, false));
  r.check(layer_norm_graph({2, 6, 5, 4}, 2, true));
}

// AddLayerNorm (fuse_add_layer_norm): LN(a + b), and the sum a + b when `sum` (a second output).
ir::Graph add_layer_norm_graph(const Shape& x, int64_t axis, bool sum, bool bias) {
  const Shape inner(x.begin() + axis, x.end());
  GraphBuilder b;
  b.input("a", x).input("b", x).weight("scale", inner, 0.5f, 1.5f).weight("bias", inner);
  std::vector<std::string> ins{"a", "b", "scale"};
  if (bias) ins.push_back("bias");
  std::vector<std::string> outs{"y"};
  if (sum) outs.push_back("s");
  b.node("AddLayerNorm", ins, outs, ir::LayerNormAttrs{axis, 1e-5f, 1}, {x, x}).output("y");
  if (sum) b.output("s");
  return b.build();
}

TANDEM_MATRIX_CASE(ReduceNormOps, AddLayerNormRows) {
  r.check(add_layer_norm_graph({2, 197, 192}, 2, true, true));   // ViT-Tiny's residual stream: a warp per row
  r.check(add_layer_norm_graph({2, 197, 192}, 2, false, true));  // the last block: the sum is not kept
  r.check(add_layer_norm_graph({2, 5, 1536}, 2, true, false));   // a block per row, no B
}

TANDEM_MATRIX_CASE(ReduceNormOps, AddLayerNormOnNhwcStorage) {  // 4-D: NHWC in fp16, through strides
  r.check(add_layer_norm_graph({2, 7, 7, 48}, 3, true, true));
  r.check(add_layer_norm_graph({2, 6, 5, 4}, 1, true, true));
}

INSTANTIATE_TEST_SUITE_P(Backends, ReduceNormOps, ::testing::ValuesIn(optest::matrix_columns()), optest::column_test_name);

}  // namespace
}  // namespace tandem
