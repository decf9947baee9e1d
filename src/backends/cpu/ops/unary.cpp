// Sqrt, Exp, Log, Abs, Neg, Reciprocal, Round -> one oneDNN eltwise each (Neg: linear -1;
// Reciprocal: pow(x, -1); Round: nearbyint, half to even like ONNX), in the input's layout.
// oneDNN 2.6 has no eltwise for Erf, Sin, Cos, Ceil, Floor, Sign; those are refused here.
#include "backends/cpu/cpu_op.h"
#include "ir/ops/unary.h"

namespace tandem::cpu {
namespace {

Result<EltwiseStep> unary_step(ir::UnaryOp op) {
  using A = dnnl::algorithm;
  switch (op) {
    case ir::UnaryOp::kSqrt: return EltwiseStep{A::eltwise_sqrt, 0.0f, 0.0f};
    case ir::UnaryOp::kExp: return EltwiseStep{A::eltwise_exp, 0.0f, 0.0f};
    case ir::UnaryOp::kLog: return EltwiseStep{A::eltwise_log, 0.0f, 0.0f};
    case ir::UnaryOp::kAbs: return EltwiseStep{A::eltwise_abs, 0.0f, 0.0f};
    case ir::UnaryOp::kNeg: return EltwiseStep{A::eltwise_linear, -1.0f, 0.0f};
    case ir::UnaryOp::kReciprocal: return EltwiseStep{A::eltwise_pow, 1.0f, -1.0f};
    case ir::UnaryOp::kRound: return EltwiseStep{A::eltwise_round, 0.0f, 0.0f};
    default: break;
  }
  return unsupported(std::string("cpu: oneDNN 2.6 has no eltwise for ") + ir::unary_op_name(op));
}

Status unary_supports(const ir::Graph&, const ir::Node& node) {
  const auto* a = attrs_of<ir::UnaryAttrs>(node);
  if (!a) return internal_error(node.op_type + " without UnaryAttrs");
  return unary_step(a->op).status();
}

Status unary_compile(SegmentBuilder& b, const ir::Node& node) {
  TANDEM_ASSIGN_OR_RETURN(EltwiseStep step, unary_step(std::get<ir::UnaryAttrs>(node.attrs).op));
  return compile_eltwise(b, node.inputs[0], node.outputs[0], {step});
}

}  // namespace

extern const CpuOp kCpuSqrt{"Sqrt", -1, unary_supports, unary_compile};
extern const CpuOp kCpuExp{"Exp", -1, unary_supports, unary_compile};
extern const CpuOp kCpuLog{"Log", -1, unary_supports, unary_compile};
extern const CpuOp kCpuAbs{"Abs", -1, unary_supports, unary_compile};
extern const CpuOp kCpuNeg{"Neg", -1, unary_supports, unary_compile};
extern const CpuOp kCpuReciprocal{"Reciprocal", -1, unary_supports, unary_compile};
extern const CpuOp kCpuRound{"Round", -1, unary_supports, unary_compile};

}  // namespace tandem::cpu
