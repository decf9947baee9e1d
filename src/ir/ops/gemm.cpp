// Gemm: Y[M, N] = alpha * A' B' + beta * C, A' = transA ? A^T : A (rank 2), C broadcast to [M, N].
#include "ir/ops/gemm.h"

#include "ir/ops/infer_util.h"
#include "ir/ops/op_def.h"

namespace tandem::ir {
namespace {

Result<OpAttrs> parse_gemm(const AttrMap& a, int /*opset*/) {
  GemmAttrs g;
  TANDEM_ASSIGN_OR_RETURN(g.alpha, a.get_float("alpha", 1.0f));
  TANDEM_ASSIGN_OR_RETURN(g.beta, a.get_float("beta", 1.0f));
  TANDEM_ASSIGN_OR_RETURN(int64_t ta, a.get_int("transA", 0));
  TANDEM_ASSIGN_OR_RETURN(int64_t tb, a.get_int("transB", 0));
  g.trans_a = ta != 0;
  g.trans_b = tb != 0;
  return OpAttrs{g};
}

Status infer_gemm(InferContext& ctx) {
  TANDEM_RETURN_IF_ERROR(require_inputs(ctx, 2, "A and B"));
  const auto& g = std::get<GemmAttrs>(ctx.attrs);
  const ValueInfo& a = *ctx.inputs[0];
  const ValueInfo& b = *ctx.inputs[1];
  if (a.dtype != b.dtype)
    return invalid_argument(std::string("A is ") + dtype_name(a.dtype) + " but B is " + dtype_name(b.dtype));
  if (!a.rank_known || !b.rank_known) {
    ctx.outputs = {known_rank(a.dtype, {-1, -1})};
    return Status::ok();
  }
  if (a.shape.size() != 2) return invalid_argument("A must have rank 2, got " + shape_to_string(a.shape));
  if (b.shape.size() != 2) return invalid_argument("B must have rank 2, got " + shape_to_string(b.shape));
  const int64_t m = g.trans_a ? a.shape[1] : a.shape[0];
  const int64_t ka = g.trans_a ? a.shape[0] : a.shape[1];
  const int64_t kb = g.trans_b ? b.shape[1] : b.shape[0];
  const int64_t n = g.trans_b ? b.shape[0] : b.shape[1];
  if (ka >= 0 && kb >= 0 && ka != kb)
    return invalid_argument("A " + shape_to_string(a.shape) + " and B " + shape_to_string(b.shape) +
                            " do not agree on K (" + std::to_string(ka) + " vs " + std::to_string(kb) + ")");
  Shape y = {m, n};
  if (const ValueInfo* c = optional_input(ctx, 2); c && c->rank_known) {
    if (c->shape.size() > 2) return invalid_argument("C must have rank <= 2, got " + shape_to_string(c->shape));
    auto bs = broadcast_shapes(y, c->shape);
    if (!bs.is_ok() || (y[0] >= 0 && y[1] >= 0 && *bs != y))
      return invalid_argument("C " + shape_to_string(c->shape) + " cannot be broadcast to " + shape_to_string(y));
  }
  ctx.outputs = {known_rank(a.dtype, std::move(y))};
  return Status::ok();
}

}  // namespace

extern const OpDef kGemmOpDef{"Gemm", parse_gemm, infer_gemm, false};

}  // namespace tandem::ir
