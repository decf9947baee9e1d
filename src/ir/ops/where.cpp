// Where(condition, X, Y): condition ? X : Y elementwise, the three broadcast together (NumPy).
// condition is bool; X and Y share a dtype, which the output has.
#include "ir/ops/where.h"

#include "ir/ops/infer_util.h"
#include "ir/ops/op_def.h"

namespace tandem::ir {
namespace {

Result<OpAttrs> parse_where(const AttrMap& /*a*/, int /*opset*/) { return OpAttrs{WhereAttrs{}}; }

Status infer_where(InferContext& ctx) {
  TANDEM_RETURN_IF_ERROR(require_inputs(ctx, 3, "condition, X and Y"));
  const ValueInfo& c = *ctx.inputs[0];
  const ValueInfo& x = *ctx.inputs[1];
  const ValueInfo& y = *ctx.inputs[2];
  if (c.dtype != DType::kBool) return invalid_argument(std::string("condition must be bool, got ") + dtype_name(c.dtype));
  if (x.dtype != y.dtype)
    return invalid_argument(std::string("X is ") + dtype_name(x.dtype) + " but Y is " + dtype_name(y.dtype));
  if (!c.rank_known || !x.rank_known || !y.rank_known) {
    ctx.outputs = {unknown_rank(x.dtype)};
    return Status::ok();
  }
  TANDEM_ASSIGN_OR_RETURN(Shape cx, broadcast_shapes(c.shape, x.shape));
  TANDEM_ASSIGN_OR_RETURN(Shape out, broadcast_shapes(cx, y.shape));
  ctx.outputs = {known_rank(x.dtype, std::move(out))};
  return Status::ok();
}

}  // namespace

extern const OpDef kWhereOpDef{"Where", parse_where, infer_where, true};

}  // namespace tandem::ir
