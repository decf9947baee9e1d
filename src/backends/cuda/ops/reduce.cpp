// The Reduce* family on our kernel (kernels/reduce.cu), reading x in its stored layout (NHWC
// for 4-D fp16 tensors) and writing y in its own (a 4-D keep-dims output is NHWC too): each dim
// is described by its element strides, size-1 dims dropped, neighbours that are contiguous in
// both tensors merged. fp32 accumulation for every element type.
#include <algorithm>

#include "backends/cuda/cuda_context.h"
#include "backends/cuda/kernels/reduce.cuh"

namespace tandem::cuda {
namespace {

struct Dim {
  int64_t size, xs, ys;  // ys: 0 for a reduced dim
};

// Sorted by falling stride (y's for kept dims, x's for reduced ones); neighbours that step
// through memory as one dim (in x and in y) merged.
std::vector<Dim> merged(std::vector<Dim> dims, bool by_y) {
  std::stable_sort(dims.begin(), dims.end(), [&](const Dim& a, const Dim& b) { return by_y ? a.ys > b.ys : a.xs > b.xs; });
  std::vector<Dim> out;
  for (const Dim& d : dims) {
    if (!out.empty() && out.back().xs == d.size * d.xs && out.back().ys == d.size * d.ys) {
      out.back().size *= d.size;
      out.back().xs = d.xs;
      out.back().ys = d.ys;
      continue;
    }
    out.push_back(d);
  }
  return out;
}

void fill(const std::vector<Dim>& dims, StridedShape& shape, Strides& xs, Strides* ys) {
  shape.rank = static_cast<int>(dims.size());
  for (size_t i = 0; i < dims.size(); ++i) {
    shape.shape[i] = dims[i].size;
    xs.s[i] = dims[i].xs;
    if (ys) ys->s[i] = dims[i].ys;
  }
}

ReduceArgs reduce_args(const DevTensor& x, const DevTensor& y, const ir::ReduceAttrs& a) {
  const Strides xs = logical_strides(x), ys = logical_strides(y);
  std::vector<Dim> kept, red;
  size_t ydim = 0;
  for (size_t d = 0; d < x.shape.size(); ++d) {
    const bool reduced = std::binary_search(a.axes.begin(), a.axes.end(), static_cast<int64_t>(d));
    const size_t yd = a.keepdims ? d : ydim;
    if (!reduced || a.keepdims) ++ydim;
    if (x.shape[d] == 1) continue;
    if (reduced) red.push_back({x.shape[d], xs.s[d], 0});
    else kept.push_back({x.shape[d], xs.s[d], ys.s[yd]});
  }
  ReduceArgs r;
  r.x = x.data;
  r.y = y.data;
  fill(merged(kept, true), r.kept, r.kept_x, &r.kept_y);
  fill(merged(red, false), r.red, r.red_x, nullptr);
  for (const Dim& d : kept) r.outputs *= d.size;
  for (const Dim& d : red) r.count *= d.size;
  r.kind = static_cast<DevReduce>(static_cast<int>(a.kind));  // the same order as ir::ReduceKind
  return r;
}

Status supports_reduce(const ir::Graph& graph, const ir::Node& node) {
  TANDEM_RETURN_IF_ERROR(float_tensors_only(graph, node));
  const auto* a = std::get_if<ir::ReduceAttrs>(&node.attrs);
  if (!a) return internal_error(node.op_type + " without ReduceAttrs");
  const Shape& x = graph.info(node.inputs[0])->shape;
  for (int64_t ax : a->axes)
    if (ax < 0 || ax >= static_cast<int64_t>(x.size())) return internal_error(node.op_type + " axes are not resolved");
  if (shape_numel(x) == 0) return unsupported(node.op_type + " of an empty tensor");
  return Status::ok();
}

Status build_reduce(BuildContext& ctx, const OpInstance& op) {
  const auto& a = std::get<ir::ReduceAttrs>(op.node->attrs);
  TANDEM_ASSIGN_OR_RETURN(const DevTensor* x, ctx.tensor(op.node->inputs[0]));
  TANDEM_ASSIGN_OR_RETURN(const DevTensor* y, ctx.tensor(op.output));
  const ReduceArgs args = reduce_args(*x, *y, a);
  const Elem el = ctx.elem();
  ctx.add_step([args, el](const RunEnv& env) { return launch_status(launch_reduce(args, el, env.stream), "reduce"); });
  return Status::ok();
}

}  // namespace

extern const CudaOp kCudaReduceSum{"ReduceSum", supports_reduce, build_reduce};
extern const CudaOp kCudaReduceMean{"ReduceMean", supports_reduce, build_reduce};
extern const CudaOp kCudaReduceMax{"ReduceMax", supports_reduce, build_reduce};
extern const CudaOp kCudaReduceMin{"ReduceMin", supports_reduce, build_reduce};
extern const CudaOp kCudaReduceProd{"ReduceProd", supports_reduce, build_reduce};
extern const CudaOp kCudaReduceL1{"ReduceL1", supports_reduce, build_reduce};
extern const CudaOp kCudaReduceL2{"ReduceL2", supports_reduce, build_reduce};
extern const CudaOp kCudaReduceSumSquare{"ReduceSumSquare", supports_reduce, build_reduce};
extern const CudaOp kCudaReduceLogSum{"ReduceLogSum", supports_reduce, build_reduce};
extern const CudaOp kCudaReduceLogSumExp{"ReduceLogSumExp", supports_reduce, build_reduce};

}  // namespace tandem::cuda
