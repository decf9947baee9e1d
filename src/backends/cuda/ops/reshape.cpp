// Reshape, Flatten, Squeeze, Unsqueeze, Identity, Dropout (inference): a device copy, or a
// re-layout when one side is a 4-D NHWC tensor and the other is not.
#include "backends/cuda/cuda_context.h"

namespace tandem::cuda {
namespace {

Status supports_reshape(const ir::Graph& graph, const ir::Node& node) {
  TANDEM_RETURN_IF_ERROR(float_tensors_only(graph, node));
  return only_first_output(graph, node);
}

Status build_reshape(BuildContext& ctx, const OpInstance& op) {
  TANDEM_ASSIGN_OR_RETURN(const DevTensor* x, ctx.tensor(op.node->inputs[0]));
  TANDEM_ASSIGN_OR_RETURN(const DevTensor* y, ctx.tensor(op.output));
  TANDEM_ASSIGN_OR_RETURN(Step s, relayout_step(*x, *y));
  ctx.add_step(std::move(s));
  return Status::ok();
}

}  // namespace

extern const CudaOp kCudaReshape{"Reshape", supports_reshape, build_reshape};
extern const CudaOp kCudaFlatten{"Flatten", supports_reshape, build_reshape};
extern const CudaOp kCudaSqueeze{"Squeeze", supports_reshape, build_reshape};
extern const CudaOp kCudaUnsqueeze{"Unsqueeze", supports_reshape, build_reshape};
extern const CudaOp kCudaIdentity{"Identity", supports_reshape, build_reshape};
extern const CudaOp kCudaDropout{"Dropout", supports_reshape, build_reshape};

}  // namespace tandem::cuda
