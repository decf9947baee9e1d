// Relu, Clip, Sigmoid, HardSigmoid, HardSwish, LeakyRelu, Tanh, Gelu, Softplus, Elu, Selu, Mish on
// float32. Shape inference has folded each op's parameters (Clip min/max, slopes) into
// ActivationAttrs.act, so every one of them is the scalar ir::apply_epilogue applied elementwise.
#include "backends/reference/ref_util.h"
#include "ir/ops/activation.h"

namespace tandem::reference {
namespace {

Status supports_activation(const ir::Graph& graph, const ir::Node& node) {
  return require_all_float32(graph, node);
}

// Clip's min/max must be constants (then shape inference folded them into the attrs).
Status supports_clip(const ir::Graph& graph, const ir::Node& node) {
  for (size_t i = 1; i < node.inputs.size(); ++i)
    if (has_input(node, i) && !graph.is_constant(node.inputs[i]))
      return unsupported("Clip with a non-constant min/max input '" + node.inputs[i] + "'");
  if (!has_input(node, 0)) return invalid_argument("Clip has no input");
  TANDEM_ASSIGN_OR_RETURN(DType t, input_dtype(graph, node, 0));
  if (t != DType::kFloat32) return unsupported(std::string("reference Clip runs float32 only, not ") + dtype_name(t));
  return Status::ok();
}

Status run_activation(RefOpContext& ctx) {
  TANDEM_ASSIGN_OR_RETURN(const ir::ActivationAttrs* attrs, attrs_of<ir::ActivationAttrs>(ctx.node));
  TANDEM_RETURN_IF_ERROR(require_input(ctx, 0, "X"));
  const Tensor& x = ctx.inputs[0];
  if (x.dtype() != DType::kFloat32) return unsupported(std::string("reference activation on ") + dtype_name(x.dtype()));
  TANDEM_ASSIGN_OR_RETURN(Tensor y, alloc_output(ctx, 0, DType::kFloat32));
  if (y.numel() != x.numel()) return internal_error("output and input sizes differ");
  const float* px = x.data_as<float>();
  float* py = y.data_as<float>();
  for (int64_t i = 0; i < x.numel(); ++i) py[i] = ir::apply_epilogue(attrs->act, px[i]);
  return Status::ok();
}

}  // namespace

extern const RefOp kRefRelu{"Relu", supports_activation, run_activation};
extern const RefOp kRefClip{"Clip", supports_clip, run_activation};
extern const RefOp kRefSigmoid{"Sigmoid", supports_activation, run_activation};
extern const RefOp kRefHardSigmoid{"HardSigmoid", supports_activation, run_activation};
extern const RefOp kRefHardSwish{"HardSwish", supports_activation, run_activation};
extern const RefOp kRefLeakyRelu{"LeakyRelu", supports_activation, run_activation};
extern const RefOp kRefTanh{"Tanh", supports_activation, run_activation};
extern const RefOp kRefGelu{"Gelu", supports_activation, run_activation};
extern const RefOp kRefSoftplus{"Softplus", supports_activation, run_activation};
extern const RefOp kRefElu{"Elu", supports_activation, run_activation};
extern const RefOp kRefSelu{"Selu", supports_activation, run_activation};
extern const RefOp kRefMish{"Mish", supports_activation, run_activation};

}  // namespace tandem::reference
