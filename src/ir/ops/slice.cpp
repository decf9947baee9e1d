// Slice. starts/ends/axes come from attributes before opset 10 and from constant inputs
// (data, starts, ends, axes?, steps?) from opset 10. Inference stores one entry per sliced
// axis: axes >= 0, steps filled (default 1), and, where the dim is known, starts/ends clamped
// per the ONNX rules. The clamped values are still a valid ONNX slice of the same elements
// (re-resolving them is harmless), and element j of the output along an axis is
// start + j * step, for j < the output dim.
#include "ir/ops/slice.h"

#include <algorithm>

#include "ir/ops/infer_util.h"
#include "ir/ops/op_def.h"

namespace tandem::ir {
namespace {

Result<OpAttrs> parse_slice(const AttrMap& a, int opset) {
  SliceAttrs s;
  if (opset < 10) {
    if (!a.has("starts") || !a.has("ends")) return invalid_argument("attributes 'starts' and 'ends' are required");
    TANDEM_ASSIGN_OR_RETURN(s.starts, a.get_ints("starts", {}));
    TANDEM_ASSIGN_OR_RETURN(s.ends, a.get_ints("ends", {}));
    TANDEM_ASSIGN_OR_RETURN(s.axes, a.get_ints("axes", {}));
  }
  return OpAttrs{s};
}

// Reads starts/ends/axes/steps from the constant inputs (opset >= 10). False when one is not constant yet.
Result<bool> read_inputs(InferContext& ctx, SliceAttrs& s) {
  std::vector<int64_t>* dst[] = {&s.starts, &s.ends, &s.axes, &s.steps};
  for (size_t i = 1; i <= 4; ++i) {
    if (i >= ctx.node.inputs.size() || ctx.node.inputs[i].empty()) {
      if (i <= 2) return invalid_argument("needs the starts and ends inputs");
      dst[i - 1]->clear();
      continue;
    }
    const Tensor* t = optional_constant(ctx, i);
    if (!t) return false;
    if (t->dtype() != DType::kInt64 && t->dtype() != DType::kInt32)
      return invalid_argument("starts/ends/axes/steps must be int32 or int64");
    *dst[i - 1] = t->to_int_vector();
  }
  return true;
}

// Output length along one axis of size `dim`; clamps start/end in place (ONNX rules).
int64_t slice_dim(int64_t dim, int64_t& start, int64_t& end, int64_t step) {
  if (dim == 0) {
    start = end = 0;
    return 0;
  }
  if (start < 0) start += dim;
  if (end < 0) end += dim;
  if (step > 0) {
    start = std::clamp<int64_t>(start, 0, dim);
    end = std::clamp<int64_t>(end, 0, dim);
    return std::max<int64_t>(0, (end - start + step - 1) / step);
  }
  start = std::clamp<int64_t>(start, 0, dim - 1);
  end = std::clamp<int64_t>(end, -1, dim - 1);
  const int64_t n = std::max<int64_t>(0, (start - end + (-step) - 1) / (-step));
  if (end == -1) end = -dim - 1;  // "before index 0", kept valid if re-resolved
  return n;
}

Status infer_slice(InferContext& ctx) {
  TANDEM_RETURN_IF_ERROR(require_inputs(ctx, 1, "data"));
  auto& s = std::get<SliceAttrs>(ctx.attrs);
  const ValueInfo& x = *ctx.inputs[0];
  if (ctx.opset >= 10) {
    TANDEM_ASSIGN_OR_RETURN(bool known, read_inputs(ctx, s));
    if (!known) {
      ctx.outputs = {x.rank_known ? known_rank(x.dtype, Shape(x.shape.size(), -1)) : unknown_rank(x.dtype)};
      return Status::ok();
    }
  }
  if (!x.rank_known) {
    ctx.outputs = {unknown_rank(x.dtype)};
    return Status::ok();
  }
  const int64_t r = static_cast<int64_t>(x.shape.size());
  const size_t n = s.starts.size();
  if (s.ends.size() != n) return invalid_argument("starts and ends differ in length");
  if (s.axes.empty())
    for (size_t i = 0; i < n; ++i) s.axes.push_back(static_cast<int64_t>(i));
  if (s.steps.empty()) s.steps.assign(n, 1);
  if (s.axes.size() != n || s.steps.size() != n)
    return invalid_argument("starts, ends, axes and steps must have the same length");
  TANDEM_ASSIGN_OR_RETURN(s.axes, normalize_axes(s.axes, r, "axis"));
  Shape y = x.shape;
  for (size_t i = 0; i < n; ++i) {
    if (s.steps[i] == 0) return invalid_argument("steps must not be 0");
    const int64_t ax = s.axes[i];
    y[ax] = x.shape[ax] < 0 ? -1 : slice_dim(x.shape[ax], s.starts[i], s.ends[i], s.steps[i]);
  }
  ctx.outputs = {known_rank(x.dtype, std::move(y))};
  return Status::ok();
}

}  // namespace

extern const OpDef kSliceOpDef{"Slice", parse_slice, infer_slice, true};

}  // namespace tandem::ir
