// BatchNormalization, inference form: Y = scale * (X - mean) / sqrt(var + epsilon) + B.
#include "ir/ops/batch_norm.h"

#include "ir/ops/infer_util.h"
#include "ir/ops/op_def.h"

namespace tandem::ir {
namespace {

// Opset 9's `spatial` and the older `momentum` only matter for training; they are ignored.
Result<OpAttrs> parse_batch_norm(const AttrMap& a, int /*opset*/) {
  BatchNormAttrs b;
  TANDEM_ASSIGN_OR_RETURN(b.epsilon, a.get_float("epsilon", 1e-5f));
  TANDEM_ASSIGN_OR_RETURN(int64_t training, a.get_int("training_mode", 0));
  if (training != 0) return unsupported("BatchNormalization training_mode=1 is not supported (inference only)");
  if (b.epsilon < 0) return invalid_argument("epsilon must be >= 0");
  return OpAttrs{b};
}

Status infer_batch_norm(InferContext& ctx) {
  TANDEM_RETURN_IF_ERROR(require_inputs(ctx, 5, "X, scale, B, mean and var"));
  const ValueInfo& x = *ctx.inputs[0];
  if (x.rank_known && x.shape.size() < 2)
    return invalid_argument("X must have rank >= 2, got " + shape_to_string(x.shape));
  const int64_t c = x.rank_known ? x.shape[1] : -1;
  static const char* const kNames[] = {"X", "scale", "B", "mean", "var"};
  for (size_t i = 1; i < 5; ++i) {
    const ValueInfo& p = *ctx.inputs[i];
    if (!p.rank_known) continue;
    if (p.shape.size() != 1 || (c >= 0 && p.shape[0] >= 0 && p.shape[0] != c))
      return invalid_argument(std::string(kNames[i]) + " " + shape_to_string(p.shape) + " must be [" +
                              (c >= 0 ? std::to_string(c) : std::string("C")) + "] (channels of X)");
  }
  if (ctx.node.outputs.size() > 1)
    for (size_t i = 1; i < ctx.node.outputs.size(); ++i)
      if (!ctx.node.outputs[i].empty())
        return unsupported("BatchNormalization training outputs (running mean/var) are not supported");
  ctx.outputs = {x};
  return Status::ok();
}

}  // namespace

extern const OpDef kBatchNormalizationOpDef{"BatchNormalization", parse_batch_norm, infer_batch_norm, false};

}  // namespace tandem::ir
