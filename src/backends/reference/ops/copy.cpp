// Ops whose output is the input's bytes under another shape: Reshape, Flatten, Squeeze,
// Unsqueeze, Identity and Dropout (inference: a copy; its optional mask output is all true).
// Any dtype: bytes are copied, never interpreted.
#include <cstring>

#include "backends/reference/ref_util.h"

namespace tandem::reference {
namespace {

Status copy_into_output(RefOpContext& ctx) {
  TANDEM_RETURN_IF_ERROR(require_input(ctx, 0, "data"));
  const Tensor& x = ctx.inputs[0];
  TANDEM_ASSIGN_OR_RETURN(Tensor y, alloc_output(ctx, 0, x.dtype()));
  if (y.numel() != x.numel())
    return invalid_argument("cannot view " + shape_to_string(x.shape()) + " (" + std::to_string(x.numel()) +
                            " elements) as " + shape_to_string(y.shape()));
  if (x.nbytes()) std::memcpy(y.data(), x.data(), x.nbytes());
  return Status::ok();
}

Status run_copy(RefOpContext& ctx) { return copy_into_output(ctx); }

// Dropout's training_mode input, when present, must be a constant false.
Status supports_dropout(const ir::Graph& graph, const ir::Node& node) {
  if (!has_input(node, 2)) return Status::ok();
  const Tensor* mode = graph.constant(node.inputs[2]);
  if (!mode) return unsupported("Dropout with a non-constant training_mode input");
  if (mode->numel() != 1 || mode->int_at(0) != 0) return unsupported("Dropout in training mode");
  return Status::ok();
}

Status run_dropout(RefOpContext& ctx) {
  TANDEM_RETURN_IF_ERROR(copy_into_output(ctx));
  if (has_output(ctx.node, 1)) {
    TANDEM_ASSIGN_OR_RETURN(Tensor mask, alloc_output(ctx, 1, DType::kBool));
    if (mask.nbytes()) std::memset(mask.data(), 1, mask.nbytes());
  }
  return Status::ok();
}

}  // namespace

extern const RefOp kRefReshape{"Reshape", nullptr, run_copy};
extern const RefOp kRefFlatten{"Flatten", nullptr, run_copy};
extern const RefOp kRefSqueeze{"Squeeze", nullptr, run_copy};
extern const RefOp kRefUnsqueeze{"Unsqueeze", nullptr, run_copy};
extern const RefOp kRefIdentity{"Identity", nullptr, run_copy};
extern const RefOp kRefDropout{"Dropout", supports_dropout, run_dropout};

}  // namespace tandem::reference
