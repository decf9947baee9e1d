// GatherND for any data dtype (int64 indices; negative ones count from the end of their dim):
// out[batch, tuple, rest] = data[batch, indices[batch, tuple, :], rest], slices copied as bytes.
#include <cstring>

#include "backends/reference/ref_util.h"
#include "ir/ops/gather_nd.h"

namespace tandem::reference {
namespace {

Status run_gather_nd(RefOpContext& ctx) {
  TANDEM_ASSIGN_OR_RETURN(const ir::GatherNDAttrs* a, attrs_of<ir::GatherNDAttrs>(ctx.node));
  TANDEM_RETURN_IF_ERROR(require_input(ctx, 0, "data"));
  TANDEM_RETURN_IF_ERROR(require_input(ctx, 1, "indices"));
  const Tensor& data = ctx.inputs[0];
  const Tensor& indices = ctx.inputs[1];
  const Shape& ds = data.shape();
  const Shape& is = indices.shape();
  const size_t b = static_cast<size_t>(a->batch_dims);
  if (is.empty() || b >= is.size() || b >= ds.size() || is.back() < 1 || b + static_cast<size_t>(is.back()) > ds.size())
    return internal_error("GatherND shapes " + shape_to_string(ds) + " / " + shape_to_string(is) + " do not fit");
  const size_t m = static_cast<size_t>(is.back());
  TANDEM_ASSIGN_OR_RETURN(Tensor y, alloc_output(ctx, 0, data.dtype()));
  const std::vector<int64_t> strides = strides_of(ds);
  const int64_t batches = shape_numel(Shape(ds.begin(), ds.begin() + b));
  const int64_t tuples = shape_numel(Shape(is.begin() + b, is.end() - 1));
  const int64_t batch_elems = b == 0 ? data.numel() : strides[b - 1];
  const int64_t slice = b + m == ds.size() ? 1 : strides[b + m - 1];
  if (y.numel() != batches * tuples * slice) return internal_error("Y shape " + shape_to_string(y.shape()) + " is wrong");
  const size_t esize = dtype_size(data.dtype());
  const auto* src = static_cast<const std::byte*>(data.data());
  auto* dst = static_cast<std::byte*>(y.data());
  for (int64_t bi = 0; bi < batches; ++bi)
    for (int64_t t = 0; t < tuples; ++t) {
      int64_t offset = bi * batch_elems;
      for (size_t j = 0; j < m; ++j) {
        const int64_t dim = ds[b + j];
        int64_t k = indices.int_at((bi * tuples + t) * static_cast<int64_t>(m) + static_cast<int64_t>(j));
        if (k < -dim || k >= dim)
          return invalid_argument("index " + std::to_string(k) + " is out of range for dim " + std::to_string(b + j) +
                                  " of size " + std::to_string(dim));
        offset += (k < 0 ? k + dim : k) * strides[b + j];
      }
      const size_t bytes = static_cast<size_t>(slice) * esize;
      if (bytes) std::memcpy(dst + (bi * tuples + t) * bytes, src + static_cast<size_t>(offset) * esize, bytes);
    }
  return Status::ok();
}

}  // namespace

extern const RefOp kRefGatherND{"GatherND", nullptr, run_gather_nd};

}  // namespace tandem::reference
