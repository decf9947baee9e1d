// Relu, Clip, Sigmoid, HardSigmoid, HardSwish, LeakyRelu, Tanh, Gelu, Softplus, Elu, Selu, Mish
// (and a following fused activation, if the backend grouped two) in one elementwise pass.
#include "backends/cuda/cuda_context.h"
#include "backends/cuda/kernels/channel_affine.cuh"

namespace tandem::cuda {
namespace {

Status supports_activation(const ir::Graph& graph, const ir::Node& node) {
  TANDEM_RETURN_IF_ERROR(float_tensors_only(graph, node));
  const auto& a = std::get<ir::ActivationAttrs>(node.attrs);
  if (a.act.is_none()) return unsupported("activation without a kind (Clip bounds not resolved?)");
  return Status::ok();
}

Status build_activation(BuildContext& ctx, const OpInstance& op) {
  const auto& at = std::get<ir::ActivationAttrs>(op.node->attrs);
  TANDEM_ASSIGN_OR_RETURN(const DevTensor* x, ctx.tensor(op.node->inputs[0]));
  TANDEM_ASSIGN_OR_RETURN(const DevTensor* y, ctx.tensor(op.output));
  const Elem el = ctx.elem();
  ChannelAffineArgs e;
  e.x = x->data; e.y = y->data; e.total = y->numel(); e.act = to_dev_epilogue(at.act);
  ctx.add_step(channel_affine_step(e, el, "activation"));
  if (!op.act.is_none()) {
    ChannelAffineArgs f = e;
    f.x = y->data; f.act = to_dev_epilogue(op.act);
    ctx.add_step(channel_affine_step(f, el, "activation"));
  }
  return Status::ok();
}

}  // namespace

extern const CudaOp kCudaRelu{"Relu", supports_activation, build_activation};
extern const CudaOp kCudaClip{"Clip", supports_activation, build_activation};
extern const CudaOp kCudaSigmoid{"Sigmoid", supports_activation, build_activation};
extern const CudaOp kCudaHardSigmoid{"HardSigmoid", supports_activation, build_activation};
extern const CudaOp kCudaHardSwish{"HardSwish", supports_activation, build_activation};
extern const CudaOp kCudaLeakyRelu{"LeakyRelu", supports_activation, build_activation};
extern const CudaOp kCudaTanh{"Tanh", supports_activation, build_activation};
extern const CudaOp kCudaGelu{"Gelu", supports_activation, build_activation};
extern const CudaOp kCudaSoftplus{"Softplus", supports_activation, build_activation};
extern const CudaOp kCudaElu{"Elu", supports_activation, build_activation};
extern const CudaOp kCudaSelu{"Selu", supports_activation, build_activation};
extern const CudaOp kCudaMish{"Mish", supports_activation, build_activation};

}  // namespace tandem::cuda
