// Add, Sub, Mul, Div with NumPy broadcasting. Both inputs must have the same dtype.
#include "ir/ops/binary.h"

#include "ir/ops/infer_util.h"
#include "ir/ops/op_def.h"

namespace tandem::ir {
namespace {

template <BinaryOp K>
Result<OpAttrs> parse_binary(const AttrMap& a, int opset) {
  // Opset < 7 had explicit `broadcast`/`axis`; we start at opset 9, where NumPy rules apply.
  if (opset < 7 && a.has("axis")) return unsupported("legacy broadcast with 'axis' is not supported");
  BinaryAttrs b;
  b.op = K;
  return OpAttrs{b};
}

Status infer_binary(InferContext& ctx) {
  TANDEM_RETURN_IF_ERROR(require_inputs(ctx, 2, "A and B"));
  const ValueInfo& a = *ctx.inputs[0];
  const ValueInfo& b = *ctx.inputs[1];
  if (a.dtype != b.dtype)
    return invalid_argument(std::string("A is ") + dtype_name(a.dtype) + " but B is " + dtype_name(b.dtype));
  if (!a.rank_known || !b.rank_known) {
    ctx.outputs = {unknown_rank(a.dtype)};
    return Status::ok();
  }
  TANDEM_ASSIGN_OR_RETURN(Shape s, broadcast_shapes(a.shape, b.shape));
  ctx.outputs = {known_rank(a.dtype, std::move(s))};
  return Status::ok();
}

}  // namespace

extern const OpDef kAddOpDef{"Add", parse_binary<BinaryOp::kAdd>, infer_binary, true};
extern const OpDef kSubOpDef{"Sub", parse_binary<BinaryOp::kSub>, infer_binary, true};
extern const OpDef kMulOpDef{"Mul", parse_binary<BinaryOp::kMul>, infer_binary, true};
extern const OpDef kDivOpDef{"Div", parse_binary<BinaryOp::kDiv>, infer_binary, true};

}  // namespace tandem::ir
