// ConvTranspose: 1 to 3 spatial dims, groups, strides, pads, dilations, output_padding (already
// resolved into the output shape by shape inference), optional bias and the fused epilogue.
// Written as the scatter that defines it: each input element adds x * w into the outputs its
// kernel window covers.
#include "backends/reference/ref_util.h"
#include "backends/reference/ref_window.h"
#include "ir/ops/conv_transpose.h"

namespace tandem::reference {
namespace {

Status supports_conv_transpose(const ir::Graph& graph, const ir::Node& node) {
  TANDEM_RETURN_IF_ERROR(require_all_float32(graph, node));
  TANDEM_ASSIGN_OR_RETURN(Shape x, input_shape(graph, node, 0));
  if (x.size() < 3 || x.size() > 2 + kMaxSpatial)
    return unsupported("reference ConvTranspose handles 1 to 3 spatial dims; X is " + shape_to_string(x));
  return Status::ok();
}

struct Dims {
  int64_t batch, in_channels, group, in_per_group, out_per_group;
};

// Adds the contribution of input plane (n, ic) to the output planes of its group.
void scatter_plane(const float* x_plane, const float* w, float* y, const Dims& c, const Window3& win, int64_t n,
                   int64_t ic) {
  const int64_t g = ic / c.in_per_group;
  const int64_t k_size = win.kernel[0] * win.kernel[1] * win.kernel[2];
  for (int64_t oc = 0; oc < c.out_per_group; ++oc) {
    const float* w_plane = w + (ic * c.out_per_group + oc) * k_size;
    float* y_plane = y + (n * c.group * c.out_per_group + g * c.out_per_group + oc) * win.out_size();
    for (int64_t id = 0; id < win.in[0]; ++id)
      for (int64_t ih = 0; ih < win.in[1]; ++ih)
        for (int64_t iw = 0; iw < win.in[2]; ++iw) {
          const float v = x_plane[(id * win.in[1] + ih) * win.in[2] + iw];
          for (int64_t kd = 0; kd < win.kernel[0]; ++kd) {
            const int64_t od = id * win.stride[0] - win.pad_begin[0] + kd * win.dilation[0];
            if (od < 0 || od >= win.out[0]) continue;
            for (int64_t kh = 0; kh < win.kernel[1]; ++kh) {
              const int64_t oh = ih * win.stride[1] - win.pad_begin[1] + kh * win.dilation[1];
              if (oh < 0 || oh >= win.out[1]) continue;
              for (int64_t kw = 0; kw < win.kernel[2]; ++kw) {
                const int64_t ow = iw * win.stride[2] - win.pad_begin[2] + kw * win.dilation[2];
                if (ow < 0 || ow >= win.out[2]) continue;
                y_plane[(od * win.out[1] + oh) * win.out[2] + ow] +=
                    v * w_plane[(kd * win.kernel[1] + kh) * win.kernel[2] + kw];
              }
            }
          }
        }
  }
}

Status run_conv_transpose(RefOpContext& ctx) {
  TANDEM_ASSIGN_OR_RETURN(const ir::ConvTransposeAttrs* a, attrs_of<ir::ConvTransposeAttrs>(ctx.node));
  TANDEM_RETURN_IF_ERROR(require_input(ctx, 0, "X"));
  TANDEM_RETURN_IF_ERROR(require_input(ctx, 1, "W"));
  const Tensor& x = ctx.inputs[0];
  const Tensor& w = ctx.inputs[1];
  const Tensor* bias = ctx.inputs.size() > 2 && !ctx.inputs[2].empty() ? &ctx.inputs[2] : nullptr;
  TANDEM_ASSIGN_OR_RETURN(Tensor y, alloc_output(ctx, 0, DType::kFloat32));
  const Shape& xs = x.shape();
  const Shape& ws = w.shape();
  const Shape& ys = y.shape();
  if (xs.size() != ws.size() || xs.size() != ys.size() || xs.size() < 3)
    return invalid_argument("X " + shape_to_string(xs) + " and W " + shape_to_string(ws) + " ranks disagree");
  Dims c{xs[0], xs[1], a->group, 0, ws[1]};
  if (c.group < 1 || c.in_channels % c.group != 0 || ws[0] != c.in_channels || ys[1] != c.out_per_group * c.group)
    return invalid_argument("X " + shape_to_string(xs) + ", W " + shape_to_string(ws) + " and Y " +
                            shape_to_string(ys) + " disagree with group " + std::to_string(c.group));
  c.in_per_group = c.in_channels / c.group;
  const int64_t out_channels = ys[1];
  if (bias && bias->numel() != out_channels) return invalid_argument("bias size differs from the output channels");
  const Shape in_sp(xs.begin() + 2, xs.end()), out_sp(ys.begin() + 2, ys.end()), k_sp(ws.begin() + 2, ws.end());
  TANDEM_ASSIGN_OR_RETURN(Window3 win, make_window3(in_sp, out_sp, k_sp, a->strides, a->pads, a->dilations));
  float* py = y.data_as<float>();
  for (int64_t i = 0; i < y.numel(); ++i) py[i] = 0.0f;
  for (int64_t n = 0; n < c.batch; ++n)
    for (int64_t ic = 0; ic < c.in_channels; ++ic)
      scatter_plane(x.data_as<float>() + (n * c.in_channels + ic) * win.in_size(), w.data_as<float>(), py, c, win, n,
                    ic);
  for (int64_t n = 0; n < c.batch; ++n)
    for (int64_t oc = 0; oc < out_channels; ++oc) {
      const float b = bias ? bias->data_as<float>()[oc] : 0.0f;
      float* plane = py + (n * out_channels + oc) * win.out_size();
      for (int64_t i = 0; i < win.out_size(); ++i) plane[i] = ir::apply_epilogue(a->epilogue, plane[i] + b);
    }
  return Status::ok();
}

}  // namespace

extern const RefOp kRefConvTranspose{"ConvTranspose", supports_conv_transpose, run_conv_transpose};

}  // namespace tandem::reference
