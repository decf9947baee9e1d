// MaxPool and AveragePool over 1 to 3 spatial dims: kernel, strides, pads, dilations,
// ceil_mode (already in the output shape) and count_include_pad. The optional MaxPool Indices
// output is not produced, so such nodes are refused.
// Average divisor (onnxruntime's): with count_include_pad, the window clipped to the padded
// input; without it, the number of real input elements the window covers.
#include <algorithm>
#include <limits>

#include "backends/reference/ref_util.h"
#include "backends/reference/ref_window.h"
#include "ir/ops/pool.h"

namespace tandem::reference {
namespace {

Status supports_pool(const ir::Graph& graph, const ir::Node& node) {
  if (has_output(node, 1)) return unsupported("MaxPool's Indices output");
  TANDEM_RETURN_IF_ERROR(require_all_float32(graph, node));
  TANDEM_ASSIGN_OR_RETURN(Shape x, input_shape(graph, node, 0));
  if (x.size() < 3 || x.size() > 2 + kMaxSpatial)
    return unsupported("reference pooling handles 1 to 3 spatial dims; X is " + shape_to_string(x));
  return Status::ok();
}

// Number of window taps along one dim that land in [lo, hi).
int64_t taps_in(int64_t start, int64_t kernel, int64_t dilation, int64_t lo, int64_t hi) {
  int64_t n = 0;
  for (int64_t k = 0; k < kernel; ++k) {
    const int64_t i = start + k * dilation;
    if (i >= lo && i < hi) ++n;
  }
  return n;
}

float pool_point(const float* plane, const ir::PoolAttrs& a, const Window3& w, int64_t od, int64_t oh, int64_t ow) {
  const int64_t o[3] = {od, oh, ow};
  int64_t start[3];
  for (int d = 0; d < 3; ++d) start[d] = o[d] * w.stride[d] - w.pad_begin[d];
  float mx = -std::numeric_limits<float>::infinity();
  double sum = 0.0;
  int64_t count = 0;
  for (int64_t kd = 0; kd < w.kernel[0]; ++kd) {
    const int64_t id = start[0] + kd * w.dilation[0];
    if (id < 0 || id >= w.in[0]) continue;
    for (int64_t kh = 0; kh < w.kernel[1]; ++kh) {
      const int64_t ih = start[1] + kh * w.dilation[1];
      if (ih < 0 || ih >= w.in[1]) continue;
      for (int64_t kw = 0; kw < w.kernel[2]; ++kw) {
        const int64_t iw = start[2] + kw * w.dilation[2];
        if (iw < 0 || iw >= w.in[2]) continue;
        const float v = plane[(id * w.in[1] + ih) * w.in[2] + iw];
        mx = std::max(mx, v);
        sum += v;
        ++count;
      }
    }
  }
  if (a.kind == ir::PoolKind::kMax) return mx;
  if (a.count_include_pad) {
    count = 1;
    for (int d = 0; d < 3; ++d)
      count *= taps_in(start[d], w.kernel[d], w.dilation[d], -w.pad_begin[d], w.in[d] + w.pad_end[d]);
  }
  return count > 0 ? static_cast<float>(sum / static_cast<double>(count)) : 0.0f;
}

Status run_pool(RefOpContext& ctx) {
  TANDEM_ASSIGN_OR_RETURN(const ir::PoolAttrs* a, attrs_of<ir::PoolAttrs>(ctx.node));
  TANDEM_RETURN_IF_ERROR(require_input(ctx, 0, "X"));
  const Tensor& x = ctx.inputs[0];
  TANDEM_ASSIGN_OR_RETURN(Tensor y, alloc_output(ctx, 0, DType::kFloat32));
  const Shape& xs = x.shape();
  const Shape& ys = y.shape();
  if (xs.size() != ys.size() || xs.size() < 3 || xs[0] != ys[0] || xs[1] != ys[1])
    return invalid_argument("X " + shape_to_string(xs) + " and Y " + shape_to_string(ys) + " disagree");
  const Shape in_sp(xs.begin() + 2, xs.end()), out_sp(ys.begin() + 2, ys.end());
  TANDEM_ASSIGN_OR_RETURN(Window3 w, make_window3(in_sp, out_sp, a->kernel_shape, a->strides, a->pads, a->dilations));
  const float* px = x.data_as<float>();
  float* py = y.data_as<float>();
  for (int64_t plane = 0; plane < xs[0] * xs[1]; ++plane)
    for (int64_t od = 0; od < w.out[0]; ++od)
      for (int64_t oh = 0; oh < w.out[1]; ++oh)
        for (int64_t ow = 0; ow < w.out[2]; ++ow) *py++ = pool_point(px + plane * w.in_size(), *a, w, od, oh, ow);
  return Status::ok();
}

}  // namespace

extern const RefOp kRefMaxPool{"MaxPool", supports_pool, run_pool};
extern const RefOp kRefAveragePool{"AveragePool", supports_pool, run_pool};

}  // namespace tandem::reference
