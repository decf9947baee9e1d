// ConvTranspose (2-D) through cuDNN's backward-data convolution. ONNX's W [C_in, C_out/group,
// kh, kw] is the filter of the forward conv that maps Y (C_out channels) to X (C_in channels)
// with pads = the begin pads, and ConvTranspose is exactly that conv's adjoint: each x adds
// x * w at y[i * stride - pad_begin + k * dilation]. cuDNN takes one pad per spatial dim (the
// begin pad; the end pad follows from Y's size) and needs the forward conv of Y's size to give
// X's size back, which holds when e = output_padding + pad_begin - pad_end is in [0, stride).
// Other pads (negative begin pads, an output_shape far larger than the kernel covers, some
// SAME_* paddings) are refused. Bias and the activation run after it in one channel_affine pass.
#include <algorithm>
#include <memory>

#include "backends/cuda/cuda_context.h"
#include "backends/cuda/kernels/channel_affine.cuh"
#include "backends/cuda/ops/cudnn_conv_desc.h"
#include "ir/ops/conv_transpose.h"

namespace tandem::cuda {
namespace {

struct CudnnDeconv : ConvDescriptors {
  cudnnConvolutionBwdDataAlgo_t algo = CUDNN_CONVOLUTION_BWD_DATA_ALGO_1;
  size_t workspace = 0;
};

Status supports_conv_transpose(const ir::Graph& graph, const ir::Node& node) {
  TANDEM_RETURN_IF_ERROR(float_tensors_only(graph, node));
  const auto& a = std::get<ir::ConvTransposeAttrs>(node.attrs);
  if (a.kernel_shape.size() != 2)
    return unsupported("only 2-D ConvTranspose (got " + std::to_string(a.kernel_shape.size()) + "-D)");
  if (node.inputs.size() < 2 || !graph.is_constant(node.inputs[1])) return unsupported("ConvTranspose weight must be a constant");
  if (node.inputs.size() > 2 && !node.inputs[2].empty() && !graph.is_constant(node.inputs[2]))
    return unsupported("ConvTranspose bias must be a constant");
  if (a.pads.size() != 4 || a.strides.size() != 2 || a.dilations.size() != 2 || a.output_padding.size() != 2)
    return internal_error("ConvTranspose attributes not normalised");
  for (size_t i = 0; i < 2; ++i) {
    const int64_t begin = a.pads[i], end = a.pads[i + 2], extra = a.output_padding[i] + begin - end;
    if (begin < 0 || extra < 0 || extra >= a.strides[i])
      return unsupported("ConvTranspose pads [" + std::to_string(begin) + ", " + std::to_string(end) + "] with output_padding " +
                         std::to_string(a.output_padding[i]) + " and stride " + std::to_string(a.strides[i]) + " on spatial dim " +
                         std::to_string(i) + ": cuDNN needs begin pad >= 0 and 0 <= output_padding + begin - end < stride");
  }
  return Status::ok();
}

// W [C_in, C_out/g, kh, kw] as host floats: unchanged for NCHW, [C_in, kh, kw, C_out/g] for the
// NHWC filter format (cuDNN's KRSC).
std::vector<float> filter_values(const Tensor& w, bool nhwc) {
  const auto& s = w.shape();
  const int64_t ko = s[0], c = s[1], kh = s[2], kw = s[3];
  std::vector<float> v(static_cast<size_t>(w.numel()));
  for (int64_t a = 0; a < ko; ++a)
    for (int64_t b = 0; b < c; ++b)
      for (int64_t y = 0; y < kh; ++y)
        for (int64_t x = 0; x < kw; ++x) {
          const int64_t src = ((a * c + b) * kh + y) * kw + x;
          const int64_t dst = nhwc ? ((a * kh + y) * kw + x) * c + b : src;
          v[static_cast<size_t>(dst)] = static_cast<float>(w.float_at(src));
        }
  return v;
}

Result<std::shared_ptr<CudnnDeconv>> make_descriptors(BuildContext& ctx, const ir::ConvTransposeAttrs& a, const DevTensor& x,
                                                      const DevTensor& y, const Shape& wshape) {
  auto c = std::make_shared<CudnnDeconv>();
  TANDEM_RETURN_IF_ERROR(set_conv_descriptors(*c, ctx.precision(), x.nhwc, x.shape, y.shape, wshape, a.pads,
                                              a.strides, a.dilations, a.group));
  // The forward conv of Y's size must give X's size (supports() checked the pads for this).
  int fn = 0, fc = 0, fh = 0, fw = 0;
  CUDNN_TRY(cudnnGetConvolution2dForwardOutputDim(c->conv, c->y, c->w, &fn, &fc, &fh, &fw));
  if (fn != x.shape[0] || fc != x.shape[1] || fh != x.shape[2] || fw != x.shape[3])
    return internal_error("ConvTranspose: the adjoint conv of Y " + shape_to_string(y.shape) + " gives " +
                          shape_to_string({fn, fc, fh, fw}) + ", not X " + shape_to_string(x.shape));
  return c;
}

// Measures the candidate algorithms on the real buffers and keeps the fastest that fits.
Status choose_algorithm(BuildContext& ctx, CudnnDeconv& c, const DevTensor& x, const void* w, const DevTensor& y) {
  TANDEM_ASSIGN_OR_RETURN(SearchWorkspace search, algorithm_search_workspace());
  const size_t limit = search.bytes;
  constexpr int kAlgos = CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT;
  cudnnConvolutionBwdDataAlgoPerf_t perf[kAlgos];
  int found = 0;
  CUDNN_TRY(cudnnFindConvolutionBackwardDataAlgorithmEx(ctx.env().cudnn, c.w, w, c.x, x.data, c.conv, c.y, y.data, kAlgos,
                                                        &found, perf, search.memory.get(), limit));
  for (int i = 0; i < found; ++i) {
    if (perf[i].status != CUDNN_STATUS_SUCCESS || perf[i].memory > limit) continue;
    c.algo = perf[i].algo;
    c.workspace = perf[i].memory;
    return Status::ok();
  }
  return internal_error("cudnnFindConvolutionBackwardDataAlgorithmEx found no algorithm that runs");
}

Result<std::vector<float>> bias_values(BuildContext& ctx, const ir::Node& node, int64_t channels) {
  if (node.inputs.size() < 3 || node.inputs[2].empty()) return std::vector<float>{};
  const Tensor* b = ctx.constant(node.inputs[2]);
  if (b->numel() != channels)
    return invalid_argument("ConvTranspose bias has " + std::to_string(b->numel()) + " values, expected " + std::to_string(channels));
  std::vector<float> v(static_cast<size_t>(channels));
  for (int64_t i = 0; i < channels; ++i) v[static_cast<size_t>(i)] = static_cast<float>(b->float_at(i));
  return v;
}

Status build_conv_transpose(BuildContext& ctx, const OpInstance& op) {
  const auto& a = std::get<ir::ConvTransposeAttrs>(op.node->attrs);
  TANDEM_ASSIGN_OR_RETURN(const DevTensor* x, ctx.tensor(op.node->inputs[0]));
  TANDEM_ASSIGN_OR_RETURN(const DevTensor* y, ctx.tensor(op.output));
  if (!a.epilogue.is_none() && !op.act.is_none())
    return internal_error("ConvTranspose with its own epilogue was fused with an activation");
  if (x->shape.size() != 4 || y->shape.size() != 4 || x->nhwc != y->nhwc)
    return internal_error("ConvTranspose X " + shape_to_string(x->shape) + " / Y " + shape_to_string(y->shape) + " layouts differ");
  const Tensor* w = ctx.constant(op.node->inputs[1]);
  TANDEM_ASSIGN_OR_RETURN(void* wd, ctx.upload_elem(filter_values(*w, x->nhwc)));
  TANDEM_ASSIGN_OR_RETURN(auto c, make_descriptors(ctx, a, *x, *y, w->shape()));
  TANDEM_RETURN_IF_ERROR(choose_algorithm(ctx, *c, *x, wd, *y));
  ctx.set_label(ctx.label() + (a.group > 1 ? " cudnn-bwd-data-grouped" : " cudnn-bwd-data"));
  ctx.need_workspace(c->workspace);
  const void* xd = x->data;
  void* yd = y->data;
  ctx.add_step([c, xd, wd, yd](const RunEnv& env) {
    const float one = 1.0f, zero = 0.0f;
    CUDNN_TRY(cudnnConvolutionBackwardData(env.cudnn, &one, c->w, wd, c->x, xd, c->conv, c->algo, env.workspace,
                                           c->workspace, &zero, c->y, yd));
    return Status::ok();
  });
  TANDEM_ASSIGN_OR_RETURN(auto bias, bias_values(ctx, *op.node, y->shape[1]));
  const ir::Epilogue act = a.epilogue.is_none() ? op.act : a.epilogue;
  if (bias.empty() && act.is_none()) return Status::ok();
  ChannelAffineArgs e;
  e.x = yd; e.y = yd;
  if (!bias.empty()) {
    TANDEM_ASSIGN_OR_RETURN(e.bias, ctx.upload_f32(bias));
  }
  e.total = y->numel(); e.channels = y->shape[1]; e.inner = y->nhwc ? 1 : y->shape[2] * y->shape[3];
  e.act = to_dev_epilogue(act);
  const Elem el = ctx.elem();
  ctx.add_step(channel_affine_step(e, el, "channel_affine"));
  return Status::ok();
}

}  // namespace

extern const CudaOp kCudaConvTranspose{"ConvTranspose", supports_conv_transpose, build_conv_transpose, true, false};

}  // namespace tandem::cuda
