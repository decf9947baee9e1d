// GlobalAveragePool / GlobalMaxPool of a 4-D tensor (our kernel, either layout).
#include "backends/cuda/cuda_context.h"
#include "backends/cuda/kernels/global_pool.cuh"

namespace tandem::cuda {
namespace {

Status supports_global_pool(const ir::Graph& graph, const ir::Node& node) {
  TANDEM_RETURN_IF_ERROR(float_tensors_only(graph, node));
  if (graph.info(node.inputs[0])->shape.size() != 4) return unsupported("global pooling of a non-4-D tensor");
  return Status::ok();
}

Status build_global_pool(BuildContext& ctx, const OpInstance& op) {
  const auto& a = std::get<ir::GlobalPoolAttrs>(op.node->attrs);
  TANDEM_ASSIGN_OR_RETURN(const DevTensor* x, ctx.tensor(op.node->inputs[0]));
  TANDEM_ASSIGN_OR_RETURN(const DevTensor* y, ctx.tensor(op.output));
  const int64_t n = x->shape[0], c = x->shape[1], hw = x->shape[2] * x->shape[3];
  const bool nhwc = x->nhwc, is_max = a.kind == ir::PoolKind::kMax;
  const void* xd = x->data;
  void* yd = y->data;
  const Elem el = ctx.elem();
  ctx.add_step([=](const RunEnv& env) {
    return launch_status(launch_global_pool(xd, yd, n, c, hw, nhwc, is_max, el, env.stream), "global_pool");
  });
  return Status::ok();
}

}  // namespace

extern const CudaOp kCudaGlobalAveragePool{"GlobalAveragePool", supports_global_pool, build_global_pool};
extern const CudaOp kCudaGlobalMaxPool{"GlobalMaxPool", supports_global_pool, build_global_pool};

}  // namespace tandem::cuda
