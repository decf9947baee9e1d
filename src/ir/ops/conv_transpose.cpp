// ConvTranspose: Y[N, M, out...] from X[N, C, in...] and W[C, M/group, k...].
// out = stride*(in-1) + output_padding + (k-1)*dilation + 1 - pad_begin - pad_end, or the
// given output_shape, whose padding (and auto_pad's) is resolved into `pads`.
#include "ir/ops/conv_transpose.h"

#include <algorithm>

#include "ir/ops/infer_util.h"
#include "ir/ops/op_def.h"

namespace tandem::ir {
namespace {

Result<OpAttrs> parse_conv_transpose(const AttrMap& a, int /*opset*/) {
  ConvTransposeAttrs c;
  TANDEM_ASSIGN_OR_RETURN(c.kernel_shape, a.get_ints("kernel_shape", {}));
  TANDEM_ASSIGN_OR_RETURN(c.strides, a.get_ints("strides", {}));
  TANDEM_ASSIGN_OR_RETURN(c.pads, a.get_ints("pads", {}));
  TANDEM_ASSIGN_OR_RETURN(c.dilations, a.get_ints("dilations", {}));
  TANDEM_ASSIGN_OR_RETURN(c.output_padding, a.get_ints("output_padding", {}));
  TANDEM_ASSIGN_OR_RETURN(c.output_shape, a.get_ints("output_shape", {}));
  TANDEM_ASSIGN_OR_RETURN(c.group, a.get_int("group", 1));
  TANDEM_ASSIGN_OR_RETURN(c.auto_pad, a.get_string("auto_pad", "NOTSET"));
  if (c.group < 1) return invalid_argument("group " + std::to_string(c.group) + " must be >= 1");
  if (c.auto_pad != "NOTSET" && c.auto_pad != "SAME_UPPER" && c.auto_pad != "SAME_LOWER" && c.auto_pad != "VALID")
    return invalid_argument("auto_pad '" + c.auto_pad + "' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID");
  return OpAttrs{c};
}

// Fills defaults and checks the per-dim attribute lengths.
Status fill_defaults(ConvTransposeAttrs& c, size_t n) {
  if (c.kernel_shape.size() != n)
    return invalid_argument("kernel_shape has " + std::to_string(c.kernel_shape.size()) + " dims, input has " +
                            std::to_string(n) + " spatial dims");
  if (c.strides.empty()) c.strides.assign(n, 1);
  if (c.dilations.empty()) c.dilations.assign(n, 1);
  if (c.pads.empty()) c.pads.assign(2 * n, 0);
  if (c.output_padding.empty()) c.output_padding.assign(n, 0);
  if (c.strides.size() != n || c.dilations.size() != n || c.pads.size() != 2 * n || c.output_padding.size() != n)
    return invalid_argument("strides/dilations/pads/output_padding do not match the number of spatial dims");
  if (!c.output_shape.empty() && c.output_shape.size() != n && c.output_shape.size() != n + 2)
    return invalid_argument("output_shape must have one entry per spatial dim");
  for (size_t i = 0; i < n; ++i) {
    if (c.strides[i] < 1 || c.dilations[i] < 1 || c.kernel_shape[i] < 1)
      return invalid_argument("kernel, strides and dilations must be >= 1");
    if (c.output_padding[i] < 0 || c.output_padding[i] >= std::max(c.strides[i], c.dilations[i]))
      return invalid_argument("output_padding must be >= 0 and smaller than stride or dilation");
  }
  return Status::ok();
}

// Output spatial dim i (-1 when the input dim is unknown); resolves pads for output_shape/auto_pad.
Result<int64_t> output_dim(ConvTransposeAttrs& c, size_t i, size_t n, int64_t in) {
  if (in < 0) return int64_t{-1};
  const int64_t eff_k = (c.kernel_shape[i] - 1) * c.dilations[i] + 1;
  const int64_t full = c.strides[i] * (in - 1) + c.output_padding[i] + eff_k;
  int64_t want = -1;
  if (!c.output_shape.empty()) want = c.output_shape[c.output_shape.size() - n + i];
  else if (c.auto_pad == "SAME_UPPER" || c.auto_pad == "SAME_LOWER") want = in * c.strides[i];
  if (want >= 0) {
    const int64_t total = full - want;
    if (want < 1) return invalid_argument("output_shape must be >= 1");
    if (total < 0) {
      // A larger output_shape than the kernel covers (as onnxruntime allows): the extra trailing
      // outputs get only the bias. Expressed as a negative end pad so out = full - begin - end holds.
      c.pads[i] = 0;
      c.pads[i + n] = total;
      return want;
    }
    // ONNX spec: SAME_UPPER gives the smaller half to the begin; otherwise the begin gets the larger.
    const bool upper = c.auto_pad == "SAME_UPPER";
    c.pads[i] = upper ? total / 2 : total - total / 2;
    c.pads[i + n] = total - c.pads[i];
    return want;
  }
  if (c.auto_pad == "VALID") c.pads[i] = c.pads[i + n] = 0;
  const int64_t out = full - c.pads[i] - c.pads[i + n];
  if (out < 1) return invalid_argument("output dim " + std::to_string(out) + " is not positive");
  return out;
}

Status infer_conv_transpose(InferContext& ctx) {
  TANDEM_RETURN_IF_ERROR(require_inputs(ctx, 2, "X and W"));
  auto& c = std::get<ConvTransposeAttrs>(ctx.attrs);
  const ValueInfo& x = *ctx.inputs[0];
  const ValueInfo& w = *ctx.inputs[1];
  if (!x.rank_known || !w.rank_known) {
    ctx.outputs = {unknown_rank(x.dtype)};
    return Status::ok();
  }
  if (x.shape.size() < 3) return invalid_argument("X must have rank >= 3, got " + shape_to_string(x.shape));
  if (w.shape.size() != x.shape.size())
    return invalid_argument("W " + shape_to_string(w.shape) + " and X " + shape_to_string(x.shape) + " differ in rank");
  if (x.shape[1] >= 0 && w.shape[0] >= 0 && x.shape[1] != w.shape[0])
    return invalid_argument("X has " + std::to_string(x.shape[1]) + " channels but W expects " +
                            std::to_string(w.shape[0]));
  const size_t n = x.shape.size() - 2;
  if (c.kernel_shape.empty()) c.kernel_shape.assign(w.shape.begin() + 2, w.shape.end());
  TANDEM_RETURN_IF_ERROR(fill_defaults(c, n));
  const int64_t m = w.shape[1] < 0 ? -1 : w.shape[1] * c.group;
  if (ctx.inputs.size() > 2 && ctx.inputs[2] && ctx.inputs[2]->rank_known &&
      (ctx.inputs[2]->shape.size() != 1 || (m >= 0 && ctx.inputs[2]->shape[0] != m)))
    return invalid_argument("bias B " + shape_to_string(ctx.inputs[2]->shape) + " must be [" + std::to_string(m) + "]");
  Shape y = {x.shape[0], m};
  for (size_t i = 0; i < n; ++i) {
    TANDEM_ASSIGN_OR_RETURN(int64_t d, output_dim(c, i, n, x.shape[i + 2]));
    y.push_back(d);
  }
  ctx.outputs = {known_rank(x.dtype, std::move(y))};
  return Status::ok();
}

}  // namespace

extern const OpDef kConvTransposeOpDef{"ConvTranspose", parse_conv_transpose, infer_conv_transpose, false};

}  // namespace tandem::ir
