// MaxPool and AveragePool (2-D): NHWC through our direct kernel; NCHW through cuDNN pooling, but
// for dilations, asymmetric pads and ceil-mode sizes (our kernel again).
#include <memory>

#include "backends/cuda/cuda_context.h"
#include "backends/cuda/kernels/pool2d.cuh"

namespace tandem::cuda {
namespace {

struct PoolDescs {
  cudnnTensorDescriptor_t x = nullptr, y = nullptr;
  cudnnPoolingDescriptor_t pool = nullptr;
  ~PoolDescs() {
    if (x) cudnnDestroyTensorDescriptor(x);
    if (y) cudnnDestroyTensorDescriptor(y);
    if (pool) cudnnDestroyPoolingDescriptor(pool);
  }
};

Status supports_pool(const ir::Graph& graph, const ir::Node& node) {
  TANDEM_RETURN_IF_ERROR(float_tensors_only(graph, node));
  TANDEM_RETURN_IF_ERROR(only_first_output(graph, node));
  const auto& a = std::get<ir::PoolAttrs>(node.attrs);
  if (a.kernel_shape.size() != 2) return unsupported("only 2-D pooling");
  if (a.pads.size() != 4 || a.strides.size() != 2) return internal_error("pooling attributes not normalised");
  return Status::ok();
}

// cuDNN pooling takes symmetric pads, no dilations, and floor-mode output sizes.
bool cudnn_can(const ir::PoolAttrs& a, const DevTensor& x, const DevTensor& y) {
  for (auto d : a.dilations)
    if (d != 1) return false;
  if (a.pads[0] != a.pads[2] || a.pads[1] != a.pads[3]) return false;
  for (int d = 0; d < 2; ++d) {
    const int64_t floor_out = (x.shape[2 + d] + 2 * a.pads[d] - a.kernel_shape[d]) / a.strides[d] + 1;
    if (floor_out != y.shape[2 + d]) return false;
  }
  return true;
}

Status build_direct(BuildContext& ctx, const ir::PoolAttrs& a, const DevTensor& x, const DevTensor& y) {
  Pool2dArgs p;
  p.x = x.data; p.y = y.data;
  p.n = int(x.shape[0]); p.c = int(x.shape[1]); p.h = int(x.shape[2]); p.w = int(x.shape[3]);
  p.oh = int(y.shape[2]); p.ow = int(y.shape[3]);
  p.kh = int(a.kernel_shape[0]); p.kw = int(a.kernel_shape[1]);
  p.stride_h = int(a.strides[0]); p.stride_w = int(a.strides[1]);
  p.pad_t = int(a.pads[0]); p.pad_l = int(a.pads[1]); p.pad_b = int(a.pads[2]); p.pad_r = int(a.pads[3]);
  if (a.dilations.size() == 2) { p.dil_h = int(a.dilations[0]); p.dil_w = int(a.dilations[1]); }
  p.is_max = a.kind == ir::PoolKind::kMax;
  p.count_include_pad = a.count_include_pad;
  p.xs = logical_strides(x); p.ys = logical_strides(y);
  p.channels_last = y.nhwc;
  const Elem el = ctx.elem();
  ctx.add_step([p, el](const RunEnv& env) { return launch_status(launch_pool2d(p, el, env.stream), "pool2d"); });
  return Status::ok();
}

Status build_pool(BuildContext& ctx, const OpInstance& op) {
  const auto& a = std::get<ir::PoolAttrs>(op.node->attrs);
  TANDEM_ASSIGN_OR_RETURN(const DevTensor* x, ctx.tensor(op.node->inputs[0]));
  TANDEM_ASSIGN_OR_RETURN(const DevTensor* y, ctx.tensor(op.output));
  if (!op.act.is_none()) return internal_error("pooling was fused with an activation");
  // NHWC: our kernel (pool2d.cuh); TANDEM_CUDA_TRY=cudnn-pool compares cuDNN's.
  if (!cudnn_can(a, *x, *y) || (x->nhwc && !ctx.feature("cudnn-pool"))) return build_direct(ctx, a, *x, *y);
  auto d = std::make_shared<PoolDescs>();
  const cudnnDataType_t dt = ctx.elem() == Elem::kF16 ? CUDNN_DATA_HALF : CUDNN_DATA_FLOAT;
  const cudnnTensorFormat_t fmt = x->nhwc ? CUDNN_TENSOR_NHWC : CUDNN_TENSOR_NCHW;
  CUDNN_TRY(cudnnCreateTensorDescriptor(&d->x));
  CUDNN_TRY(cudnnCreateTensorDescriptor(&d->y));
  CUDNN_TRY(cudnnCreatePoolingDescriptor(&d->pool));
  CUDNN_TRY(cudnnSetTensor4dDescriptor(d->x, fmt, dt, int(x->shape[0]), int(x->shape[1]), int(x->shape[2]), int(x->shape[3])));
  CUDNN_TRY(cudnnSetTensor4dDescriptor(d->y, fmt, dt, int(y->shape[0]), int(y->shape[1]), int(y->shape[2]), int(y->shape[3])));
  cudnnPoolingMode_t mode = a.kind == ir::PoolKind::kMax ? CUDNN_POOLING_MAX
                            : a.count_include_pad   ? CUDNN_POOLING_AVERAGE_COUNT_INCLUDE_PADDING
                                                    : CUDNN_POOLING_AVERAGE_COUNT_EXCLUDE_PADDING;
  CUDNN_TRY(cudnnSetPooling2dDescriptor(d->pool, mode, CUDNN_NOT_PROPAGATE_NAN, int(a.kernel_shape[0]),
                                        int(a.kernel_shape[1]), int(a.pads[0]), int(a.pads[1]), int(a.strides[0]),
                                        int(a.strides[1])));
  const void* xd = x->data;
  void* yd = y->data;
  ctx.add_step([d, xd, yd](const RunEnv& env) {
    const float one = 1.0f, zero = 0.0f;
    CUDNN_TRY(cudnnPoolingForward(env.cudnn, d->pool, &one, d->x, xd, &zero, d->y, yd));
    return Status::ok();
  });
  if (!op.act.is_none()) return internal_error("pooling was fused with an activation");
  return Status::ok();
}

}  // namespace

extern const CudaOp kCudaMaxPool{"MaxPool", supports_pool, build_pool};
extern const CudaOp kCudaAveragePool{"AveragePool", supports_pool, build_pool};

}  // namespace tandem::cuda
