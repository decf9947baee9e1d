// MaxPool / AveragePool: window arithmetic shared with Conv (spatial.h).
#include "ir/ops/pool.h"

#include "ir/ops/infer_util.h"
#include "ir/ops/op_def.h"
#include "ir/ops/spatial.h"

namespace tandem::ir {
namespace {

template <PoolKind K>
Result<OpAttrs> parse_pool(const AttrMap& a, int /*opset*/) {
  PoolAttrs p;
  p.kind = K;
  if (!a.has("kernel_shape")) return invalid_argument("attribute 'kernel_shape' is required");
  TANDEM_ASSIGN_OR_RETURN(p.kernel_shape, a.get_ints("kernel_shape", {}));
  TANDEM_ASSIGN_OR_RETURN(p.strides, a.get_ints("strides", {}));
  TANDEM_ASSIGN_OR_RETURN(p.pads, a.get_ints("pads", {}));
  TANDEM_ASSIGN_OR_RETURN(p.dilations, a.get_ints("dilations", {}));
  TANDEM_ASSIGN_OR_RETURN(int64_t ceil, a.get_int("ceil_mode", 0));
  TANDEM_ASSIGN_OR_RETURN(int64_t cip, a.get_int("count_include_pad", 0));
  TANDEM_ASSIGN_OR_RETURN(int64_t storage_order, a.get_int("storage_order", 0));
  TANDEM_ASSIGN_OR_RETURN(p.auto_pad, a.get_string("auto_pad", "NOTSET"));
  p.ceil_mode = ceil != 0;
  p.count_include_pad = cip != 0;
  (void)storage_order;  // only affects the Indices output, which we reject in infer
  return OpAttrs{p};
}

Status infer_pool(InferContext& ctx) {
  TANDEM_RETURN_IF_ERROR(require_inputs(ctx, 1, "X"));
  auto& p = std::get<PoolAttrs>(ctx.attrs);
  if (ctx.node.outputs.size() > 1 && !ctx.node.outputs[1].empty())
    return unsupported("MaxPool's Indices output is not supported");
  const ValueInfo& x = *ctx.inputs[0];
  if (!x.rank_known) {
    ctx.outputs = {unknown_rank(x.dtype)};
    return Status::ok();
  }
  if (x.shape.size() < 3) return invalid_argument("X must have rank >= 3, got " + shape_to_string(x.shape));
  Shape in_sp(x.shape.begin() + 2, x.shape.end());
  Shape out_sp;
  TANDEM_RETURN_IF_ERROR(
      resolve_window(in_sp, p.kernel_shape, p.auto_pad, p.ceil_mode, p.strides, p.pads, p.dilations, out_sp));
  Shape y = {x.shape[0], x.shape[1]};
  y.insert(y.end(), out_sp.begin(), out_sp.end());
  ctx.outputs = {known_rank(x.dtype, std::move(y))};
  return Status::ok();
}

}  // namespace

extern const OpDef kMaxPoolOpDef{"MaxPool", parse_pool<PoolKind::kMax>, infer_pool, false};
extern const OpDef kAveragePoolOpDef{"AveragePool", parse_pool<PoolKind::kAverage>, infer_pool, false};

}  // namespace tandem::ir
