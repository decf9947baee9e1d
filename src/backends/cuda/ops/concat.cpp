// Concat: each input copied into its slice of the output (strided, either layout), but for the
// inputs already there (concat_views.h). An input may be a view (a Split's piece, split_views.h):
// the copy reads it through its strides.
#include "backends/cuda/cuda_context.h"

namespace tandem::cuda {
namespace {

Status supports_concat(const ir::Graph& graph, const ir::Node& node) { return float_tensors_only(graph, node); }

Status build_concat(BuildContext& ctx, const OpInstance& op) {
  const auto& a = std::get<ir::ConcatAttrs>(op.node->attrs);
  TANDEM_ASSIGN_OR_RETURN(const DevTensor* y, ctx.tensor(op.output));
  const int64_t axis = a.axis < 0 ? a.axis + int64_t(y->shape.size()) : a.axis;
  const Strides ys = logical_strides(*y);
  const size_t esize = y->elem == Elem::kF16 ? 2 : 4;
  int64_t offset = 0;
  for (size_t k = 0; k < op.node->inputs.size(); ++k) {
    const std::string& name = op.node->inputs[k];
    if (name.empty()) continue;
    TANDEM_ASSIGN_OR_RETURN(const DevTensor* x, ctx.tensor(name));
    void* dst = static_cast<char*>(y->data) + size_t(offset * ys.s[axis]) * esize;
    if (!op.input_in_place(k)) ctx.add_step(copy_step(x->data, x->elem, logical_strides(*x), dst, y->elem, ys, x->shape));
    offset += x->shape[size_t(axis)];
  }
  return Status::ok();
}

}  // namespace

extern const CudaOp kCudaConcat{"Concat", supports_concat, build_concat, false, false, false, false, true};

}  // namespace tandem::cuda
