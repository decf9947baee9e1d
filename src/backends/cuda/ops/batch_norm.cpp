// BatchNormalization (inference): folded at compile time into a per-channel scale and shift,
// applied in one pass (plus a fused following activation); reads a view of a Concat's leading
// channels in place (DenseNet: every layer's BN reads the concat of all features before it).
#include <cmath>

#include "backends/cuda/cuda_context.h"
#include "backends/cuda/kernels/channel_affine.cuh"

namespace tandem::cuda {
namespace {

Status supports_bn(const ir::Graph& graph, const ir::Node& node) {
  TANDEM_RETURN_IF_ERROR(float_tensors_only(graph, node));
  TANDEM_RETURN_IF_ERROR(only_first_output(graph, node));
  if (node.inputs.size() < 5) return unsupported("BatchNormalization needs 5 inputs");
  for (size_t i = 1; i < 5; ++i)
    if (!graph.is_constant(node.inputs[i])) return unsupported("BatchNormalization parameters must be constants");
  const auto* x = graph.info(node.inputs[0]);
  if (x->shape.size() < 2) return unsupported("BatchNormalization of rank < 2");
  return Status::ok();
}

Status build_bn(BuildContext& ctx, const OpInstance& op) {
  const auto& at = std::get<ir::BatchNormAttrs>(op.node->attrs);
  TANDEM_ASSIGN_OR_RETURN(const DevTensor* x, ctx.tensor(op.node->inputs[0]));
  TANDEM_ASSIGN_OR_RETURN(const DevTensor* y, ctx.tensor(op.output));
  const int64_t c = x->shape[1];
  const Tensor* gamma = ctx.constant(op.node->inputs[1]);
  const Tensor* beta = ctx.constant(op.node->inputs[2]);
  const Tensor* mean = ctx.constant(op.node->inputs[3]);
  const Tensor* var = ctx.constant(op.node->inputs[4]);
  std::vector<float> s(static_cast<size_t>(c)), t(static_cast<size_t>(c));
  for (int64_t i = 0; i < c; ++i) {
    const double k = gamma->float_at(i) / std::sqrt(var->float_at(i) + double(at.epsilon));
    s[size_t(i)] = float(k);
    t[size_t(i)] = float(beta->float_at(i) - mean->float_at(i) * k);
  }
  ChannelAffineArgs e;
  e.x = x->data; e.y = y->data; e.total = y->numel(); e.channels = c;
  e.inner = x->nhwc ? 1 : x->numel() / (x->shape[0] * c);
  if (x->is_view()) {  // the leading channels of a Concat's output (cuda_schedule.h)
    const int64_t whole = x->storage[1];
    e.x_block = x->nhwc ? c : c * e.inner;
    e.x_block_stride = x->nhwc ? whole : whole * e.inner;
  }
  TANDEM_ASSIGN_OR_RETURN(e.scale, ctx.upload_f32(s));
  TANDEM_ASSIGN_OR_RETURN(e.bias, ctx.upload_f32(t));
  if (!at.epilogue.is_none() && !op.act.is_none()) return internal_error("BatchNormalization with its own epilogue was fused with an activation");
  e.act = to_dev_epilogue(at.epilogue.is_none() ? op.act : at.epilogue);
  const Elem el = ctx.elem();
  ctx.add_step(channel_affine_step(e, el, "batch_norm"));
  return Status::ok();
}

}  // namespace

extern const CudaOp kCudaBatchNorm{"BatchNormalization", supports_bn, build_bn, true, false, true};

}  // namespace tandem::cuda
