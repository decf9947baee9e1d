// Split (any dtype): for each outer index, each output's slab of `split[k] * inner` elements in turn.
#include <cstring>

#include "backends/reference/ref_util.h"
#include "ir/ops/split.h"

namespace tandem::reference {
namespace {

Status run_split(RefOpContext& ctx) {
  TANDEM_ASSIGN_OR_RETURN(const ir::SplitAttrs* a, attrs_of<ir::SplitAttrs>(ctx.node));
  TANDEM_RETURN_IF_ERROR(require_input(ctx, 0, "input"));
  const Tensor& x = ctx.inputs[0];
  const Shape& xs = x.shape();
  TANDEM_ASSIGN_OR_RETURN(int64_t axis, normalize_axis(a->axis, static_cast<int64_t>(xs.size())));
  if (a->split.size() != ctx.node.outputs.size()) return internal_error("Split sizes are not resolved");
  const auto [outer, inner] = around_axis(xs, int64_t(axis));
  int64_t total = 0;
  for (int64_t s : a->split) total += s;
  if (total != xs[axis]) return internal_error("Split sizes do not add up to the dim");
  const size_t esize = dtype_size(x.dtype());
  const auto* src = static_cast<const std::byte*>(x.data());
  int64_t offset = 0;  // along the axis
  for (size_t k = 0; k < ctx.node.outputs.size(); ++k) {
    const size_t slab = static_cast<size_t>(a->split[k] * inner) * esize;
    if (has_output(ctx.node, k)) {
      TANDEM_ASSIGN_OR_RETURN(Tensor y, alloc_output(ctx, k, x.dtype()));
      auto* dst = static_cast<std::byte*>(y.data());
      for (int64_t o = 0; o < outer && slab; ++o)
        std::memcpy(dst + o * slab, src + static_cast<size_t>((o * xs[axis] + offset) * inner) * esize, slab);
    }
    offset += a->split[k];
  }
  return Status::ok();
}

}  // namespace

extern const RefOp kRefSplit{"Split", nullptr, run_split};

}  // namespace tandem::reference
