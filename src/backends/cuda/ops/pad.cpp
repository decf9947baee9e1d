// Pad: one kernel over the output (kernels/pad.cu), either layout; dims walked in the output's
// memory order so that writes are contiguous.
#include <algorithm>
#include <numeric>

#include "backends/cuda/cuda_context.h"
#include "backends/cuda/kernels/pad.cuh"

namespace tandem::cuda {
namespace {

Status supports_pad(const ir::Graph& graph, const ir::Node& node) {
  TANDEM_RETURN_IF_ERROR(float_tensors_only(graph, node));
  const auto* a = std::get_if<ir::PadAttrs>(&node.attrs);
  const ir::ValueInfo* x = graph.info(node.inputs[0]);
  if (!a || !x || x->shape.empty() || a->pads.size() != 2 * x->shape.size()) return unsupported("Pad pads are not resolved");
  return Status::ok();
}

int mode_code(ir::PadMode m) { return m == ir::PadMode::kConstant ? 0 : m == ir::PadMode::kEdge ? 1 : 2; }

Status build_pad(BuildContext& ctx, const OpInstance& op) {
  const auto& a = std::get<ir::PadAttrs>(op.node->attrs);
  TANDEM_ASSIGN_OR_RETURN(const DevTensor* x, ctx.tensor(op.node->inputs[0]));
  TANDEM_ASSIGN_OR_RETURN(const DevTensor* y, ctx.tensor(op.output));
  const size_t r = y->shape.size();
  const Strides xs = logical_strides(*x), ys = logical_strides(*y);
  std::vector<int> order(r);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int p, int q) { return ys.s[p] > ys.s[q]; });
  PadArgs args;
  args.x = x->data;
  args.y = y->data;
  args.out.rank = int(r);
  for (size_t i = 0; i < r; ++i) {
    const int d = order[i];
    args.out.shape[i] = y->shape[d];
    args.out_strides.s[i] = ys.s[d];
    args.in_strides.s[i] = xs.s[d];
    args.in_dims[i] = x->shape[d];
    args.begin[i] = a.pads[d];
  }
  args.mode = mode_code(a.mode);
  args.value = a.value;
  ctx.add_step([args, elem = y->elem](const RunEnv& env) { return launch_status(launch_pad(args, elem, env.stream), "pad"); });
  return Status::ok();
}

}  // namespace

extern const CudaOp kCudaPad{"Pad", supports_pad, build_pad};

}  // namespace tandem::cuda
