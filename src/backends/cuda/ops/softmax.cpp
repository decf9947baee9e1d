// Softmax over trailing dims that are contiguous in memory (the last axis; or, before opset 13,
// everything from `axis` on) one block per row; any other axis with a strided kernel.
#include "backends/cuda/cuda_context.h"
#include "backends/cuda/kernels/softmax.cuh"

namespace tandem::cuda {
namespace {

int64_t norm_axis(int64_t axis, size_t rank) { return axis < 0 ? axis + int64_t(rank) : axis; }

Status supports_softmax(const ir::Graph& graph, const ir::Node& node) {
  TANDEM_RETURN_IF_ERROR(float_tensors_only(graph, node));
  const auto& a = std::get<ir::SoftmaxAttrs>(node.attrs);
  const auto& s = graph.info(node.inputs[0])->shape;
  const int64_t axis = norm_axis(a.axis, s.size());
  if (a.coerce_2d && s.size() == 4 && s[2] * s[3] != 1 && axis != 3)
    return unsupported("opset < 13 Softmax over flattened trailing dims of a 4-D tensor with H*W > 1 (NHWC storage)");
  return Status::ok();
}

Status build_softmax(BuildContext& ctx, const OpInstance& op) {
  const auto& a = std::get<ir::SoftmaxAttrs>(op.node->attrs);
  TANDEM_ASSIGN_OR_RETURN(const DevTensor* x, ctx.tensor(op.node->inputs[0]));
  TANDEM_ASSIGN_OR_RETURN(const DevTensor* y, ctx.tensor(op.output));
  const int64_t axis = norm_axis(a.axis, x->shape.size());
  const bool nhwc_planes = x->nhwc && x->shape[2] * x->shape[3] != 1;  // coerce: then axis == 3 (supports)
  const bool contiguous_rows = a.coerce_2d ? !nhwc_planes
                                           : axis == int64_t(x->shape.size()) - 1 && logical_strides(*x).s[axis] == 1;
  if (!contiguous_rows) {  // one strided axis (a middle axis, or any axis of NHWC storage)
    const Strides st = logical_strides(*x);
    StridedShape others;
    Strides ostr;
    for (size_t d = 0; d < x->shape.size(); ++d) {
      if (int64_t(d) == axis) continue;
      others.shape[others.rank] = x->shape[d];
      ostr.s[others.rank++] = st.s[d];
    }
    const int64_t len = x->shape[size_t(axis)], astr = st.s[axis];
    const void* xd = x->data;
    void* yd = y->data;
    const Elem el = ctx.elem();
    ctx.add_step([=](const RunEnv& env) {
      return launch_status(launch_softmax_axis(xd, yd, others, ostr, len, astr, el, env.stream), "softmax_axis");
    });
    return Status::ok();
  }
  int64_t rows = 1;
  for (int64_t d = 0; d < axis; ++d) rows *= x->shape[size_t(d)];
  const int64_t cols = x->numel() / std::max<int64_t>(rows, 1);
  const void* xd = x->data;
  void* yd = y->data;
  const Elem el = ctx.elem();
  ctx.add_step([=](const RunEnv& env) { return launch_status(launch_softmax_rows(xd, yd, rows, cols, el, env.stream), "softmax"); });
  if (!op.act.is_none()) return internal_error("Softmax was fused with an activation");
  return Status::ok();
}

}  // namespace

extern const CudaOp kCudaSoftmax{"Softmax", supports_softmax, build_softmax};

}  // namespace tandem::cuda
