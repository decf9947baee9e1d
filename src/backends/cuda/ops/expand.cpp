// Expand: one strided copy reading the input with stride 0 on every expanded (and added
// leading) dim, either layout.
#include "backends/cuda/cuda_context.h"

namespace tandem::cuda {
namespace {

Status supports_expand(const ir::Graph& graph, const ir::Node& node) {
  TANDEM_RETURN_IF_ERROR(float_tensors_only(graph, node));
  const ir::ValueInfo* x = graph.info(node.inputs[0]);
  const ir::ValueInfo* y = graph.info(node.outputs[0]);
  if (!x || !y || y->shape.size() < x->shape.size()) return unsupported("Expand to a lower rank");
  return Status::ok();
}

Status build_expand(BuildContext& ctx, const OpInstance& op) {
  TANDEM_ASSIGN_OR_RETURN(const DevTensor* x, ctx.tensor(op.node->inputs[0]));
  TANDEM_ASSIGN_OR_RETURN(const DevTensor* y, ctx.tensor(op.output));
  if (y->numel() == 0) return Status::ok();
  const Strides xs = logical_strides(*x);
  const size_t lead = y->shape.size() - x->shape.size();
  Strides in;  // zero-initialised: added leading dims read the same elements
  for (size_t d = 0; d < x->shape.size(); ++d) {
    if (x->shape[d] != 1 && x->shape[d] != y->shape[lead + d]) return internal_error("Expand output does not broadcast the input");
    in.s[lead + d] = x->shape[d] == 1 ? 0 : xs.s[d];
  }
  ctx.add_step(copy_step(x->data, x->elem, in, y->data, y->elem, logical_strides(*y), y->shape));
  return Status::ok();
}

}  // namespace

extern const CudaOp kCudaExpand{"Expand", supports_expand, build_expand};

}  // namespace tandem::cuda
