// Pow(X, exponent) with a constant one-element exponent (x ** 2, x ** 0.5, x ** 3 as exporters
// write them) -> oneDNN eltwise pow (y = 1 * x^e), in X's layout. The exponent may be any number
// type; a computed or non-scalar exponent is refused (oneDNN 2.6 binary has no pow).
#include "backends/cpu/cpu_op.h"

namespace tandem::cpu {
namespace {

Result<float> constant_exponent(const ir::Graph& graph, const ir::Node& node) {
  if (node.inputs.size() != 2) return invalid_argument("Pow needs 2 inputs");
  const Tensor* e = graph.constant(node.inputs[1]);
  if (!e) return unsupported("cpu Pow needs a constant exponent, '" + node.inputs[1] + "' is computed");
  if (e->numel() != 1) return unsupported("cpu Pow needs a one-element exponent, got " + shape_to_string(e->shape()));
  if (e->dtype() == DType::kBool) return unsupported("Pow with a bool exponent");
  const Shape& x = *shape_of(graph, node.inputs[0]);
  const Shape& y = *shape_of(graph, node.outputs[0]);
  if (x != y) return unsupported("cpu Pow whose exponent " + shape_to_string(e->shape()) + " raises the rank of X");
  return static_cast<float>(e->float_at(0));
}

Status pow_supports(const ir::Graph& graph, const ir::Node& node) { return constant_exponent(graph, node).status(); }

Status pow_compile(SegmentBuilder& b, const ir::Node& node) {
  TANDEM_ASSIGN_OR_RETURN(float e, constant_exponent(b.graph(), node));
  return compile_eltwise(b, node.inputs[0], node.outputs[0], {{dnnl::algorithm::eltwise_pow, 1.0f, e}});
}

}  // namespace

// data_inputs = 1: the exponent is a constant of any number type, read at compile time.
extern const CpuOp kCpuPow{"Pow", 1, pow_supports, pow_compile};

}  // namespace tandem::cpu
