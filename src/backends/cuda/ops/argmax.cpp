// ArgMax of a float32 tensor (stored fp32 or fp16, NCHW or NHWC) along any axis, on our kernel
// (kernels/argmax.cu), into an int64 tensor in row-major order (cuda_context.h's layout rule for
// integer tensors). The int64 output can only leave the unit (no cuda op reads int64 tensors):
// a segmentation model's class map, downloaded at 1/8 (fp32) of the logits' bytes per pixel.
#include "backends/cuda/cuda_context.h"
#include "backends/cuda/kernels/argmax.cuh"
#include "ir/ops/argmax.h"

namespace tandem::cuda {
namespace {

Status supports_argmax(const ir::Graph& graph, const ir::Node& node) {
  const auto* a = std::get_if<ir::ArgMaxAttrs>(&node.attrs);
  if (!a) return internal_error("ArgMax without ArgMaxAttrs");
  if (node.inputs.size() != 1 || node.outputs.size() != 1) return invalid_argument("ArgMax takes 1 input and 1 output");
  const std::string& in = node.inputs[0];
  if (graph.is_constant(in)) return unsupported("ArgMax of a constant (folded before it runs)");
  const ir::ValueInfo* x = graph.info(in);
  const ir::ValueInfo* y = graph.info(node.outputs[0]);
  if (!x || !x->fully_known() || !y || !y->fully_known()) return unsupported("ArgMax with an unknown shape");
  if (x->dtype != DType::kFloat32) return unsupported(std::string("ArgMax of ") + dtype_name(x->dtype) + "; cuda takes float32");
  if (y->dtype != DType::kInt64) return internal_error("ArgMax output is not int64");
  if (x->shape.size() > size_t(kMaxRank)) return unsupported("ArgMax of rank > 6");
  if (a->axis < 0 || a->axis >= int64_t(x->shape.size())) return internal_error("ArgMax axis is not resolved");
  return Status::ok();
}

Status build_argmax(BuildContext& ctx, const OpInstance& op) {
  const auto& a = std::get<ir::ArgMaxAttrs>(op.node->attrs);
  TANDEM_ASSIGN_OR_RETURN(const DevTensor* x, ctx.tensor(op.node->inputs[0]));
  TANDEM_ASSIGN_OR_RETURN(const DevTensor* y, ctx.tensor(op.output));
  if (y->elem != Elem::kI64) return internal_error("ArgMax output is not stored as int64");
  const Strides xs = logical_strides(*x);
  StridedShape kept;
  Strides kept_x;
  for (size_t d = 0; d < x->shape.size(); ++d) {
    if (int64_t(d) == a.axis) continue;
    kept.shape[kept.rank] = x->shape[d];
    kept_x.s[kept.rank] = xs.s[d];
    ++kept.rank;
  }
  const int64_t len = x->shape[size_t(a.axis)], astr = xs.s[size_t(a.axis)];
  const void* src = x->data;
  auto* dst = static_cast<int64_t*>(y->data);
  const bool last = a.select_last_index;
  const Elem el = x->elem;
  ctx.add_step([=](const RunEnv& env) {
    return launch_status(launch_argmax(src, dst, kept, kept_x, len, astr, last, el, env.stream), "argmax");
  });
  return Status::ok();
}

}  // namespace

extern const CudaOp kCudaArgMax{"ArgMax", supports_argmax, build_argmax};

}  // namespace tandem::cuda
