// Transpose: out.shape[i] = in.shape[perm[i]]; an empty perm reverses the dims.
#include "ir/ops/transpose.h"

#include "ir/ops/infer_util.h"
#include "ir/ops/op_def.h"

namespace tandem::ir {
namespace {

Result<OpAttrs> parse_transpose(const AttrMap& a, int /*opset*/) {
  TransposeAttrs t;
  TANDEM_ASSIGN_OR_RETURN(t.perm, a.get_ints("perm", {}));
  return OpAttrs{t};
}

Status infer_transpose(InferContext& ctx) {
  TANDEM_RETURN_IF_ERROR(require_inputs(ctx, 1, "data"));
  auto& t = std::get<TransposeAttrs>(ctx.attrs);
  const ValueInfo& x = *ctx.inputs[0];
  if (!x.rank_known) {
    ctx.outputs = {t.perm.empty() ? unknown_rank(x.dtype) : known_rank(x.dtype, Shape(t.perm.size(), -1))};
    return Status::ok();
  }
  const int64_t r = static_cast<int64_t>(x.shape.size());
  if (t.perm.empty())
    for (int64_t i = r - 1; i >= 0; --i) t.perm.push_back(i);
  if (static_cast<int64_t>(t.perm.size()) != r)
    return invalid_argument("perm has " + std::to_string(t.perm.size()) + " entries, input has rank " +
                            std::to_string(r));
  auto perm = normalize_axes(t.perm, r, "perm entry");
  if (!perm.is_ok()) return invalid_argument("perm " + shape_to_string(t.perm) + " is not a permutation of 0.." +
                                             std::to_string(r - 1));
  t.perm = *perm;
  Shape y(r);
  for (int64_t i = 0; i < r; ++i) y[i] = x.shape[t.perm[i]];
  ctx.outputs = {known_rank(x.dtype, std::move(y))};
  return Status::ok();
}

}  // namespace

extern const OpDef kTransposeOpDef{"Transpose", parse_transpose, infer_transpose, true};

}  // namespace tandem::ir
