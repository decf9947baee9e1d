// Softmax. Opset < 13: the input is seen as 2-D [prod(dims[:axis]), prod(dims[axis:])] and
// axis defaults to 1; opset >= 13: along one axis, default -1. Output = input's type.
#include "ir/ops/softmax.h"

#include "ir/ops/infer_util.h"
#include "ir/ops/op_def.h"

namespace tandem::ir {
namespace {

Result<OpAttrs> parse_softmax(const AttrMap& a, int opset) {
  SoftmaxAttrs s;
  s.coerce_2d = opset < 13;
  TANDEM_ASSIGN_OR_RETURN(s.axis, a.get_int("axis", opset < 13 ? 1 : -1));
  return OpAttrs{s};
}

Status infer_softmax(InferContext& ctx) {
  TANDEM_RETURN_IF_ERROR(require_inputs(ctx, 1, "input"));
  auto& s = std::get<SoftmaxAttrs>(ctx.attrs);
  const ValueInfo& x = *ctx.inputs[0];
  if (x.dtype != DType::kFloat32 && x.dtype != DType::kFloat16 && x.dtype != DType::kFloat64)
    return invalid_argument(std::string("input must be a float tensor, got ") + dtype_name(x.dtype));
  if (x.rank_known) {
    TANDEM_ASSIGN_OR_RETURN(s.axis, normalize_axis(s.axis, static_cast<int64_t>(x.shape.size()), "axis"));
  }
  ctx.outputs = {x};
  return Status::ok();
}

}  // namespace

extern const OpDef kSoftmaxOpDef{"Softmax", parse_softmax, infer_softmax, false};

}  // namespace tandem::ir
