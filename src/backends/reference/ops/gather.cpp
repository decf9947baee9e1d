// Gather along any axis (any data dtype; int64 or int32 indices, negative ones count from the
// end): out[pre, idx..., post] = data[pre, indices[idx...], post].
#include <cstring>

#include "backends/reference/ref_util.h"
#include "ir/ops/gather.h"

namespace tandem::reference {
namespace {

Status supports_gather(const ir::Graph& graph, const ir::Node& node) {
  TANDEM_ASSIGN_OR_RETURN(DType t, input_dtype(graph, node, 1));
  if (t != DType::kInt64 && t != DType::kInt32)
    return unsupported(std::string("Gather indices of type ") + dtype_name(t));
  return Status::ok();
}

Status run_gather(RefOpContext& ctx) {
  TANDEM_ASSIGN_OR_RETURN(const ir::GatherAttrs* a, attrs_of<ir::GatherAttrs>(ctx.node));
  TANDEM_RETURN_IF_ERROR(require_input(ctx, 0, "data"));
  TANDEM_RETURN_IF_ERROR(require_input(ctx, 1, "indices"));
  const Tensor& data = ctx.inputs[0];
  const Tensor& indices = ctx.inputs[1];
  const Shape& ds = data.shape();
  TANDEM_ASSIGN_OR_RETURN(int64_t axis, normalize_axis(a->axis, static_cast<int64_t>(ds.size())));
  TANDEM_ASSIGN_OR_RETURN(Tensor y, alloc_output(ctx, 0, data.dtype()));
  const auto [outer, inner] = around_axis(ds, int64_t(axis));
  const int64_t dim = ds[axis];
  if (y.numel() != outer * indices.numel() * inner) return internal_error("Y shape " + shape_to_string(y.shape()) + " is wrong");
  const size_t slab = static_cast<size_t>(inner) * dtype_size(data.dtype());
  const auto* src = static_cast<const std::byte*>(data.data());
  auto* dst = static_cast<std::byte*>(y.data());
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < indices.numel(); ++i) {
      int64_t k = indices.int_at(i);
      if (k < -dim || k >= dim)
        return invalid_argument("index " + std::to_string(k) + " is out of range for axis " + std::to_string(axis) +
                                " of size " + std::to_string(dim));
      if (k < 0) k += dim;
      if (slab) std::memcpy(dst, src + (o * dim + k) * slab, slab);
      dst += slab;
    }
  return Status::ok();
}

}  // namespace

extern const RefOp kRefGather{"Gather", supports_gather, run_gather};

}  // namespace tandem::reference
