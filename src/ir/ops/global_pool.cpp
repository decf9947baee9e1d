// GlobalAveragePool / GlobalMaxPool: [N, C, d...] -> [N, C, 1...].
#include "ir/ops/global_pool.h"

#include "ir/ops/infer_util.h"
#include "ir/ops/op_def.h"

namespace tandem::ir {
namespace {

template <PoolKind K>
Result<OpAttrs> parse_global_pool(const AttrMap& /*a*/, int /*opset*/) {
  GlobalPoolAttrs g;
  g.kind = K;
  return OpAttrs{g};
}

Status infer_global_pool(InferContext& ctx) {
  TANDEM_RETURN_IF_ERROR(require_inputs(ctx, 1, "X"));
  const ValueInfo& x = *ctx.inputs[0];
  if (!x.rank_known) {
    ctx.outputs = {unknown_rank(x.dtype)};
    return Status::ok();
  }
  if (x.shape.size() < 3) return invalid_argument("X must have rank >= 3, got " + shape_to_string(x.shape));
  Shape y(x.shape.size(), 1);
  y[0] = x.shape[0];
  y[1] = x.shape[1];
  ctx.outputs = {known_rank(x.dtype, std::move(y))};
  return Status::ok();
}

}  // namespace

extern const OpDef kGlobalAveragePoolOpDef{"GlobalAveragePool", parse_global_pool<PoolKind::kAverage>,
                                           infer_global_pool, false};
extern const OpDef kGlobalMaxPoolOpDef{"GlobalMaxPool", parse_global_pool<PoolKind::kMax>, infer_global_pool, false};

}  // namespace tandem::ir
