// Expand (any dtype): out[idx] = in[idx] with NumPy broadcasting (stride 0 on expanded dims).
#include <cstring>

#include "backends/reference/ref_util.h"

namespace tandem::reference {
namespace {

Status run_expand(RefOpContext& ctx) {
  TANDEM_RETURN_IF_ERROR(require_input(ctx, 0, "input"));
  const Tensor& x = ctx.inputs[0];
  TANDEM_ASSIGN_OR_RETURN(Tensor y, alloc_output(ctx, 0, x.dtype()));
  const Shape& ys = y.shape();
  if (ys.size() < x.shape().size()) return internal_error("Expand output has a lower rank than its input");
  for (size_t d = 0; d < x.shape().size(); ++d) {
    const int64_t in = x.shape()[d], out = ys[ys.size() - x.shape().size() + d];
    if (in != 1 && in != out) return internal_error("Expand output " + shape_to_string(ys) + " does not broadcast the input");
  }
  if (y.numel() == 0) return Status::ok();
  const auto str = broadcast_strides(x.shape(), ys);
  const size_t esize = dtype_size(x.dtype());
  const auto* src = static_cast<const std::byte*>(x.data());
  auto* dst = static_cast<std::byte*>(y.data());
  std::vector<int64_t> idx(ys.size(), 0);
  do {
    int64_t off = 0;
    for (size_t d = 0; d < ys.size(); ++d) off += idx[d] * str[d];
    std::memcpy(dst, src + off * esize, esize);
    dst += esize;
  } while (next_index(idx, ys));
  return Status::ok();
}

}  // namespace

extern const RefOp kRefExpand{"Expand", nullptr, run_expand};

}  // namespace tandem::reference
