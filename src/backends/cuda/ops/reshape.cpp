// Reshape, Flatten, Squeeze, Unsqueeze, Identity, Dropout (inference): a device copy, or a
// re-layout when one side is a 4-D NHWC tensor and the other is not. Between two NHWC 4-D
// tensors of different shapes (fp16: MobileViT's and EfficientViT's [B,C,H,W] -> [B',C',H',W']
// unfolds) the elements go through their logical row-major order in the workspace: two copies.
#include "backends/cuda/cuda_context.h"

namespace tandem::cuda {
namespace {

Status supports_reshape(const ir::Graph& graph, const ir::Node& node) {
  TANDEM_RETURN_IF_ERROR(float_tensors_only(graph, node));
  return only_first_output(graph, node);
}

// Stored NHWC with more than one element per pixel and more than one pixel: not row-major.
bool nhwc_order(const DevTensor& t) { return t.nhwc && t.shape[1] != 1 && t.shape[2] * t.shape[3] != 1; }

Status build_reshape(BuildContext& ctx, const OpInstance& op) {
  TANDEM_ASSIGN_OR_RETURN(const DevTensor* x, ctx.tensor(op.node->inputs[0]));
  TANDEM_ASSIGN_OR_RETURN(const DevTensor* y, ctx.tensor(op.output));
  if (nhwc_order(*x) && nhwc_order(*y) && x->shape != y->shape) {
    const DevTensor src = *x, dst = *y;
    ctx.need_workspace(x->nbytes());
    ctx.add_step([src, dst](const RunEnv& env) {
      TANDEM_RETURN_IF_ERROR(copy_step(src.data, src.elem, logical_strides(src), env.workspace, src.elem,
                                       row_major_strides(src.shape), src.shape)(env));
      return copy_step(env.workspace, dst.elem, row_major_strides(dst.shape), dst.data, dst.elem, logical_strides(dst),
                       dst.shape)(env);
    });
    return Status::ok();
  }
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
