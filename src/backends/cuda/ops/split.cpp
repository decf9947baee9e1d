// Split: one strided copy per output from its part of the input (either layout: a channel split
// of an fp16 NHWC tensor reads every C-th run of elements), but for the outputs that are views of
// their part of the input (split_views.h): nothing to do for them.
#include "backends/cuda/cuda_context.h"

namespace tandem::cuda {
namespace {

Status supports_split(const ir::Graph& graph, const ir::Node& node) {
  TANDEM_RETURN_IF_ERROR(float_tensors_only(graph, node));
  const auto* a = std::get_if<ir::SplitAttrs>(&node.attrs);
  if (!a || a->split.size() != node.outputs.size() || a->axis < 0) return unsupported("Split sizes are not resolved");
  for (const auto& out : node.outputs) {
    const ir::ValueInfo* vi = out.empty() ? nullptr : graph.info(out);
    if (vi && vi->dtype != DType::kFloat32) return unsupported("Split output '" + out + "' is not float32");
  }
  return Status::ok();
}

Status build_split(BuildContext& ctx, const OpInstance& op) {
  const auto& a = std::get<ir::SplitAttrs>(op.node->attrs);
  TANDEM_ASSIGN_OR_RETURN(const DevTensor* x, ctx.tensor(op.node->inputs[0]));
  const Strides xs = logical_strides(*x);
  const size_t esize = x->elem == Elem::kF16 ? 2 : 4;
  int64_t offset = 0;  // along the axis
  for (size_t k = 0; k < op.node->outputs.size(); ++k) {
    const std::string& name = op.node->outputs[k];
    // Outputs nothing reads have no buffer (the arena places only read ones).
    if (!name.empty() && a.split[k] > 0 && ctx.tensors().count(name) && !op.input_in_place(k)) {
      TANDEM_ASSIGN_OR_RETURN(const DevTensor* y, ctx.tensor(name));
      const void* src = static_cast<const char*>(x->data) + size_t(offset * xs.s[a.axis]) * esize;
      ctx.add_step(copy_step(src, x->elem, xs, y->data, y->elem, logical_strides(*y), y->shape));
    }
    offset += a.split[k];
  }
  return Status::ok();
}

}  // namespace

extern const CudaOp kCudaSplit{"Split", supports_split, build_split};

}  // namespace tandem::cuda
