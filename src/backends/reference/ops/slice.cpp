// Slice (any dtype) with the resolved starts/ends/axes/steps: negative starts/ends count from
// the end, are clamped into range (NumPy rules), steps may be negative.
#include <algorithm>
#include <cstring>

#include "backends/reference/ref_util.h"
#include "ir/ops/slice.h"

namespace tandem::reference {
namespace {

// Effective first index and step along each dim (dims not sliced: 0 and 1).
Status slice_starts(const ir::SliceAttrs& a, const Shape& xs, std::vector<int64_t>& start, std::vector<int64_t>& step) {
  const int64_t rank = static_cast<int64_t>(xs.size());
  start.assign(xs.size(), 0);
  step.assign(xs.size(), 1);
  if (a.starts.size() != a.ends.size()) return invalid_argument("starts and ends differ in length");
  for (size_t i = 0; i < a.starts.size(); ++i) {
    int64_t ax = i < a.axes.size() ? a.axes[i] : static_cast<int64_t>(i);
    TANDEM_ASSIGN_OR_RETURN(ax, normalize_axis(ax, rank));
    const int64_t s = i < a.steps.size() ? a.steps[i] : 1;
    if (s == 0) return invalid_argument("Slice step 0");
    const int64_t dim = xs[ax];
    int64_t b = a.starts[i];
    if (b < 0) b += dim;
    b = s > 0 ? std::clamp<int64_t>(b, 0, dim) : std::clamp<int64_t>(b, 0, dim - 1);
    start[ax] = b;
    step[ax] = s;
  }
  return Status::ok();
}

Status run_slice(RefOpContext& ctx) {
  TANDEM_ASSIGN_OR_RETURN(const ir::SliceAttrs* a, attrs_of<ir::SliceAttrs>(ctx.node));
  TANDEM_RETURN_IF_ERROR(require_input(ctx, 0, "data"));
  const Tensor& x = ctx.inputs[0];
  const Shape& xs = x.shape();
  std::vector<int64_t> start, step;
  TANDEM_RETURN_IF_ERROR(slice_starts(*a, xs, start, step));
  TANDEM_ASSIGN_OR_RETURN(Tensor y, alloc_output(ctx, 0, x.dtype()));
  const Shape& ys = y.shape();
  if (ys.size() != xs.size()) return internal_error("Y rank differs from X rank");
  if (y.numel() == 0) return Status::ok();
  for (size_t d = 0; d < xs.size(); ++d) {
    const int64_t last = start[d] + (ys[d] - 1) * step[d];
    if (last < 0 || last >= xs[d]) return internal_error("Y shape " + shape_to_string(ys) + " overruns X along dim " + std::to_string(d));
  }
  const auto xstr = strides_of(xs);
  const size_t esize = dtype_size(x.dtype());
  const auto* src = static_cast<const std::byte*>(x.data());
  auto* dst = static_cast<std::byte*>(y.data());
  std::vector<int64_t> idx(ys.size(), 0);
  do {
    int64_t off = 0;
    for (size_t d = 0; d < ys.size(); ++d) off += (start[d] + idx[d] * step[d]) * xstr[d];
    std::memcpy(dst, src + off * esize, esize);
    dst += esize;
  } while (next_index(idx, ys));
  return Status::ok();
}

}  // namespace

extern const RefOp kRefSlice{"Slice", nullptr, run_slice};

}  // namespace tandem::reference
