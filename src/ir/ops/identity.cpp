// Identity and Dropout (inference: a copy; Dropout's optional mask output is all true).
#include "ir/ops/identity.h"

#include "ir/ops/infer_util.h"
#include "ir/ops/op_def.h"

namespace tandem::ir {
namespace {

Result<OpAttrs> parse_identity(const AttrMap& /*a*/, int /*opset*/) { return OpAttrs{IdentityAttrs{}}; }

Status infer_identity(InferContext& ctx) {
  TANDEM_RETURN_IF_ERROR(require_inputs(ctx, 1, "input"));
  // Dropout (opset >= 12) may say training_mode=true through a constant input: not inference.
  if (ctx.node.op_type == "Dropout") {
    if (const Tensor* t = optional_constant(ctx, 2); t && t->numel() == 1 && t->int_at(0) != 0)
      return unsupported("Dropout with training_mode=true is not supported (inference only)");
  }
  ValueInfo y = *ctx.inputs[0];
  ctx.outputs = {y};
  if (ctx.node.outputs.size() > 1) {  // Dropout's mask
    ValueInfo mask = y;
    mask.dtype = DType::kBool;
    ctx.outputs.push_back(mask);
  }
  return Status::ok();
}

}  // namespace

extern const OpDef kIdentityOpDef{"Identity", parse_identity, infer_identity, true};
extern const OpDef kDropoutOpDef{"Dropout", parse_identity, infer_identity, true};

}  // namespace tandem::ir
