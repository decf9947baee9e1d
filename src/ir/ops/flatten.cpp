// Flatten: [prod(dims[:axis]), prod(dims[axis:])].
#include "ir/ops/flatten.h"

#include "ir/ops/infer_util.h"
#include "ir/ops/op_def.h"

namespace tandem::ir {
namespace {

Result<OpAttrs> parse_flatten(const AttrMap& a, int /*opset*/) {
  FlattenAttrs f;
  TANDEM_ASSIGN_OR_RETURN(f.axis, a.get_int("axis", 1));
  return OpAttrs{f};
}

Status infer_flatten(InferContext& ctx) {
  TANDEM_RETURN_IF_ERROR(require_inputs(ctx, 1, "input"));
  auto& f = std::get<FlattenAttrs>(ctx.attrs);
  const ValueInfo& x = *ctx.inputs[0];
  if (!x.rank_known) {
    ctx.outputs = {known_rank(x.dtype, {-1, -1})};
    return Status::ok();
  }
  const int64_t r = static_cast<int64_t>(x.shape.size());
  TANDEM_ASSIGN_OR_RETURN(int64_t axis, normalize_axis(f.axis, r, "axis", /*inclusive_end=*/true));
  f.axis = axis;
  ctx.outputs = {known_rank(x.dtype, {product_or_unknown(x.shape, 0, axis), product_or_unknown(x.shape, axis, r)})};
  return Status::ok();
}

}  // namespace

extern const OpDef kFlattenOpDef{"Flatten", parse_flatten, infer_flatten, true};

}  // namespace tandem::ir
