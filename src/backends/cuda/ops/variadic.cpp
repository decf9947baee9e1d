// Sum, Mean, Min, Max over N inputs: one broadcasting binary pass writes in0 (op) in1 into the
// output, each further input is folded in by another pass in place (the output read at the index
// it writes), Mean then scales by 1/N. One input: a copy.
#include "backends/cuda/ops/binary_args.h"
#include "ir/ops/variadic.h"

namespace tandem::cuda {
namespace {

Status supports_variadic(const ir::Graph& graph, const ir::Node& node) {
  TANDEM_RETURN_IF_ERROR(float_tensors_only(graph, node));
  if (node.inputs.empty()) return invalid_argument(node.op_type + " without inputs");
  for (const auto& in : node.inputs)
    if (const Tensor* c = graph.constant(in); c && c->dtype() != DType::kFloat32)
      return unsupported("constant '" + in + "' is " + dtype_name(c->dtype()) + "; cuda reads float constants");
  return Status::ok();
}

Status build_variadic(BuildContext& ctx, const OpInstance& op) {
  const auto& at = std::get<ir::VariadicAttrs>(op.node->attrs);
  const auto& ins = op.node->inputs;
  TANDEM_ASSIGN_OR_RETURN(const DevTensor* y, ctx.tensor(op.output));
  TANDEM_ASSIGN_OR_RETURN(const DevTensor* x0, ctx.tensor(ins[0]));
  if (ins.size() == 1) {
    TANDEM_ASSIGN_OR_RETURN(Step s, relayout_step(*x0, *y));
    ctx.add_step(std::move(s));
    return Status::ok();
  }
  const int bop = static_cast<int>(ir::variadic_element_op(at.op));
  const Elem el = ctx.elem();
  for (size_t k = 1; k < ins.size(); ++k) {
    TANDEM_ASSIGN_OR_RETURN(const DevTensor* xk, ctx.tensor(ins[k]));
    const BinaryArgs g = binary_args(k == 1 ? *x0 : *y, *xk, *y, bop, {});
    ctx.add_step([g, el](const RunEnv& env) { return launch_status(launch_binary(g, el, env.stream), "variadic"); });
  }
  if (at.op == ir::VariadicOp::kMean) {
    TANDEM_ASSIGN_OR_RETURN(const float* scale, ctx.upload_f32({1.0f / static_cast<float>(ins.size())}));
    ChannelAffineArgs e;
    e.x = y->data; e.y = y->data; e.total = y->numel(); e.scale = scale;  // channels = inner = 1: scale[0]
    ctx.add_step(channel_affine_step(e, el, "mean"));
  }
  return Status::ok();
}

}  // namespace

extern const CudaOp kCudaSum{"Sum", supports_variadic, build_variadic};
extern const CudaOp kCudaMean{"Mean", supports_variadic, build_variadic};
extern const CudaOp kCudaMin{"Min", supports_variadic, build_variadic};
extern const CudaOp kCudaMax{"Max", supports_variadic, build_variadic};

}  // namespace tandem::cuda
