// Conv: N-d (1 to 3 spatial dims), groups (depthwise included), strides, pads, dilations,
// optional bias and the fused epilogue. Direct convolution, one output element at a time.
#include "backends/reference/ref_util.h"
#include "backends/reference/ref_window.h"
#include "ir/ops/conv.h"

namespace tandem::reference {
namespace {

Status supports_conv(const ir::Graph& graph, const ir::Node& node) {
  TANDEM_RETURN_IF_ERROR(require_all_float32(graph, node));
  TANDEM_ASSIGN_OR_RETURN(Shape x, input_shape(graph, node, 0));
  if (x.size() < 3 || x.size() > 2 + kMaxSpatial)
    return unsupported("reference Conv handles 1 to 3 spatial dims; X is " + shape_to_string(x));
  return Status::ok();
}

struct ConvDims {
  int64_t batch, in_channels, out_channels, group, in_per_group, out_per_group;
};

// Sums one output element y[n, oc, od, oh, ow] over its group's input channels and the window.
float conv_point(const float* x, const float* w, const ConvDims& c, const Window3& win, int64_t n, int64_t oc,
                 int64_t od, int64_t oh, int64_t ow) {
  const int64_t g = oc / c.out_per_group;
  const int64_t k_size = win.kernel[0] * win.kernel[1] * win.kernel[2];
  float acc = 0.0f;
  for (int64_t ic = 0; ic < c.in_per_group; ++ic) {
    const float* x_plane = x + (n * c.in_channels + g * c.in_per_group + ic) * win.in_size();
    const float* w_plane = w + (oc * c.in_per_group + ic) * k_size;
    for (int64_t kd = 0; kd < win.kernel[0]; ++kd) {
      const int64_t id = od * win.stride[0] - win.pad_begin[0] + kd * win.dilation[0];
      if (id < 0 || id >= win.in[0]) continue;
      for (int64_t kh = 0; kh < win.kernel[1]; ++kh) {
        const int64_t ih = oh * win.stride[1] - win.pad_begin[1] + kh * win.dilation[1];
        if (ih < 0 || ih >= win.in[1]) continue;
        for (int64_t kw = 0; kw < win.kernel[2]; ++kw) {
          const int64_t iw = ow * win.stride[2] - win.pad_begin[2] + kw * win.dilation[2];
          if (iw < 0 || iw >= win.in[2]) continue;
          acc += x_plane[(id * win.in[1] + ih) * win.in[2] + iw] *
                 w_plane[(kd * win.kernel[1] + kh) * win.kernel[2] + kw];
        }
      }
    }
  }
  return acc;
}

Status run_conv(RefOpContext& ctx) {
  TANDEM_ASSIGN_OR_RETURN(const ir::ConvAttrs* a, attrs_of<ir::ConvAttrs>(ctx.node));
  TANDEM_RETURN_IF_ERROR(require_input(ctx, 0, "X"));
  TANDEM_RETURN_IF_ERROR(require_input(ctx, 1, "W"));
  const Tensor& x = ctx.inputs[0];
  const Tensor& w = ctx.inputs[1];
  const Tensor* bias = ctx.inputs.size() > 2 && !ctx.inputs[2].empty() ? &ctx.inputs[2] : nullptr;
  TANDEM_ASSIGN_OR_RETURN(Tensor y, alloc_output(ctx, 0, DType::kFloat32));
  const Shape& xs = x.shape();
  const Shape& ws = w.shape();
  if (xs.size() != ws.size() || xs.size() != y.shape().size() || xs.size() < 3)
    return invalid_argument("X " + shape_to_string(xs) + " and W " + shape_to_string(ws) + " ranks disagree");
  ConvDims c{xs[0], xs[1], ws[0], a->group, ws[1], 0};
  if (c.group < 1 || c.out_channels % c.group != 0 || c.in_channels != c.in_per_group * c.group)
    return invalid_argument("X " + shape_to_string(xs) + " and W " + shape_to_string(ws) + " disagree with group " +
                            std::to_string(c.group));
  c.out_per_group = c.out_channels / c.group;
  if (bias && bias->numel() != c.out_channels) return invalid_argument("bias size differs from the output channels");
  const Shape in_sp(xs.begin() + 2, xs.end()), out_sp(y.shape().begin() + 2, y.shape().end());
  const Shape k_sp(ws.begin() + 2, ws.end());
  TANDEM_ASSIGN_OR_RETURN(Window3 win, make_window3(in_sp, out_sp, k_sp, a->strides, a->pads, a->dilations));
  const float* px = x.data_as<float>();
  const float* pw = w.data_as<float>();
  float* py = y.data_as<float>();
  for (int64_t n = 0; n < c.batch; ++n)
    for (int64_t oc = 0; oc < c.out_channels; ++oc) {
      const float b = bias ? bias->data_as<float>()[oc] : 0.0f;
      for (int64_t od = 0; od < win.out[0]; ++od)
        for (int64_t oh = 0; oh < win.out[1]; ++oh)
          for (int64_t ow = 0; ow < win.out[2]; ++ow)
            *py++ = ir::apply_epilogue(a->epilogue, conv_point(px, pw, c, win, n, oc, od, oh, ow) + b);
    }
  return Status::ok();
}

}  // namespace

extern const RefOp kRefConv{"Conv", supports_conv, run_conv};

}  // namespace tandem::reference
