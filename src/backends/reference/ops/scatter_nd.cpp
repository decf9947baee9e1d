// ScatterND on any dtype: y = data; then for each index tuple i, the slice y[indices[i]] =
// updates[i] (or += / *= with reduction add / mul), in index order (ONNX leaves duplicate
// indices undefined for "none"; the last one wins here). Negative indices count from the end.
#include <cstring>

#include "backends/reference/ref_util.h"
#include "ir/ops/scatter_nd.h"

namespace tandem::reference {
namespace {

template <typename T>
void combine(ir::ScatterReduction r, std::byte* dst, const std::byte* src, int64_t n) {
  T* d = reinterpret_cast<T*>(dst);
  const T* s = reinterpret_cast<const T*>(src);
  for (int64_t i = 0; i < n; ++i) d[i] = r == ir::ScatterReduction::kAdd ? T(d[i] + s[i]) : T(d[i] * s[i]);
}

Status apply_slice(ir::ScatterReduction r, DType dt, std::byte* dst, const std::byte* src, int64_t n) {
  if (r == ir::ScatterReduction::kNone) {
    std::memcpy(dst, src, static_cast<size_t>(n) * dtype_size(dt));
    return Status::ok();
  }
  switch (dt) {
    case DType::kFloat32: combine<float>(r, dst, src, n); return Status::ok();
    case DType::kInt64: combine<int64_t>(r, dst, src, n); return Status::ok();
    case DType::kInt32: combine<int32_t>(r, dst, src, n); return Status::ok();
    default: return unsupported(std::string("ScatterND add/mul on ") + dtype_name(dt));
  }
}

Status run_scatter_nd(RefOpContext& ctx) {
  TANDEM_ASSIGN_OR_RETURN(const ir::ScatterNDAttrs* a, attrs_of<ir::ScatterNDAttrs>(ctx.node));
  for (size_t i = 0; i < 3; ++i) TANDEM_RETURN_IF_ERROR(require_input(ctx, i, "data, indices and updates"));
  const Tensor& data = ctx.inputs[0];
  const Tensor& idx = ctx.inputs[1];
  const Tensor& upd = ctx.inputs[2];
  const Shape& ds = data.shape();
  if (idx.shape().empty()) return invalid_argument("indices must have rank >= 1");
  const int64_t k = idx.shape().back();
  if (k < 1 || k > static_cast<int64_t>(ds.size())) return invalid_argument("indices' last dim is out of range");
  TANDEM_ASSIGN_OR_RETURN(Tensor y, alloc_output(ctx, 0, data.dtype()));
  std::memcpy(y.data(), data.data(), data.nbytes());
  const auto strides = strides_of(ds);
  const int64_t slice = k == static_cast<int64_t>(ds.size()) ? 1 : strides[static_cast<size_t>(k - 1)];
  const int64_t tuples = idx.numel() / k;
  if (upd.numel() != tuples * slice) return invalid_argument("updates do not match indices and data");
  const size_t esize = dtype_size(data.dtype());
  auto* dst = static_cast<std::byte*>(y.data());
  const auto* src = static_cast<const std::byte*>(upd.data());
  for (int64_t t = 0; t < tuples; ++t) {
    int64_t off = 0;
    for (int64_t j = 0; j < k; ++j) {
      int64_t v = idx.int_at(t * k + j);
      const int64_t dim = ds[static_cast<size_t>(j)];
      if (v < -dim || v >= dim)
        return invalid_argument("index " + std::to_string(v) + " is out of range for dim " + std::to_string(j) +
                                " of size " + std::to_string(dim));
      if (v < 0) v += dim;
      off += v * strides[static_cast<size_t>(j)];
    }
    TANDEM_RETURN_IF_ERROR(apply_slice(a->reduction, data.dtype(), dst + off * esize, src + t * slice * esize, slice));
  }
  return Status::ok();
}

}  // namespace

extern const RefOp kRefScatterND{"ScatterND", nullptr, run_scatter_nd};

}  // namespace tandem::reference
