// MaxPool and AveragePool (2-D) through cuDNN pooling, in the unit's layout.
#include <memory>

#include "backends/cuda/cuda_context.h"

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
  for (auto d : a.dilations)
    if (d != 1) return unsupported("pooling with dilations");
  if (a.pads.size() != 4 || a.pads[0] != a.pads[2] || a.pads[1] != a.pads[3])
    return unsupported("asymmetric pooling pads (cuDNN needs begin == end)");
  // cuDNN computes floor-mode output sizes; ceil_mode is fine only where it gives the same.
  const auto* x = graph.info(node.inputs[0]);
  const auto* y = graph.info(node.outputs[0]);
  for (int d = 0; d < 2; ++d) {
    const int64_t floor_out = (x->shape[2 + d] + 2 * a.pads[d] - a.kernel_shape[d]) / a.strides[d] + 1;
    if (floor_out != y->shape[2 + d]) return unsupported("ceil_mode pooling whose output differs from floor mode");
  }
  return Status::ok();
}

Status build_pool(BuildContext& ctx, const OpInstance& op) {
  const auto& a = std::get<ir::PoolAttrs>(op.node->attrs);
  TANDEM_ASSIGN_OR_RETURN(const DevTensor* x, ctx.tensor(op.node->inputs[0]));
  TANDEM_ASSIGN_OR_RETURN(const DevTensor* y, ctx.tensor(op.output));
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
