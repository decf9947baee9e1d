#include "ir/ops/conv.h"

#include "ir/ops/op_def.h"
#include "ir/ops/spatial.h"

namespace tandem::ir {
namespace {

Result<OpAttrs> parse_conv(const AttrMap& a, int /*opset*/) {
  ConvAttrs c;
  TANDEM_ASSIGN_OR_RETURN(c.kernel_shape, a.get_ints("kernel_shape", {}));
  TANDEM_ASSIGN_OR_RETURN(c.strides, a.get_ints("strides", {}));
  TANDEM_ASSIGN_OR_RETURN(c.pads, a.get_ints("pads", {}));
  TANDEM_ASSIGN_OR_RETURN(c.dilations, a.get_ints("dilations", {}));
  TANDEM_ASSIGN_OR_RETURN(c.group, a.get_int("group", 1));
  TANDEM_ASSIGN_OR_RETURN(c.auto_pad, a.get_string("auto_pad", "NOTSET"));
  if (c.group < 1) return invalid_argument("group " + std::to_string(c.group) + " must be >= 1");
  return OpAttrs{c};
}

// Y[N, M, out...] from X[N, C, in...] and W[M, C/group, k...].
Status infer_conv(InferContext& ctx) {
  auto& c = std::get<ConvAttrs>(ctx.attrs);
  if (ctx.inputs.size() < 2 || !ctx.inputs[0] || !ctx.inputs[1]) return invalid_argument("needs X and W");
  const ValueInfo& x = *ctx.inputs[0];
  const ValueInfo& w = *ctx.inputs[1];
  ValueInfo y;
  y.dtype = x.dtype;
  if (!x.rank_known || !w.rank_known) {
    ctx.outputs = {y};
    return Status::ok();
  }
  if (x.shape.size() < 3) return invalid_argument("X must have rank >= 3, got " + shape_to_string(x.shape));
  if (w.shape.size() != x.shape.size())
    return invalid_argument("W " + shape_to_string(w.shape) + " and X " + shape_to_string(x.shape) +
                            " differ in rank");
  const size_t nsp = x.shape.size() - 2;
  if (c.kernel_shape.empty()) c.kernel_shape.assign(w.shape.begin() + 2, w.shape.end());
  if (x.shape[1] >= 0 && w.shape[1] >= 0 && x.shape[1] != w.shape[1] * c.group)
    return invalid_argument("X has " + std::to_string(x.shape[1]) + " channels but W expects " +
                            std::to_string(w.shape[1] * c.group) + " (group " + std::to_string(c.group) + ")");
  if (ctx.inputs.size() > 2 && ctx.inputs[2] && ctx.inputs[2]->rank_known &&
      (ctx.inputs[2]->shape.size() != 1 || ctx.inputs[2]->shape[0] != w.shape[0]))
    return invalid_argument("bias B " + shape_to_string(ctx.inputs[2]->shape) + " must be [" +
                            std::to_string(w.shape[0]) + "]");
  Shape in_sp(x.shape.begin() + 2, x.shape.end());
  Shape out_sp;
  TANDEM_RETURN_IF_ERROR(resolve_window(in_sp, c.kernel_shape, c.auto_pad, /*ceil_mode=*/false, c.strides,
                                        c.pads, c.dilations, out_sp));
  y.rank_known = true;
  y.shape = {x.shape[0], w.shape[0]};
  y.shape.insert(y.shape.end(), out_sp.begin(), out_sp.end());
  (void)nsp;
  ctx.outputs = {y};
  return Status::ok();
}

}  // namespace

extern const OpDef kConvOpDef{"Conv", parse_conv, infer_conv, false};

}  // namespace tandem::ir
