// LayerNormalization -> oneDNN layer_normalization_forward, which normalises the last dim: X is
// viewed as 2-D [prod(dims[:axis]), prod(dims[axis:])] (plain), Scale and B as 1-D rows of the
// second size (use_scale / use_shift; either may be a runtime tensor). Only Y is computed.
#include "backends/cpu/cpu_op.h"

namespace tandem::cpu {
namespace {

Status layer_norm_supports(const ir::Graph& graph, const ir::Node& node) {
  const auto* a = attrs_of<ir::LayerNormAttrs>(node);
  if (!a) return internal_error("LayerNormalization without LayerNormAttrs");
  for (size_t i = 1; i < node.outputs.size(); ++i)
    if (!node.outputs[i].empty() && graph.use_count(node.outputs[i]) > 0)
      return unsupported("LayerNormalization output " + std::to_string(i) + " (Mean / InvStdDev) is used; cpu computes only Y");
  const Shape& x = *shape_of(graph, node.inputs[0]);
  if (a->axis < 0 || a->axis >= static_cast<int64_t>(x.size())) return internal_error("LayerNormalization axis is not resolved");
  for (size_t i = 1; i < node.inputs.size() && i < 3; ++i)
    if (!node.inputs[i].empty() && !ir::layer_norm_param_is_row(*shape_of(graph, node.inputs[i]), x, a->axis))
      return unsupported("LayerNormalization parameter " + shape_to_string(*shape_of(graph, node.inputs[i])) +
                         " broadcasts along the normalised dims");
  return Status::ok();
}

Status layer_norm_compile(SegmentBuilder& b, const ir::Node& node) {
  const auto& a = std::get<ir::LayerNormAttrs>(node.attrs);
  const Shape& in = b.shape(node.inputs[0]);
  int64_t outer = 1, inner = 1;
  for (size_t d = 0; d < in.size(); ++d) (static_cast<int64_t>(d) < a.axis ? outer : inner) *= in[d];
  const Md md = plain_md(Dims{outer, inner});
  const Md row = plain_md(Dims{inner});
  const bool has_bias = node.inputs.size() > 2 && !node.inputs[2].empty();
  TANDEM_ASSIGN_OR_RETURN(auto src, b.plain_view(node.inputs[0], md));
  TANDEM_ASSIGN_OR_RETURN(auto scale, b.plain_view(node.inputs[1], row));
  std::unordered_map<int, dnnl::memory> args{{DNNL_ARG_SRC, src}, {DNNL_ARG_SCALE, scale}};
  auto flags = dnnl::normalization_flags::use_scale;
  if (has_bias) {
    TANDEM_ASSIGN_OR_RETURN(auto shift, b.plain_view(node.inputs[2], row));
    args[DNNL_ARG_SHIFT] = shift;
    flags = flags | dnnl::normalization_flags::use_shift;
  }
  dnnl::layer_normalization_forward::desc d(dnnl::prop_kind::forward_inference, md, a.epsilon, flags);
  dnnl::layer_normalization_forward::primitive_desc pd(d, b.engine());
  b.define(node.outputs[0], plain_md(b.shape(node.outputs[0])));
  TANDEM_ASSIGN_OR_RETURN(args[DNNL_ARG_DST], b.plain_view(node.outputs[0], md));
  b.add_step(dnnl::layer_normalization_forward(pd), std::move(args));
  return Status::ok();
}

}  // namespace

extern const CpuOp kCpuLayerNormalization{"LayerNormalization", -1, layer_norm_supports, layer_norm_compile};

}  // namespace tandem::cpu
