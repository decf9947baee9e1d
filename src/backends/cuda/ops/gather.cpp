// Gather of float data with constant indices (a scalar or a 1-D list; negative ones count from
// the end): the normalised indices are uploaded once and one kernel (kernels/gather.cu) reads
// data at them, either layout (ViT's class token x[:, 0], channel picks of NHWC tensors).
#include <algorithm>
#include <numeric>

#include "backends/cuda/cuda_context.h"
#include "backends/cuda/kernels/gather.cuh"

namespace tandem::cuda {
namespace {

Status supports_gather(const ir::Graph& graph, const ir::Node& node) {
  TANDEM_RETURN_IF_ERROR(float_tensors_only(graph, node));
  const auto* a = std::get_if<ir::GatherAttrs>(&node.attrs);
  const Tensor* idx = node.inputs.size() > 1 ? graph.constant(node.inputs[1]) : nullptr;
  const ir::ValueInfo* x = graph.info(node.inputs[0]);
  if (!a || !x || a->axis < 0 || a->axis >= static_cast<int64_t>(x->shape.size())) return unsupported("Gather axis is not resolved");
  if (!idx) return unsupported("Gather with run-time indices (cuda takes constant indices)");
  if (idx->dtype() != DType::kInt64 && idx->dtype() != DType::kInt32) return unsupported("Gather indices must be int32/int64");
  if (idx->shape().size() > 1) return unsupported("Gather with indices of rank > 1");
  const int64_t dim = x->shape[a->axis];
  for (int64_t i = 0; i < idx->numel(); ++i)
    if (idx->int_at(i) < -dim || idx->int_at(i) >= dim) return unsupported("Gather index out of range");
  return Status::ok();
}

Status build_gather(BuildContext& ctx, const OpInstance& op) {
  const int64_t axis = std::get<ir::GatherAttrs>(op.node->attrs).axis;
  const Tensor& t = *ctx.constant(op.node->inputs[1]);
  TANDEM_ASSIGN_OR_RETURN(const DevTensor* x, ctx.tensor(op.node->inputs[0]));
  TANDEM_ASSIGN_OR_RETURN(const DevTensor* y, ctx.tensor(op.output));
  if (y->numel() == 0) return Status::ok();
  const size_t r = x->shape.size();
  std::vector<int64_t> table(static_cast<size_t>(t.numel()));
  for (int64_t i = 0; i < t.numel(); ++i) table[i] = t.int_at(i) < 0 ? t.int_at(i) + x->shape[axis] : t.int_at(i);
  // y's strides per data dim: a scalar index drops the axis (one slot; its stride is never used).
  const Strides ys = logical_strides(*y), xs = logical_strides(*x);
  Shape slots = x->shape;
  slots[axis] = static_cast<int64_t>(table.size());
  Strides out;
  const bool scalar = t.shape().empty();
  for (size_t d = 0, k = 0; d < r; ++d) out.s[d] = scalar && d == size_t(axis) ? 0 : ys.s[k++];
  std::vector<int> order(r);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int p, int q) { return out.s[p] > out.s[q]; });
  GatherArgs args;
  args.x = x->data;
  args.y = y->data;
  args.slots.rank = int(r);
  for (size_t i = 0; i < r; ++i) {
    args.slots.shape[i] = slots[order[i]];
    args.in_strides.s[i] = xs.s[order[i]];
    args.out_strides.s[i] = out.s[order[i]];
    if (order[i] == axis) args.axis = int(i);
  }
  TANDEM_ASSIGN_OR_RETURN(void* dev_table, ctx.upload(table.data(), table.size() * sizeof(int64_t)));
  args.table = static_cast<const int64_t*>(dev_table);
  ctx.add_step([args, elem = y->elem](const RunEnv& env) { return launch_status(launch_gather(args, elem, env.stream), "gather"); });
  return Status::ok();
}

}  // namespace

extern const CudaOp kCudaGather{"Gather", supports_gather, build_gather};

}  // namespace tandem::cuda
