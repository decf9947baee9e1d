// Expand: the input broadcast (NumPy rules, both ways) with the constant shape input 1; a dim
// of 1 in that shape keeps the input's dim.
#include "ir/ops/expand.h"

#include "ir/ops/infer_util.h"
#include "ir/ops/op_def.h"

namespace tandem::ir {
namespace {

Result<OpAttrs> parse_expand(const AttrMap&, int) { return OpAttrs{ExpandAttrs{}}; }

Status infer_expand(InferContext& ctx) {
  TANDEM_RETURN_IF_ERROR(require_inputs(ctx, 2, "input and shape"));
  auto& e = std::get<ExpandAttrs>(ctx.attrs);
  const ValueInfo& x = *ctx.inputs[0];
  const Tensor* shape = optional_constant(ctx, 1);
  if (!shape) {
    ctx.outputs = {unknown_rank(x.dtype)};
    return Status::ok();
  }
  if (shape->dtype() != DType::kInt64 || shape->shape().size() != 1)
    return invalid_argument("shape must be a 1-D int64 tensor");
  e.shape = shape->to_int_vector();
  for (int64_t d : e.shape)
    if (d < 0) return invalid_argument("shape " + shape_to_string(e.shape) + " has a negative dim");
  if (!x.rank_known) {
    ctx.outputs = {unknown_rank(x.dtype)};
    return Status::ok();
  }
  TANDEM_ASSIGN_OR_RETURN(Shape y, broadcast_shapes(x.shape, e.shape));
  ctx.outputs = {known_rank(x.dtype, std::move(y))};
  return Status::ok();
}

}  // namespace

extern const OpDef kExpandOpDef{"Expand", parse_expand, infer_expand, true};

}  // namespace tandem::ir
