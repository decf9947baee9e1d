// Shape: the input's dims [start, end) as int64 (start/end may be negative; clamped to the rank).
#include <algorithm>

#include "backends/reference/ref_util.h"
#include "ir/ops/shape_op.h"

namespace tandem::reference {
namespace {

Status run_shape(RefOpContext& ctx) {
  TANDEM_ASSIGN_OR_RETURN(const ir::ShapeAttrs* a, attrs_of<ir::ShapeAttrs>(ctx.node));
  TANDEM_RETURN_IF_ERROR(require_input(ctx, 0, "data"));
  const Shape& xs = ctx.inputs[0].shape();
  const int64_t rank = static_cast<int64_t>(xs.size());
  int64_t start = a->start < 0 ? a->start + rank : a->start;
  int64_t end = a->end < 0 ? a->end + rank : a->end;
  start = std::clamp<int64_t>(start, 0, rank);
  end = std::clamp<int64_t>(end, 0, rank);
  const int64_t n = std::max<int64_t>(0, end - start);
  TANDEM_ASSIGN_OR_RETURN(Tensor y, alloc_output(ctx, 0, DType::kInt64));
  if (y.numel() != n) return internal_error("Y shape " + shape_to_string(y.shape()) + " is wrong");
  for (int64_t i = 0; i < n; ++i) y.data_as<int64_t>()[i] = xs[start + i];
  return Status::ok();
}

}  // namespace

extern const RefOp kRefShape{"Shape", nullptr, run_shape};

}  // namespace tandem::reference
