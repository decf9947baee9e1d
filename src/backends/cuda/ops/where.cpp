// Where(condition, X, Y) on float X / Y with broadcasting. This unit stores no bool tensors, so
// the condition must be a constant (a mask folded at specialisation: masked_fill, attention
// masks); it is uploaded once as bytes in row-major order.
#include <algorithm>

#include "backends/cuda/kernels/where.cuh"
#include "backends/cuda/ops/binary_args.h"

namespace tandem::cuda {
namespace {

Status supports_where(const ir::Graph& graph, const ir::Node& node) {
  if (node.inputs.size() != 3) return invalid_argument("Where needs 3 inputs");
  const Tensor* c = graph.constant(node.inputs[0]);
  if (!c)
    return unsupported("cuda Where needs a constant condition ('" + node.inputs[0] +
                       "' is computed; this unit stores no bool tensors)");
  if (c->dtype() != DType::kBool) return invalid_argument("Where condition is not bool");
  TANDEM_RETURN_IF_ERROR(float_tensors_only(graph, node));  // skips the (constant) condition
  for (size_t i = 1; i < 3; ++i)
    if (const Tensor* k = graph.constant(node.inputs[i]); k && k->dtype() != DType::kFloat32)
      return unsupported("constant '" + node.inputs[i] + "' is " + dtype_name(k->dtype()) + "; cuda reads float constants");
  if (graph.is_constant(node.inputs[1]) && graph.is_constant(node.inputs[2]))
    return unsupported("every input is constant (fold it)");
  return Status::ok();
}

Status build_where(BuildContext& ctx, const OpInstance& op) {
  const auto& ins = op.node->inputs;
  const Tensor* c = ctx.constant(ins[0]);
  if (!c) return internal_error("Where condition is not constant");
  TANDEM_ASSIGN_OR_RETURN(const DevTensor* x, ctx.tensor(ins[1]));
  TANDEM_ASSIGN_OR_RETURN(const DevTensor* y, ctx.tensor(ins[2]));
  TANDEM_ASSIGN_OR_RETURN(const DevTensor* out, ctx.tensor(op.output));
  DevTensor cond;  // row-major bytes: nhwc = false
  cond.shape = c->shape();
  TANDEM_ASSIGN_OR_RETURN(cond.data, ctx.upload(c->data(), std::max<size_t>(c->nbytes(), 1)));
  const BroadcastWalk w = broadcast_walk(*out, {&cond, x, y});
  WhereArgs a;
  a.cond = static_cast<const uint8_t*>(cond.data);
  a.x = x->data; a.y = y->data; a.out = out->data;
  a.shape = w.shape;
  a.cond_strides = w.strides[0]; a.x_strides = w.strides[1]; a.y_strides = w.strides[2];
  const Elem el = ctx.elem();
  ctx.add_step([a, el](const RunEnv& env) { return launch_status(launch_where(a, el, env.stream), "where"); });
  return Status::ok();
}

}  // namespace

extern const CudaOp kCudaWhere{"Where", supports_where, build_where};

}  // namespace tandem::cuda
