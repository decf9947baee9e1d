// Cast: same shape, dtype `to` (an ONNX TensorProto.DataType code in the file).
#include "ir/ops/cast.h"

#include "ir/ops/infer_util.h"
#include "ir/ops/op_def.h"

namespace tandem::ir {
namespace {

Result<OpAttrs> parse_cast(const AttrMap& a, int /*opset*/) {
  if (!a.has("to")) return invalid_argument("attribute 'to' is required");
  TANDEM_ASSIGN_OR_RETURN(int64_t code, a.get_int("to", 0));
  auto t = dtype_from_onnx_code(code);
  if (!t) return unsupported("Cast to ONNX data type " + std::to_string(code) + " is not supported");
  CastAttrs c;
  c.to = *t;
  return OpAttrs{c};
}

Status infer_cast(InferContext& ctx) {
  TANDEM_RETURN_IF_ERROR(require_inputs(ctx, 1, "input"));
  ValueInfo y = *ctx.inputs[0];
  y.dtype = std::get<CastAttrs>(ctx.attrs).to;
  ctx.outputs = {y};
  return Status::ok();
}

}  // namespace

extern const OpDef kCastOpDef{"Cast", parse_cast, infer_cast, true};

}  // namespace tandem::ir
