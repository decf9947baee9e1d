// Add, Sub, Mul, Div with NumPy broadcasting (SE per-channel scaling included), with an
// activation of a following node fused (residual Add + Relu: one pass).
#include <algorithm>
#include <numeric>

#include "backends/cuda/cuda_context.h"
#include "backends/cuda/kernels/binary.cuh"

namespace tandem::cuda {
namespace {

Status supports_binary(const ir::Graph& graph, const ir::Node& node) {
  TANDEM_RETURN_IF_ERROR(float_tensors_only(graph, node));
  if (graph.is_constant(node.inputs[0]) && graph.is_constant(node.inputs[1]))
    return unsupported("both operands are constant (fold it)");
  return Status::ok();
}

// Strides of `t` seen through the output's dims (rank-aligned; 0 where broadcast).
Strides operand_strides(const DevTensor& t, const Shape& out) {
  Strides own = logical_strides(t), s;
  const size_t r = out.size(), ra = t.shape.size();
  for (size_t d = 0; d < r; ++d) {
    if (d < r - ra) continue;
    const size_t k = d - (r - ra);
    s.s[d] = (t.shape[k] == 1 && out[d] != 1) ? 0 : own.s[k];
  }
  return s;
}

Status build_binary(BuildContext& ctx, const OpInstance& op) {
  const auto& at = std::get<ir::BinaryAttrs>(op.node->attrs);
  TANDEM_ASSIGN_OR_RETURN(const DevTensor* a, ctx.tensor(op.node->inputs[0]));
  TANDEM_ASSIGN_OR_RETURN(const DevTensor* b, ctx.tensor(op.node->inputs[1]));
  TANDEM_ASSIGN_OR_RETURN(const DevTensor* y, ctx.tensor(op.output));
  BinaryArgs g;
  g.a = a->data; g.b = b->data; g.out = y->data;
  g.op = static_cast<int>(at.op);
  g.act = to_dev_epilogue(op.act);
  g.same_shape = a->shape == y->shape && b->shape == y->shape && a->nhwc == y->nhwc && b->nhwc == y->nhwc;
  const size_t r = y->shape.size();
  // Walk the output in its memory order, so stores are contiguous.
  Strides ys = logical_strides(*y), as = operand_strides(*a, y->shape), bs = operand_strides(*b, y->shape);
  std::vector<int> order(r);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int p, int q) { return ys.s[p] > ys.s[q]; });
  g.shape.rank = int(r);
  for (size_t i = 0; i < r; ++i) {
    g.shape.shape[i] = y->shape[size_t(order[i])];
    g.a_strides.s[i] = as.s[order[i]];
    g.b_strides.s[i] = bs.s[order[i]];
  }
  const Elem el = ctx.elem();
  ctx.add_step([g, el](const RunEnv& env) { return launch_status(launch_binary(g, el, env.stream), "binary"); });
  return Status::ok();
}

}  // namespace

extern const CudaOp kCudaAdd{"Add", supports_binary, build_binary, true, false};
extern const CudaOp kCudaSub{"Sub", supports_binary, build_binary, true, false};
extern const CudaOp kCudaMul{"Mul", supports_binary, build_binary, true, false};
extern const CudaOp kCudaDiv{"Div", supports_binary, build_binary, true, false};

}  // namespace tandem::cuda
