// ArgMax: the int64 index of the largest element along `axis` (negative counts from the end);
// the axis becomes 1 (keepdims) or goes. Ties take the first index, or the last with
// select_last_index (opset 12+; an error before). The axis must not be empty.
#include "ir/ops/argmax.h"

#include "ir/ops/infer_util.h"
#include "ir/ops/op_def.h"

namespace tandem::ir {
namespace {

Result<OpAttrs> parse_argmax(const AttrMap& a, int opset) {
  ArgMaxAttrs t;
  TANDEM_ASSIGN_OR_RETURN(t.axis, a.get_int("axis", 0));
  TANDEM_ASSIGN_OR_RETURN(int64_t keep, a.get_int("keepdims", 1));
  TANDEM_ASSIGN_OR_RETURN(int64_t last, a.get_int("select_last_index", 0));
  if (last != 0 && opset < 12) return invalid_argument("select_last_index needs opset 12");
  t.keepdims = keep != 0;
  t.select_last_index = last != 0;
  return OpAttrs{t};
}

Status infer_argmax(InferContext& ctx) {
  TANDEM_RETURN_IF_ERROR(require_inputs(ctx, 1, "data"));
  auto& t = std::get<ArgMaxAttrs>(ctx.attrs);
  const ValueInfo& x = *ctx.inputs[0];
  if (x.dtype == DType::kBool) return invalid_argument("ArgMax of a bool tensor");
  if (!x.rank_known) {
    ctx.outputs = {unknown_rank(DType::kInt64)};
    return Status::ok();
  }
  const int64_t rank = static_cast<int64_t>(x.shape.size());
  if (rank < 1) return invalid_argument("data must have rank >= 1");
  TANDEM_ASSIGN_OR_RETURN(t.axis, normalize_axis(t.axis, rank, "axis"));
  if (x.shape[static_cast<size_t>(t.axis)] == 0) return invalid_argument("ArgMax over an empty axis");
  Shape out;
  for (int64_t d = 0; d < rank; ++d) {
    if (d != t.axis) out.push_back(x.shape[static_cast<size_t>(d)]);
    else if (t.keepdims) out.push_back(1);
  }
  ctx.outputs = {known_rank(DType::kInt64, std::move(out))};
  return Status::ok();
}

}  // namespace

extern const OpDef kArgMaxOpDef{"ArgMax", parse_argmax, infer_argmax, true};

}  // namespace tandem::ir
