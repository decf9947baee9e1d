// Shape: the int64 vector of the input's dims [start, end) (opset 15 start/end, clamped).
#include "ir/ops/shape_op.h"

#include <algorithm>

#include "ir/ops/infer_util.h"
#include "ir/ops/op_def.h"

namespace tandem::ir {
namespace {

Result<OpAttrs> parse_shape(const AttrMap& a, int /*opset*/) {
  ShapeAttrs s;
  TANDEM_ASSIGN_OR_RETURN(s.start, a.get_int("start", 0));
  TANDEM_ASSIGN_OR_RETURN(s.end, a.get_int("end", INT64_MAX));
  return OpAttrs{s};
}

Status infer_shape(InferContext& ctx) {
  TANDEM_RETURN_IF_ERROR(require_inputs(ctx, 1, "data"));
  auto& s = std::get<ShapeAttrs>(ctx.attrs);
  const ValueInfo& x = *ctx.inputs[0];
  if (!x.rank_known) {
    ctx.outputs = {known_rank(DType::kInt64, {-1})};
    return Status::ok();
  }
  // Resolved to 0 <= start <= end <= rank so kernels need not clamp.
  const int64_t r = static_cast<int64_t>(x.shape.size());
  int64_t start = s.start < 0 ? s.start + r : s.start;
  int64_t end = s.end < 0 ? s.end + r : s.end;
  start = std::clamp<int64_t>(start, 0, r);
  end = std::clamp<int64_t>(end, 0, r);
  if (end < start) end = start;
  s.start = start;
  s.end = end;
  ctx.outputs = {known_rank(DType::kInt64, {end - start})};
  return Status::ok();
}

}  // namespace

extern const OpDef kShapeOpDef{"Shape", parse_shape, infer_shape, true};

}  // namespace tandem::ir
