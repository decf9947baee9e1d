// Slice: one strided copy from the input seen at the starts with strides times the steps
// (negative steps walk backwards), either layout.
#include "backends/cuda/cuda_context.h"

namespace tandem::cuda {
namespace {

Status supports_slice(const ir::Graph& graph, const ir::Node& node) {
  TANDEM_RETURN_IF_ERROR(float_tensors_only(graph, node));
  const auto* a = std::get_if<ir::SliceAttrs>(&node.attrs);
  const ir::ValueInfo* x = graph.info(node.inputs[0]);
  if (!a || !x || a->axes.size() != a->starts.size() || a->steps.size() != a->starts.size())
    return unsupported("Slice axes/steps are not resolved");
  for (int64_t ax : a->axes)
    if (ax < 0 || ax >= static_cast<int64_t>(x->shape.size())) return unsupported("Slice axis is not resolved");
  return Status::ok();
}

Status build_slice(BuildContext& ctx, const OpInstance& op) {
  const auto& a = std::get<ir::SliceAttrs>(op.node->attrs);
  TANDEM_ASSIGN_OR_RETURN(const DevTensor* x, ctx.tensor(op.node->inputs[0]));
  TANDEM_ASSIGN_OR_RETURN(const DevTensor* y, ctx.tensor(op.output));
  if (y->numel() == 0) return Status::ok();
  Strides in = logical_strides(*x);
  int64_t offset = 0;
  for (size_t i = 0; i < a.axes.size(); ++i) {
    offset += a.starts[i] * in.s[a.axes[i]];
    in.s[a.axes[i]] *= a.steps[i];
  }
  const void* src = static_cast<const char*>(x->data) + offset * int64_t(x->elem == Elem::kF16 ? 2 : 4);
  ctx.add_step(copy_step(src, x->elem, in, y->data, y->elem, logical_strides(*y), y->shape));
  return Status::ok();
}

}  // namespace

extern const CudaOp kCudaSlice{"Slice", supports_slice, build_slice};

}  // namespace tandem::cuda
