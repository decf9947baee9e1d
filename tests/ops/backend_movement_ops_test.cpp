// Data-movement ops (Split, Pad, Slice, Expand, Tile, Gather, Squeeze, ...) of the op-test
// matrix: every case in every column (cpu; cuda fp32, tf32, fp16; in fp16 4-D tensors are NHWC,
// so a channel split or slice is a strided copy) against the reference backend, exactly where a
// graph only moves data (ops/tolerance.h). Each graph goes through ir::specialize first, as a
// model does, so the typed attrs are resolved by the ops' own inference from constant inputs
// (equal splits, negative starts, pads). A column whose backend is missing is skipped.
#include <gtest/gtest.h>

#include <climits>

#include "backends/reference/reference_backend.h"
#include "ir/specialize.h"
#include "ops/op_matrix.h"

namespace tandem {
namespace {

using optest::GraphBuilder;

Tensor ints(std::vector<int64_t> v, bool scalar = false) {
  const Shape s = scalar ? Shape{} : Shape{static_cast<int64_t>(v.size())};
  return Tensor::from_vector<int64_t>(s, DType::kInt64, v);
}

ir::ConvAttrs conv3x3() {
  ir::ConvAttrs a;
  a.kernel_shape = {3, 3}, a.strides = {1, 1}, a.pads = {1, 1, 1, 1}, a.dilations = {1, 1};
  return a;
}

// `g` with every shape and typed attr inferred from the inputs' shapes (as the engine does).
Result<ir::Graph> specialised(const ir::Graph& g) {
  std::map<std::string, Shape> shapes;
  for (const auto& in : g.inputs) shapes[in] = g.values.at(in).shape;
  return ir::specialize(g, shapes, reference_evaluate_node);
}

// Cases go through ir::specialize first, as a model does.
class MovementOps : public optest::MatrixTest {
 public:
  static Result<ir::Graph> prepare_graph(const ir::Graph& g) { return specialised(g); }
};

// ---- Split ----------------------------------------------------------------------------------

TANDEM_MATRIX_CASE(MovementOps, SplitEqualPartsWithoutSizes) {
  r.check(GraphBuilder()
            .input("x", {2, 6, 5})
            .node("Split", {"x"}, {"a", "b", "c"}, ir::SplitAttrs{1, {}}, {{2, 2, 5}, {2, 2, 5}, {2, 2, 5}})
            .output("a").output("b").output("c")
            .build());
}

TANDEM_MATRIX_CASE(MovementOps, SplitQkvOnTheLastAxis) {  // ViT: [B, N, 3D] -> 3 x [B, N, D], axis -1
  r.check(GraphBuilder()
            .input("x", {2, 7, 24})
            .node("Split", {"x"}, {"q", "k", "v"}, ir::SplitAttrs{-1, {}}, {{2, 7, 8}, {2, 7, 8}, {2, 7, 8}})
            .output("q").output("k").output("v")
            .build());
}

TANDEM_MATRIX_CASE(MovementOps, SplitUnevenSizesFromTheInput) {  // opset 13: sizes as a constant input
  r.check(GraphBuilder()
            .input("x", {2, 16, 5, 6})
            .constant("sizes", ints({3, 5, 8}))
            .node("Split", {"x", "sizes"}, {"a", "b", "c"}, ir::SplitAttrs{1, {}}, {{2, 3, 5, 6}, {2, 5, 5, 6}, {2, 8, 5, 6}})
            .output("a").output("b").output("c")
            .build());
}

// Res2Net / CSP: a conv's output (blocked on cpu, NHWC in fp16) split by channels, one piece
// through another conv, concatenated again.
TANDEM_MATRIX_CASE(MovementOps, SplitChannelsOfAConvOutput) {
  for (std::vector<int64_t> sizes : {std::vector<int64_t>{8, 8}, {3, 13}}) {
    SCOPED_TRACE(sizes[0]);
    const int64_t s0 = sizes[0], s1 = sizes[1];
    r.check(GraphBuilder()
              .input("x", {2, 8, 5, 6})
              .weight("w", {16, 8, 3, 3}).weight("w2", {s0, s0, 3, 3})
              .constant("sizes", ints(sizes))
              .node("Conv", {"x", "w"}, {"c"}, conv3x3(), {{2, 16, 5, 6}})
              .node("Split", {"c", "sizes"}, {"p0", "p1"}, ir::SplitAttrs{1, {}}, {{2, s0, 5, 6}, {2, s1, 5, 6}})
              .node("Conv", {"p0", "w2"}, {"q0"}, conv3x3(), {{2, s0, 5, 6}})
              .node("Concat", {"q0", "p1"}, {"y"}, ir::ConcatAttrs{1}, {{2, 16, 5, 6}})
              .output("y").output("p1")
              .build());
  }
}

// ShuffleNetV2: channel pieces of a plain tensor (a Relu of the input) concatenated with a conv
// output and with each other; the pieces are strided views on cpu.
TANDEM_MATRIX_CASE(MovementOps, SplitChannelsOfAPlainTensorIntoConcats) {
  for (std::vector<int64_t> sizes : {std::vector<int64_t>{8, 8}, {3, 13}, {232, 232}}) {
    SCOPED_TRACE(sizes[0]);
    const int64_t s0 = sizes[0], s1 = sizes[1], c = s0 + s1, h = c > 100 ? 3 : 5;
    r.check(GraphBuilder()
              .input("x", {2, c, h, 6})
              .weight("w", {s1, s1, 3, 3})
              .constant("sizes", ints(sizes))
              .node("Relu", {"x"}, {"a"}, ir::ActivationAttrs{{ir::ActKind::kRelu}}, {{2, c, h, 6}})
              .node("Split", {"a", "sizes"}, {"p0", "p1"}, ir::SplitAttrs{1, {}}, {{2, s0, h, 6}, {2, s1, h, 6}})
              .node("Conv", {"p1", "w"}, {"q1"}, conv3x3(), {{2, s1, h, 6}})
              .node("Concat", {"p0", "q1"}, {"y"}, ir::ConcatAttrs{1}, {{2, c, h, 6}})
              .node("Concat", {"p1", "p0"}, {"z"}, ir::ConcatAttrs{1}, {{2, c, h, 6}})
              .output("q1").output("z").output("y")
              .build());
  }
}

TANDEM_MATRIX_CASE(MovementOps, SplitSpatialAnd5DAxes) {
  r.check(GraphBuilder()
            .input("x", {2, 4, 6, 5})
            .weight("w", {8, 4, 3, 3})
            .constant("sizes", ints({2, 4}))
            .node("Conv", {"x", "w"}, {"c"}, conv3x3(), {{2, 8, 6, 5}})
            .node("Split", {"c", "sizes"}, {"top", "bottom"}, ir::SplitAttrs{2, {}}, {{2, 8, 2, 5}, {2, 8, 4, 5}})
            .output("top").output("bottom")
            .build());
  r.check(GraphBuilder()
            .input("x", {2, 3, 4, 2, 5})
            .constant("sizes", ints({1, 3}))
            .node("Split", {"x", "sizes"}, {"a", "b"}, ir::SplitAttrs{2, {}}, {{2, 3, 1, 2, 5}, {2, 3, 3, 2, 5}})
            .output("a").output("b")
            .build());
}

// The transformer's qkv: [3, B, heads, N, d] split along dim 0 (packed pieces, no copies on cpu
// and cuda), each squeezed and read by the attention's MatMuls; k an output too.
TANDEM_MATRIX_CASE(MovementOps, SplitQkvAlongTheOutermostAxisIntoMatMuls) {
  const Shape piece{1, 2, 2, 7, 12}, head{2, 2, 7, 12};
  r.check(GraphBuilder()
            .input("x", {3, 2, 2, 7, 12})
            .constant("sizes", ints({1, 1, 1})).constant("ax0", ints({0}))
            .node("Relu", {"x"}, {"qkv"}, ir::ActivationAttrs{{ir::ActKind::kRelu}}, {{3, 2, 2, 7, 12}})
            .node("Split", {"qkv", "sizes"}, {"q5", "k5", "v5"}, ir::SplitAttrs{0, {}}, {piece, piece, piece})
            .node("Squeeze", {"q5", "ax0"}, {"q"}, ir::SqueezeAttrs{}, {head})
            .node("Squeeze", {"k5", "ax0"}, {"k"}, ir::SqueezeAttrs{}, {head})
            .node("Squeeze", {"v5", "ax0"}, {"v"}, ir::SqueezeAttrs{}, {head})
            .node("Transpose", {"k"}, {"kt"}, ir::TransposeAttrs{{0, 1, 3, 2}}, {{2, 2, 12, 7}})
            .node("MatMul", {"q", "kt"}, {"s"}, ir::MatMulAttrs{}, {{2, 2, 7, 7}})
            .node("MatMul", {"s", "v"}, {"y"}, ir::MatMulAttrs{}, {head})
            .output("y").output("k")
            .build());
}

// A Conv + Add summing into its residual's buffer (cpu: conv_residual.h) where that buffer is
// shared: the residual is a Split piece of a tensor read again after the sum, or the residual
// is the Split's input and its pieces are read after the sum. The sum must not clobber what they
// read (cpu: SegmentBuilder::may_overwrite; the batch pieces are packed views there, and without
// that check both cases fail).
TANDEM_MATRIX_CASE(MovementOps, SplitPieceAsAResidualOfATensorReadLater) {
  for (int64_t axis : {0, 1}) {
    SCOPED_TRACE(axis);
    const Shape p = axis == 0 ? Shape{1, 8, 5, 6} : Shape{2, 4, 5, 6};
    r.check(GraphBuilder()
              .input("x", {2, 8, 5, 6}).input("z", p)
              .weight("w", {8, 8, 3, 3}).weight("wz", {p[1], p[1], 3, 3})
              .constant("sizes", ints({p[size_t(axis)], p[size_t(axis)]}))
              .node("Conv", {"x", "w"}, {"c"}, conv3x3(), {{2, 8, 5, 6}})
              .node("Split", {"c", "sizes"}, {"p0", "p1"}, ir::SplitAttrs{axis, {}}, {p, p})
              .node("Conv", {"z", "wz"}, {"q"}, conv3x3(), {p})
              .node("Add", {"q", "p1"}, {"s"}, ir::BinaryAttrs{ir::BinaryOp::kAdd}, {p})
              .node("Relu", {"c"}, {"y"}, ir::ActivationAttrs{{ir::ActKind::kRelu}}, {{2, 8, 5, 6}})
              .output("s").output("y").output("p0")
              .build());
  }
}

TANDEM_MATRIX_CASE(MovementOps, SplitInputAsAResidualWithPiecesReadLater) {
  for (int64_t axis : {0, 1}) {
    SCOPED_TRACE(axis);
    const Shape p = axis == 0 ? Shape{1, 8, 5, 6} : Shape{2, 4, 5, 6};
    r.check(GraphBuilder()
              .input("x", {2, 8, 5, 6}).input("z", {2, 8, 5, 6})
              .weight("w", {8, 8, 3, 3}).weight("wz", {8, 8, 3, 3})
              .constant("sizes", ints({p[size_t(axis)], p[size_t(axis)]}))
              .node("Conv", {"x", "w"}, {"c"}, conv3x3(), {{2, 8, 5, 6}})
              .node("Split", {"c", "sizes"}, {"p0", "p1"}, ir::SplitAttrs{axis, {}}, {p, p})
              .node("Conv", {"z", "wz"}, {"q"}, conv3x3(), {{2, 8, 5, 6}})
              .node("Add", {"q", "c"}, {"s"}, ir::BinaryAttrs{ir::BinaryOp::kAdd}, {{2, 8, 5, 6}})
              .node("Concat", {"p1", "p0"}, {"y"}, ir::ConcatAttrs{axis}, {{2, 8, 5, 6}})
              .output("s").output("y")
              .build());
  }
}

// ---- Pad ------------------------------------------------------------------------------------

ir::Graph pad_graph(const Shape& in, std::vector<int64_t> pads, ir::PadMode mode, float value = 0.0f) {
  Shape out = in;
  const size_t r = in.size();
  for (size_t d = 0; d < r; ++d) out[d] += pads[d] + pads[d + r];
  ir::PadAttrs a;
  a.mode = mode;
  return GraphBuilder()
      .input("x", in)
      .constant("pads", ints(pads))
      .constant("value", Tensor::from_vector<float>({}, DType::kFloat32, {value}))
      .node("Pad", {"x", "pads", "value"}, {"y"}, a, {out})
      .output("y")
      .build();
}

TANDEM_MATRIX_CASE(MovementOps, PadEachMode4D) {
  for (ir::PadMode mode : {ir::PadMode::kConstant, ir::PadMode::kReflect, ir::PadMode::kEdge}) {
    SCOPED_TRACE(ir::pad_mode_name(mode));
    r.check(pad_graph({2, 3, 5, 6}, {0, 0, 1, 2, 0, 0, 2, 1}, mode, 0.5f));
    r.check(pad_graph({2, 2, 4, 4}, {1, 1, 3, 0, 0, 0, 0, 3}, mode, -2.0f));  // N and C padded too
  }
}

TANDEM_MATRIX_CASE(MovementOps, PadEachMode3D) {
  for (ir::PadMode mode : {ir::PadMode::kConstant, ir::PadMode::kReflect, ir::PadMode::kEdge}) {
    SCOPED_TRACE(ir::pad_mode_name(mode));
    r.check(pad_graph({2, 5, 7}, {0, 1, 3, 0, 2, 2}, mode, 1.5f));
  }
}

TANDEM_MATRIX_CASE(MovementOps, PadNegativeCrops) {
  r.check(pad_graph({2, 3, 6, 6}, {0, 0, -1, 2, 0, 0, 1, -2}, ir::PadMode::kConstant));
  r.check(pad_graph({2, 3, 6, 6}, {0, 0, -1, 2, 0, 0, 2, -2}, ir::PadMode::kReflect));
  r.check(pad_graph({2, 3, 6, 6}, {0, 0, 0, -3, 0, 0, 2, 1}, ir::PadMode::kEdge));
}

// TF "same": a zero Pad between convs (the conv's output in a blocked / NHWC layout).
TANDEM_MATRIX_CASE(MovementOps, PadBetweenConvs) {
  for (ir::PadMode mode : {ir::PadMode::kConstant, ir::PadMode::kReflect}) {
    SCOPED_TRACE(ir::pad_mode_name(mode));
    ir::ConvAttrs valid = conv3x3();
    valid.pads = {0, 0, 0, 0};
    ir::PadAttrs a;
    a.mode = mode;
    r.check(GraphBuilder()
              .input("x", {2, 8, 7, 7})
              .weight("w1", {16, 8, 3, 3}).weight("w2", {8, 16, 3, 3})
              .constant("pads", ints({0, 0, 0, 1, 0, 0, 1, 1}))
              .node("Conv", {"x", "w1"}, {"c"}, conv3x3(), {{2, 16, 7, 7}})
              .node("Pad", {"c", "pads"}, {"p"}, a, {{2, 16, 8, 9}})
              .node("Conv", {"p", "w2"}, {"y"}, valid, {{2, 8, 6, 7}})
              .output("y").output("p")
              .build());
  }
}

// ---- Slice ----------------------------------------------------------------------------------

ir::Graph slice_graph(const Shape& in, std::vector<int64_t> starts, std::vector<int64_t> ends,
                      std::vector<int64_t> axes, std::vector<int64_t> steps, const Shape& out) {
  return GraphBuilder()
      .input("x", in)
      .constant("starts", ints(starts)).constant("ends", ints(ends))
      .constant("axes", ints(axes)).constant("steps", ints(steps))
      .node("Slice", {"x", "starts", "ends", "axes", "steps"}, {"y"}, ir::SliceAttrs{}, {out})
      .output("y")
      .build();
}

TANDEM_MATRIX_CASE(MovementOps, SliceSteps1And2) {
  r.check(slice_graph({2, 8, 6, 5}, {1, 2}, {7, 1000}, {1, 2}, {1, 1}, {2, 6, 4, 5}));
  r.check(slice_graph({2, 8, 6, 5}, {0, 1}, {8, 5}, {1, 3}, {2, 2}, {2, 4, 6, 2}));
  r.check(slice_graph({3, 9, 10}, {1, 0, 3}, {3, 9, INT64_MAX}, {0, 1, 2}, {1, 3, 2}, {2, 3, 4}));
  // [0:3:2] of 3 and [0:5:2] of 5: the steps overrun the dims (cpu cuts off the last elements)
  r.check(slice_graph({2, 3, 5}, {0, 0}, {3, 5}, {1, 2}, {2, 2}, {2, 2, 3}));
}

TANDEM_MATRIX_CASE(MovementOps, SliceNegativeStartsAndAxes) {
  r.check(slice_graph({2, 8, 6}, {-3}, {INT64_MAX}, {-1}, {1}, {2, 8, 3}));
  r.check(slice_graph({2, 8, 6, 5}, {-6, -100}, {-1, 3}, {1, -2}, {1, 1}, {2, 5, 3, 5}));
}

// GhostNet / DPN: a conv output cut by channels (at and off oneDNN's block boundary).
TANDEM_MATRIX_CASE(MovementOps, SliceChannelsOfAConvOutput) {
  r.check(GraphBuilder()
            .input("x", {2, 8, 5, 6})
            .weight("w", {32, 8, 3, 3})
            .constant("s0", ints({0})).constant("e0", ints({16}))
            .constant("s1", ints({19})).constant("e1", ints({30})).constant("ax", ints({1}))
            .node("Conv", {"x", "w"}, {"c"}, conv3x3(), {{2, 32, 5, 6}})
            .node("Slice", {"c", "s0", "e0", "ax"}, {"a"}, ir::SliceAttrs{}, {{2, 16, 5, 6}})
            .node("Slice", {"c", "s1", "e1", "ax"}, {"b"}, ir::SliceAttrs{}, {{2, 11, 5, 6}})
            .output("a").output("b")
            .build());
}

// Slices along the outermost dim of a computed tensor (packed views on cpu), one of them read
// by a Conv and one an output, and a channel slice read by a Conv (a strided view it reorders).
TANDEM_MATRIX_CASE(MovementOps, SlicesOfAConvOutputIntoConvs) {
  r.check(GraphBuilder()
            .input("x", {3, 8, 5, 6})
            .weight("w", {16, 8, 3, 3}).weight("w2", {8, 16, 3, 3}).weight("w3", {8, 5, 3, 3})
            .constant("s0", ints({1})).constant("e0", ints({3})).constant("ax0", ints({0}))
            .constant("s1", ints({0})).constant("e1", ints({1}))
            .constant("s2", ints({3})).constant("e2", ints({8})).constant("ax1", ints({1}))
            .node("Conv", {"x", "w"}, {"c"}, conv3x3(), {{3, 16, 5, 6}})
            .node("Slice", {"c", "s0", "e0", "ax0"}, {"a"}, ir::SliceAttrs{}, {{2, 16, 5, 6}})
            .node("Slice", {"c", "s1", "e1", "ax0"}, {"b"}, ir::SliceAttrs{}, {{1, 16, 5, 6}})
            .node("Slice", {"c", "s2", "e2", "ax1"}, {"d"}, ir::SliceAttrs{}, {{3, 5, 5, 6}})
            .node("Conv", {"a", "w2"}, {"y"}, conv3x3(), {{2, 8, 5, 6}})
            .node("Conv", {"d", "w3"}, {"z"}, conv3x3(), {{3, 8, 5, 6}})
            .output("y").output("b").output("z")
            .build());
}

TANDEM_MATRIX_CASE(MovementOps, SliceNegativeStepsOnCudaOnly) {
  ir::Graph g = slice_graph({2, 8, 6}, {-1, 4}, {INT64_MIN, 0}, {1, 2}, {-2, -1}, {2, 4, 4});
  r.check(g);  // cpu: through the reference fallback (its own Slice runs steps >= 1)
}

// ---- Expand, Tile ---------------------------------------------------------------------------

ir::Graph expand_graph(const Shape& in, std::vector<int64_t> shape, const Shape& out) {
  return GraphBuilder()
      .input("x", in)
      .constant("shape", ints(shape))
      .node("Expand", {"x", "shape"}, {"y"}, ir::ExpandAttrs{}, {out})
      .output("y")
      .build();
}

TANDEM_MATRIX_CASE(MovementOps, Expand) {
  r.check(expand_graph({2, 1, 5}, {2, 4, 5}, {2, 4, 5}));
  r.check(expand_graph({3, 1}, {2, 1, 6}, {2, 3, 6}));     // rank grows, both sides broadcast
  r.check(expand_graph({2, 8, 1, 1}, {5, 6}, {2, 8, 5, 6}));  // 4-D: NHWC in fp16
  r.check(expand_graph({}, {3, 2}, {3, 2}));               // a scalar
}

TANDEM_MATRIX_CASE(MovementOps, ExpandOfAConvOutput) {
  r.check(GraphBuilder()
            .input("x", {2, 4, 5, 6})
            .weight("w", {1, 4, 3, 3})
            .constant("shape", ints({2, 6, 5, 6}))
            .node("Conv", {"x", "w"}, {"c"}, conv3x3(), {{2, 1, 5, 6}})
            .node("Expand", {"c", "shape"}, {"y"}, ir::ExpandAttrs{}, {{2, 6, 5, 6}})
            .output("y")
            .build());
}

TANDEM_MATRIX_CASE(MovementOps, Tile) {
  r.check(GraphBuilder()
            .input("x", {2, 3, 4})
            .constant("reps", ints({1, 2, 3}))
            .node("Tile", {"x", "reps"}, {"y"}, ir::TileAttrs{}, {{2, 6, 12}})
            .output("y")
            .build());
  r.check(GraphBuilder()
            .input("x", {2, 4, 5, 5})
            .weight("w", {4, 4, 3, 3})
            .constant("reps", ints({2, 1, 1, 2}))
            .node("Conv", {"x", "w"}, {"c"}, conv3x3(), {{2, 4, 5, 5}})
            .node("Tile", {"c", "reps"}, {"y"}, ir::TileAttrs{}, {{4, 4, 5, 10}})
            .output("y")
            .build());
}

// ---- Gather ---------------------------------------------------------------------------------

ir::Graph gather_graph(const Shape& in, int64_t axis, Tensor indices, const Shape& out) {
  return GraphBuilder()
      .input("x", in)
      .constant("idx", std::move(indices))
      .node("Gather", {"x", "idx"}, {"y"}, ir::GatherAttrs{axis}, {out})
      .output("y")
      .build();
}

TANDEM_MATRIX_CASE(MovementOps, GatherClassToken) {  // ViT: x[:, 0] on [B, 1 + patches, D]
  r.check(gather_graph({2, 5, 8}, 1, ints({0}, true), {2, 8}));
  r.check(gather_graph({2, 5, 8}, 1, ints({-1}, true), {2, 8}));
}

TANDEM_MATRIX_CASE(MovementOps, GatherIndexLists) {
  r.check(gather_graph({2, 5, 8}, 1, ints({4, -1, 0, 0, 2}), {2, 5, 8}));
  r.check(gather_graph({4, 6}, 0, ints({3, 1}), {2, 6}));
  r.check(gather_graph({2, 3, 4}, 1, ints({0, 2}), {2, 2, 4}));  // a step that overruns the dim
  r.check(gather_graph({2, 3, 4, 6}, -1, Tensor::from_vector<int32_t>({3}, DType::kInt32, {5, 3, 1}), {2, 3, 4, 3}));
  // qkv picked from [3, B, heads, N, hd]: a 5-D input, a 4-D (NHWC in fp16) output.
  r.check(gather_graph({3, 2, 2, 5, 4}, 0, ints({1}, true), {2, 2, 5, 4}));
}

TANDEM_MATRIX_CASE(MovementOps, GatherChannelsOfAConvOutput) {
  r.check(GraphBuilder()
            .input("x", {2, 8, 5, 5})
            .weight("w", {16, 8, 3, 3})
            .constant("idx", ints({3, 4, 5, 10}))
            .node("Conv", {"x", "w"}, {"c"}, conv3x3(), {{2, 16, 5, 5}})
            .node("Gather", {"c", "idx"}, {"y"}, ir::GatherAttrs{1}, {{2, 4, 5, 5}})
            .output("y")
            .build());
}

TANDEM_MATRIX_CASE(MovementOps, GatherTwoDimIndices) {  // cuda takes scalar and 1-D indices only
  ir::Graph g = gather_graph({2, 5, 8}, 2, Tensor::from_vector<int64_t>({2, 2}, DType::kInt64, {0, 1, 7, 7}), {2, 5, 2, 2});
  if (r.column().backend == "cuda") r.expect_refused(g);
  else r.check(g);
}

TANDEM_MATRIX_CASE(MovementOps, GatherOfRuntimeIndicesIsRefused) {
  if (r.column().backend == "cpu") return r.skip("cpu runs it through the reference fallback (CpuFallback tests)");
  r.expect_refused(GraphBuilder()
                     .input("x", {4, 6})
                     .input("idx", {2}, DType::kInt64)
                     .node("Gather", {"x", "idx"}, {"y"}, ir::GatherAttrs{0}, {{2, 6}})
                     .output("y")
                     .build());
}

// ---- Squeeze, Unsqueeze, Dropout ------------------------------------------------------------

TANDEM_MATRIX_CASE(MovementOps, SqueezeAndUnsqueeze) {  // opset 13: the axes as a constant input
  r.check(GraphBuilder()
              .input("x", {2, 1, 5, 1})
              .constant("axes", ints({1, -1}))
              .node("Squeeze", {"x", "axes"}, {"y"}, ir::SqueezeAttrs{}, {{2, 5}})
              .output("y")
              .build());
  r.check(GraphBuilder()
              .input("x", {3, 1, 4})
              .node("Squeeze", {"x"}, {"y"}, ir::SqueezeAttrs{}, {{3, 4}})  // no axes: every dim of 1
              .output("y")
              .build());
  r.check(GraphBuilder()
              .input("x", {2, 6})
              .constant("axes", ints({0, -1}))
              .node("Unsqueeze", {"x", "axes"}, {"y"}, ir::SqueezeAttrs{true, {}}, {{1, 2, 6, 1}})
              .output("y")
              .build());
}

// The SE block's squeeze as a model writes it: a conv output (blocked / NHWC) pooled, squeezed
// to [N, C] for a Gemm, and unsqueezed back to [N, C, 1, 1] to scale the conv output.
TANDEM_MATRIX_CASE(MovementOps, SqueezeUnsqueezeAroundAConvOutput) {
  r.check(GraphBuilder()
              .input("x", {2, 4, 5, 5})
              .weight("w", {8, 4, 3, 3}).weight("fw", {8, 8}).weight("fb", {8})
              .constant("hw", ints({2, 3}))
              .node("Conv", {"x", "w"}, {"c"}, conv3x3(), {{2, 8, 5, 5}})
              .node("GlobalAveragePool", {"c"}, {"g"}, ir::GlobalPoolAttrs{}, {{2, 8, 1, 1}})
              .node("Squeeze", {"g", "hw"}, {"s"}, ir::SqueezeAttrs{}, {{2, 8}})
              .node("Gemm", {"s", "fw", "fb"}, {"f"}, ir::GemmAttrs{.trans_b = true}, {{2, 8}})
              .node("Unsqueeze", {"f", "hw"}, {"u"}, ir::SqueezeAttrs{true, {}}, {{2, 8, 1, 1}})
              .node("Mul", {"c", "u"}, {"y"}, ir::BinaryAttrs{ir::BinaryOp::kMul}, {{2, 8, 5, 5}})
              .output("y").output("s")
              .build());
}

TANDEM_MATRIX_CASE(MovementOps, DropoutIsACopy) {
  r.check(GraphBuilder()
              .input("x", {2, 3, 4, 5})
              .node("Dropout", {"x"}, {"y"}, ir::IdentityAttrs{}, {{2, 3, 4, 5}})
              .output("y")
              .build());
  r.check(GraphBuilder()  // opset 12+: ratio and training_mode (false) as constant inputs
              .input("x", {2, 7, 6})
              .constant("ratio", Tensor::from_vector<float>({}, DType::kFloat32, {0.1f}))
              .constant("training", Tensor::from_vector<uint8_t>({}, DType::kBool, {0}))
              .node("Dropout", {"x", "ratio", "training"}, {"y"}, ir::IdentityAttrs{}, {{2, 7, 6}})
              .output("y")
              .build());
}

INSTANTIATE_TEST_SUITE_P(Backends, MovementOps, ::testing::ValuesIn(optest::matrix_columns()), optest::column_test_name);

}  // namespace
}  // namespace tandem
