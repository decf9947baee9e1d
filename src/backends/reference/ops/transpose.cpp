// Transpose by the resolved perm (any dtype): output dim d is input dim perm[d].
#include <cstring>

#include "backends/reference/ref_util.h"
#include "ir/ops/transpose.h"

namespace tandem::reference {
namespace {

Status run_transpose(RefOpContext& ctx) {
  TANDEM_ASSIGN_OR_RETURN(const ir::TransposeAttrs* a, attrs_of<ir::TransposeAttrs>(ctx.node));
  TANDEM_RETURN_IF_ERROR(require_input(ctx, 0, "data"));
  const Tensor& x = ctx.inputs[0];
  const Shape& xs = x.shape();
  const size_t rank = xs.size();
  std::vector<int64_t> perm = a->perm;
  if (perm.empty())
    for (size_t d = 0; d < rank; ++d) perm.push_back(static_cast<int64_t>(rank - 1 - d));
  if (perm.size() != rank) return invalid_argument("perm has " + std::to_string(perm.size()) + " entries for rank " + std::to_string(rank));
  Shape ys(rank);
  for (size_t d = 0; d < rank; ++d) {
    if (perm[d] < 0 || perm[d] >= static_cast<int64_t>(rank)) return invalid_argument("perm entry out of range");
    ys[d] = xs[perm[d]];
  }
  TANDEM_ASSIGN_OR_RETURN(Tensor y, alloc_output(ctx, 0, x.dtype()));
  if (y.shape() != ys) return internal_error("Y shape " + shape_to_string(y.shape()) + ", expected " + shape_to_string(ys));
  if (y.numel() == 0) return Status::ok();
  const auto xstr = strides_of(xs);
  const size_t esize = dtype_size(x.dtype());
  const auto* src = static_cast<const std::byte*>(x.data());
  auto* dst = static_cast<std::byte*>(y.data());
  std::vector<int64_t> idx(rank, 0);
  do {
    int64_t off = 0;
    for (size_t d = 0; d < rank; ++d) off += idx[d] * xstr[perm[d]];
    std::memcpy(dst, src + off * esize, esize);
    dst += esize;
  } while (next_index(idx, ys));
  return Status::ok();
}

}  // namespace

extern const RefOp kRefTranspose{"Transpose", nullptr, run_transpose};

}  // namespace tandem::reference
