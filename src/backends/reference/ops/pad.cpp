// Pad (any dtype): each output element reads the input at (its index - pads_begin) along every
// dim; outside the input it is the constant (constant mode), the nearest edge element (edge) or
// the element mirrored about the edge, the edge itself not repeated (reflect). Negative pads crop.
#include <cstring>

#include "backends/reference/ref_util.h"
#include "ir/ops/pad.h"

namespace tandem::reference {
namespace {

// The input index along one dim for output index `o`, or -1 for the constant.
int64_t source_index(ir::PadMode mode, int64_t o, int64_t begin, int64_t dim) {
  const int64_t i = o - begin;
  if (i >= 0 && i < dim) return i;
  switch (mode) {
    case ir::PadMode::kConstant: return -1;
    case ir::PadMode::kEdge: return i < 0 ? 0 : dim - 1;
    case ir::PadMode::kReflect: return i < 0 ? -i : 2 * (dim - 1) - i;
  }
  return -1;
}

Status run_pad(RefOpContext& ctx) {
  TANDEM_ASSIGN_OR_RETURN(const ir::PadAttrs* a, attrs_of<ir::PadAttrs>(ctx.node));
  TANDEM_RETURN_IF_ERROR(require_input(ctx, 0, "data"));
  const Tensor& x = ctx.inputs[0];
  const Shape& xs = x.shape();
  const size_t r = xs.size();
  if (a->pads.size() != 2 * r) return internal_error("Pad pads are not resolved to the input rank");
  TANDEM_ASSIGN_OR_RETURN(Tensor y, alloc_output(ctx, 0, x.dtype()));
  const Shape& ys = y.shape();
  for (size_t d = 0; d < r; ++d)
    if (ys[d] != xs[d] + a->pads[d] + a->pads[d + r]) return internal_error("Pad output shape is wrong");
  if (y.numel() == 0) return Status::ok();
  const Tensor fill = scalar_tensor(x.dtype(), a->value);
  const size_t esize = dtype_size(x.dtype());
  const auto xstr = strides_of(xs);
  const auto* src = static_cast<const std::byte*>(x.data());
  auto* dst = static_cast<std::byte*>(y.data());
  std::vector<int64_t> idx(r, 0);
  do {
    int64_t off = 0;
    for (size_t d = 0; d < r && off >= 0; ++d) {
      const int64_t i = source_index(a->mode, idx[d], a->pads[d], xs[d]);
      if (i < 0 || i >= xs[d]) off = -1;
      else off += i * xstr[d];
    }
    std::memcpy(dst, off < 0 ? fill.data() : src + off * esize, esize);
    dst += esize;
  } while (next_index(idx, ys));
  return Status::ok();
}

}  // namespace

extern const RefOp kRefPad{"Pad", nullptr, run_pad};

}  // namespace tandem::reference
