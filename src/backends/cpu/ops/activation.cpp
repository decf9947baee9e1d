// Relu, LeakyRelu, Clip, Sigmoid, HardSigmoid, HardSwish, Tanh, Gelu, Softplus, Elu, Selu, Mish ->
// oneDNN eltwise, in whatever layout the input already has (an elementwise op does not care).
#include "backends/cpu/cpu_op.h"

namespace tandem::cpu {
namespace {

Status activation_supports(const ir::Graph&, const ir::Node& node) {
  const auto* a = attrs_of<ir::ActivationAttrs>(node);
  if (!a) return internal_error(node.op_type + " without ActivationAttrs");
  if (a->act.is_none()) return unsupported(node.op_type + " with no resolved activation kind");
  return eltwise_steps(a->act).status();
}

Status activation_compile(SegmentBuilder& b, const ir::Node& node) {
  const auto& a = std::get<ir::ActivationAttrs>(node.attrs);
  TANDEM_ASSIGN_OR_RETURN(auto steps, eltwise_steps(a.act));
  return compile_eltwise(b, node.inputs[0], node.outputs[0], steps);
}

}  // namespace

Status compile_eltwise(SegmentBuilder& b, const std::string& input, const std::string& output,
                       const std::vector<EltwiseStep>& steps) {
  if (steps.empty()) return internal_error("an elementwise op with no oneDNN step");
  TANDEM_ASSIGN_OR_RETURN(auto src, b.value(input));
  dnnl::memory dst;
  // The first step writes the output; later ones (HardSigmoid's clip) work in place on it.
  for (size_t i = 0; i < steps.size(); ++i) {
    dnnl::eltwise_forward::desc d(dnnl::prop_kind::forward_inference, steps[i].alg, src.get_desc(), steps[i].alpha,
                                  steps[i].beta);
    dnnl::eltwise_forward::primitive_desc pd(d, b.engine());
    if (i == 0) dst = b.define(output, pd.dst_desc());
    b.add_step(dnnl::eltwise_forward(pd), {{DNNL_ARG_SRC, i == 0 ? src : dst}, {DNNL_ARG_DST, dst}});
  }
  return Status::ok();
}

extern const CpuOp kCpuRelu{"Relu", -1, activation_supports, activation_compile};
extern const CpuOp kCpuLeakyRelu{"LeakyRelu", -1, activation_supports, activation_compile};
extern const CpuOp kCpuClip{"Clip", 1, activation_supports, activation_compile};
extern const CpuOp kCpuSigmoid{"Sigmoid", -1, activation_supports, activation_compile};
extern const CpuOp kCpuHardSigmoid{"HardSigmoid", -1, activation_supports, activation_compile};
extern const CpuOp kCpuHardSwish{"HardSwish", -1, activation_supports, activation_compile};
extern const CpuOp kCpuTanh{"Tanh", -1, activation_supports, activation_compile};
extern const CpuOp kCpuGelu{"Gelu", -1, activation_supports, activation_compile};
extern const CpuOp kCpuSoftplus{"Softplus", -1, activation_supports, activation_compile};
extern const CpuOp kCpuElu{"Elu", -1, activation_supports, activation_compile};
extern const CpuOp kCpuSelu{"Selu", -1, activation_supports, activation_compile};
extern const CpuOp kCpuMish{"Mish", -1, activation_supports, activation_compile};

}  // namespace tandem::cpu
