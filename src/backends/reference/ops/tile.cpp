// Tile (any dtype): out[idx] = in[idx % in.shape] along every dim.
#include <cstring>

#include "backends/reference/ref_util.h"

namespace tandem::reference {
namespace {

Status run_tile(RefOpContext& ctx) {
  TANDEM_RETURN_IF_ERROR(require_input(ctx, 0, "input"));
  const Tensor& x = ctx.inputs[0];
  const Shape& xs = x.shape();
  TANDEM_ASSIGN_OR_RETURN(Tensor y, alloc_output(ctx, 0, x.dtype()));
  const Shape& ys = y.shape();
  if (ys.size() != xs.size()) return internal_error("Tile output rank differs from the input's");
  for (size_t d = 0; d < xs.size(); ++d)
    if (xs[d] == 0 ? ys[d] != 0 : ys[d] % xs[d] != 0) return internal_error("Tile output is not a multiple of the input");
  if (y.numel() == 0) return Status::ok();
  const auto xstr = strides_of(xs);
  const size_t esize = dtype_size(x.dtype());
  const auto* src = static_cast<const std::byte*>(x.data());
  auto* dst = static_cast<std::byte*>(y.data());
  std::vector<int64_t> idx(ys.size(), 0);
  do {
    int64_t off = 0;
    for (size_t d = 0; d < ys.size(); ++d) off += (idx[d] % xs[d]) * xstr[d];
    std::memcpy(dst, src + off * esize, esize);
    dst += esize;
  } while (next_index(idx, ys));
  return Status::ok();
}

}  // namespace

extern const RefOp kRefTile{"Tile", nullptr, run_tile};

}  // namespace tandem::reference
