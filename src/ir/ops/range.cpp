// Range(start, limit, delta): scalars of one dtype (float32/64, int32/64); the output is 1-D with
// max(ceil((limit - start) / delta), 0) elements start + i * delta. Its length is known only when
// all three inputs are constant, which is how it appears (shape arithmetic, folded).
#include "ir/ops/range.h"

#include <cmath>

#include "ir/ops/infer_util.h"
#include "ir/ops/op_def.h"

namespace tandem::ir {

namespace {

Result<OpAttrs> parse_range(const AttrMap&, int) { return OpAttrs{RangeAttrs{}}; }

Status infer_range(InferContext& ctx) {
  TANDEM_RETURN_IF_ERROR(require_inputs(ctx, 3, "start, limit and delta"));
  const DType dt = ctx.inputs[0]->dtype;
  for (size_t i = 1; i < 3; ++i)
    if (ctx.inputs[i]->dtype != dt) return invalid_argument("start, limit and delta must have the same dtype");
  if (dt != DType::kFloat32 && dt != DType::kFloat64 && dt != DType::kInt32 && dt != DType::kInt64)
    return invalid_argument(std::string("Range of ") + dtype_name(dt));
  const Tensor* t[3] = {optional_constant(ctx, 0), optional_constant(ctx, 1), optional_constant(ctx, 2)};
  if (!t[0] || !t[1] || !t[2]) {
    ctx.outputs = {known_rank(dt, {-1})};
    return Status::ok();
  }
  for (const Tensor* v : t)
    if (v->numel() != 1) return invalid_argument("start, limit and delta must be scalars");
  const double start = t[0]->float_at(0), limit = t[1]->float_at(0), delta = t[2]->float_at(0);
  if (delta == 0) return invalid_argument("delta must not be 0");
  const bool integral = dt == DType::kInt32 || dt == DType::kInt64;
  const int64_t n = integral ? std::max<int64_t>(0, (t[1]->int_at(0) - t[0]->int_at(0) + t[2]->int_at(0) +
                                                     (t[2]->int_at(0) > 0 ? -1 : 1)) / t[2]->int_at(0))
                             : std::max<int64_t>(0, static_cast<int64_t>(std::ceil((limit - start) / delta)));
  ctx.outputs = {known_rank(dt, {n})};
  return Status::ok();
}

}  // namespace

extern const OpDef kRangeOpDef{"Range", parse_range, infer_range, true};

}  // namespace tandem::ir
