// ConstantOfShape: a tensor of the shape given by the constant 1-D int64 input, every element
// equal to the one-element `value` attribute (float32 0 by default). Mostly shape arithmetic
// (torch's ones_like / pad subgraphs), folded at specialisation.
#include "ir/ops/constant_of_shape.h"

#include "ir/ops/infer_util.h"
#include "ir/ops/op_def.h"

namespace tandem::ir {
namespace {

Result<OpAttrs> parse_constant_of_shape(const AttrMap& a, int) {
  ConstantOfShapeAttrs c;
  if (a.has("value")) {
    TANDEM_ASSIGN_OR_RETURN(c.value, a.get_tensor("value"));
    if (c.value.numel() != 1) return invalid_argument("attribute 'value' must have one element");
  } else {
    c.value = Tensor::zeros({1}, DType::kFloat32);
  }
  return OpAttrs{c};
}

Status infer_constant_of_shape(InferContext& ctx) {
  TANDEM_RETURN_IF_ERROR(require_inputs(ctx, 1, "input"));
  const auto& c = std::get<ConstantOfShapeAttrs>(ctx.attrs);
  const DType dt = c.value.dtype();
  const Tensor* shape = optional_constant(ctx, 0);
  if (!shape) {
    const ValueInfo& s = *ctx.inputs[0];
    const bool rank_known = s.rank_known && s.shape.size() == 1 && s.shape[0] >= 0;
    ctx.outputs = {rank_known ? known_rank(dt, Shape(static_cast<size_t>(s.shape[0]), -1)) : unknown_rank(dt)};
    return Status::ok();
  }
  if (shape->dtype() != DType::kInt64 || shape->shape().size() != 1) return invalid_argument("input must be a 1-D int64 tensor");
  Shape y = shape->to_int_vector();
  for (int64_t d : y)
    if (d < 0) return invalid_argument("shape " + shape_to_string(y) + " has a negative dim");
  ctx.outputs = {known_rank(dt, std::move(y))};
  return Status::ok();
}

}  // namespace

extern const OpDef kConstantOfShapeOpDef{"ConstantOfShape", parse_constant_of_shape, infer_constant_of_shape, true};

}  // namespace tandem::ir
