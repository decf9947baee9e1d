// Concat along one axis (any dtype): for each outer index, the inputs' slabs in order.
#include <cstring>

#include "backends/reference/ref_util.h"
#include "ir/ops/concat.h"

namespace tandem::reference {
namespace {

Status run_concat(RefOpContext& ctx) {
  TANDEM_ASSIGN_OR_RETURN(const ir::ConcatAttrs* a, attrs_of<ir::ConcatAttrs>(ctx.node));
  if (ctx.inputs.empty()) return invalid_argument("Concat has no inputs");
  TANDEM_RETURN_IF_ERROR(require_input(ctx, 0, "0"));
  const DType dtype = ctx.inputs[0].dtype();
  TANDEM_ASSIGN_OR_RETURN(Tensor y, alloc_output(ctx, 0, dtype));
  const Shape& ys = y.shape();
  TANDEM_ASSIGN_OR_RETURN(int64_t axis, normalize_axis(a->axis, static_cast<int64_t>(ys.size())));
  const auto [outer, inner] = around_axis(ys, int64_t(axis));
  const size_t esize = dtype_size(dtype);
  int64_t total = 0;
  for (size_t i = 0; i < ctx.inputs.size(); ++i) {
    const Tensor& t = ctx.inputs[i];
    if (t.empty()) return invalid_argument("Concat input " + std::to_string(i) + " is missing");
    if (t.dtype() != dtype || t.shape().size() != ys.size())
      return invalid_argument("Concat input " + std::to_string(i) + " " + shape_to_string(t.shape()) + " (" +
                              dtype_name(t.dtype()) + ") does not match the others");
    total += t.shape()[axis];
  }
  if (total != ys[axis]) return internal_error("Concat output axis size disagrees with the inputs");
  auto* dst = static_cast<std::byte*>(y.data());
  for (int64_t o = 0; o < outer; ++o)
    for (const Tensor& t : ctx.inputs) {
      const size_t slab = static_cast<size_t>(t.shape()[axis] * inner) * esize;
      if (slab) std::memcpy(dst, static_cast<const std::byte*>(t.data()) + o * slab, slab);
      dst += slab;
    }
  return Status::ok();
}

}  // namespace

extern const RefOp kRefConcat{"Concat", nullptr, run_concat};

}  // namespace tandem::reference
