// Transpose: one strided copy (any rank up to 6, either layout).
#include "backends/cuda/cuda_context.h"

namespace tandem::cuda {
namespace {

Status supports_transpose(const ir::Graph& graph, const ir::Node& node) { return float_tensors_only(graph, node); }

Status build_transpose(BuildContext& ctx, const OpInstance& op) {
  const auto& a = std::get<ir::TransposeAttrs>(op.node->attrs);
  TANDEM_ASSIGN_OR_RETURN(const DevTensor* x, ctx.tensor(op.node->inputs[0]));
  TANDEM_ASSIGN_OR_RETURN(const DevTensor* y, ctx.tensor(op.output));
  const size_t r = x->shape.size();
  if (a.perm.size() != r) return internal_error("Transpose perm not resolved");
  Strides xs = logical_strides(*x), in;
  for (size_t i = 0; i < r; ++i) in.s[i] = xs.s[a.perm[i]];
  ctx.add_step(copy_step(x->data, x->elem, in, y->data, y->elem, logical_strides(*y), y->shape));
  return Status::ok();
}

}  // namespace

extern const CudaOp kCudaTranspose{"Transpose", supports_transpose, build_transpose};

}  // namespace tandem::cuda
