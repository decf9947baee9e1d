// Erf, Sqrt, Exp, Log, Neg, Abs, Reciprocal, Sin, Cos, Ceil, Floor, Round, Sign on float tensors
// (fp32 / tf32 / fp16 storage, fp32 math): one elementwise pass in the tensor's layout. Not reads
// bool, which this unit does not store.
#include "backends/cuda/cuda_context.h"
#include "backends/cuda/kernels/unary.cuh"
#include "ir/ops/unary.h"

namespace tandem::cuda {
namespace {

Status supports_unary(const ir::Graph& graph, const ir::Node& node) {
  TANDEM_RETURN_IF_ERROR(float_tensors_only(graph, node));
  const auto* a = std::get_if<ir::UnaryAttrs>(&node.attrs);
  if (!a) return internal_error(node.op_type + " without UnaryAttrs");
  if (a->op == ir::UnaryOp::kNot) return unsupported("cuda does not store bool tensors (Not)");
  return Status::ok();
}

Status build_unary(BuildContext& ctx, const OpInstance& op) {
  const auto& at = std::get<ir::UnaryAttrs>(op.node->attrs);
  TANDEM_ASSIGN_OR_RETURN(const DevTensor* x, ctx.tensor(op.node->inputs[0]));
  TANDEM_ASSIGN_OR_RETURN(const DevTensor* y, ctx.tensor(op.output));
  if (x->nhwc != y->nhwc || x->numel() != y->numel()) return internal_error("unary op input and output layouts differ");
  UnaryArgs u;
  u.x = x->data; u.y = y->data; u.n = y->numel(); u.op = static_cast<int>(at.op);
  const Elem el = ctx.elem();
  ctx.add_step([u, el](const RunEnv& env) { return launch_status(launch_unary(u, el, env.stream), "unary"); });
  return Status::ok();
}

}  // namespace

extern const CudaOp kCudaErf{"Erf", supports_unary, build_unary};
extern const CudaOp kCudaSqrt{"Sqrt", supports_unary, build_unary};
extern const CudaOp kCudaExp{"Exp", supports_unary, build_unary};
extern const CudaOp kCudaLog{"Log", supports_unary, build_unary};
extern const CudaOp kCudaNeg{"Neg", supports_unary, build_unary};
extern const CudaOp kCudaAbs{"Abs", supports_unary, build_unary};
extern const CudaOp kCudaReciprocal{"Reciprocal", supports_unary, build_unary};
extern const CudaOp kCudaSin{"Sin", supports_unary, build_unary};
extern const CudaOp kCudaCos{"Cos", supports_unary, build_unary};
extern const CudaOp kCudaCeil{"Ceil", supports_unary, build_unary};
extern const CudaOp kCudaFloor{"Floor", supports_unary, build_unary};
extern const CudaOp kCudaRound{"Round", supports_unary, build_unary};
extern const CudaOp kCudaSign{"Sign", supports_unary, build_unary};

}  // namespace tandem::cuda
