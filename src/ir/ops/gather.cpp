// Gather: out = data.shape[:axis] + indices.shape + data.shape[axis+1:].
#include "ir/ops/gather.h"

#include "ir/ops/infer_util.h"
#include "ir/ops/op_def.h"

namespace tandem::ir {
namespace {

Result<OpAttrs> parse_gather(const AttrMap& a, int /*opset*/) {
  GatherAttrs g;
  TANDEM_ASSIGN_OR_RETURN(g.axis, a.get_int("axis", 0));
  return OpAttrs{g};
}

Status infer_gather(InferContext& ctx) {
  TANDEM_RETURN_IF_ERROR(require_inputs(ctx, 2, "data and indices"));
  auto& g = std::get<GatherAttrs>(ctx.attrs);
  const ValueInfo& data = *ctx.inputs[0];
  const ValueInfo& idx = *ctx.inputs[1];
  if (idx.dtype != DType::kInt64 && idx.dtype != DType::kInt32)
    return invalid_argument(std::string("indices must be int32 or int64, got ") + dtype_name(idx.dtype));
  if (!data.rank_known || !idx.rank_known) {
    ctx.outputs = {unknown_rank(data.dtype)};
    return Status::ok();
  }
  const int64_t r = static_cast<int64_t>(data.shape.size());
  if (r < 1) return invalid_argument("data must have rank >= 1");
  TANDEM_ASSIGN_OR_RETURN(int64_t axis, normalize_axis(g.axis, r, "axis"));
  g.axis = axis;
  // Constant indices are checked against a known dim now rather than at run time.
  if (const Tensor* t = optional_constant(ctx, 1); t && data.shape[axis] >= 0) {
    const int64_t dim = data.shape[axis];
    for (int64_t i = 0; i < t->numel(); ++i) {
      const int64_t v = t->int_at(i);
      if (v < -dim || v >= dim)
        return invalid_argument("index " + std::to_string(v) + " is out of range for dim " + std::to_string(axis) +
                                " of size " + std::to_string(dim));
    }
  }
  Shape out(data.shape.begin(), data.shape.begin() + axis);
  out.insert(out.end(), idx.shape.begin(), idx.shape.end());
  out.insert(out.end(), data.shape.begin() + axis + 1, data.shape.end());
  ctx.outputs = {known_rank(data.dtype, std::move(out))};
  return Status::ok();
}

}  // namespace

extern const OpDef kGatherOpDef{"Gather", parse_gather, infer_gather, true};

}  // namespace tandem::ir
