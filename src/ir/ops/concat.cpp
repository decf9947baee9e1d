// Concat along `axis`: every input has the same rank and dtype and equal dims off the axis.
#include "ir/ops/concat.h"

#include "ir/ops/infer_util.h"
#include "ir/ops/op_def.h"

namespace tandem::ir {
namespace {

Result<OpAttrs> parse_concat(const AttrMap& a, int /*opset*/) {
  if (!a.has("axis")) return invalid_argument("attribute 'axis' is required");
  ConcatAttrs c;
  TANDEM_ASSIGN_OR_RETURN(c.axis, a.get_int("axis", 0));
  return OpAttrs{c};
}

Status infer_concat(InferContext& ctx) {
  if (ctx.inputs.empty()) return invalid_argument("needs at least one input");
  TANDEM_RETURN_IF_ERROR(require_inputs(ctx, ctx.inputs.size(), "(all of them)"));
  auto& c = std::get<ConcatAttrs>(ctx.attrs);
  const DType dt = ctx.inputs[0]->dtype;
  const ValueInfo* ranked = nullptr;
  for (size_t i = 0; i < ctx.inputs.size(); ++i) {
    const ValueInfo& in = *ctx.inputs[i];
    if (in.dtype != dt)
      return invalid_argument("input " + std::to_string(i) + " is " + dtype_name(in.dtype) + ", input 0 is " +
                              dtype_name(dt));
    if (in.rank_known && !ranked) ranked = &in;
  }
  if (!ranked) {
    ctx.outputs = {unknown_rank(dt)};
    return Status::ok();
  }
  const int64_t rank = static_cast<int64_t>(ranked->shape.size());
  TANDEM_ASSIGN_OR_RETURN(int64_t axis, normalize_axis(c.axis, rank, "axis"));
  c.axis = axis;
  Shape out = ranked->shape;
  out[axis] = 0;
  bool all_ranked = true;
  for (size_t i = 0; i < ctx.inputs.size(); ++i) {
    const ValueInfo& in = *ctx.inputs[i];
    if (!in.rank_known) {
      all_ranked = false;
      continue;
    }
    if (static_cast<int64_t>(in.shape.size()) != rank)
      return invalid_argument("input " + std::to_string(i) + " " + shape_to_string(in.shape) + " has rank " +
                              std::to_string(in.shape.size()) + ", expected " + std::to_string(rank));
    for (int64_t d = 0; d < rank; ++d) {
      if (d == axis) continue;
      if (out[d] < 0) out[d] = in.shape[d];
      else if (in.shape[d] >= 0 && in.shape[d] != out[d])
        return invalid_argument("input " + std::to_string(i) + " " + shape_to_string(in.shape) +
                                " differs from " + shape_to_string(ranked->shape) + " in dim " + std::to_string(d));
    }
    out[axis] = (out[axis] < 0 || in.shape[axis] < 0) ? -1 : out[axis] + in.shape[axis];
  }
  if (!all_ranked) out[axis] = -1;
  ctx.outputs = {known_rank(dt, std::move(out))};
  return Status::ok();
}

}  // namespace

extern const OpDef kConcatOpDef{"Concat", parse_concat, infer_concat, true};

}  // namespace tandem::ir
