// LayerNormalization -> oneDNN layer_normalization_forward, which normalises the last dim: X is
// viewed as 2-D [prod(dims[:axis]), prod(dims[axis:])] (plain), Scale and B as 1-D rows of the
// second size (use_scale / use_shift; either may be a runtime tensor). Only Y is computed.
// AddLayerNorm (fuse_add_layer_norm): a binary add, then the same.
#include "backends/cpu/cpu_op.h"

namespace tandem::cpu {
namespace {

// Scale and B at inputs `param` and `param` + 1 must be rows of X.shape[axis:].
Status check_params(const ir::Graph& graph, const ir::Node& node, size_t param) {
  const auto* a = attrs_of<ir::LayerNormAttrs>(node);
  if (!a) return internal_error(node.op_type + " without LayerNormAttrs");
  const Shape& x = *shape_of(graph, node.inputs[0]);
  if (a->axis < 0 || a->axis >= static_cast<int64_t>(x.size())) return internal_error(node.op_type + " axis is not resolved");
  for (size_t i = param; i < node.inputs.size() && i < param + 2; ++i)
    if (!node.inputs[i].empty() && !ir::layer_norm_param_is_row(*shape_of(graph, node.inputs[i]), x, a->axis))
      return unsupported("LayerNormalization parameter " + shape_to_string(*shape_of(graph, node.inputs[i])) +
                         " broadcasts along the normalised dims");
  return Status::ok();
}

Status layer_norm_supports(const ir::Graph& graph, const ir::Node& node) {
  for (size_t i = 1; i < node.outputs.size(); ++i)
    if (!node.outputs[i].empty() && graph.use_count(node.outputs[i]) > 0)
      return unsupported("LayerNormalization output " + std::to_string(i) + " (Mean / InvStdDev) is used; cpu computes only Y");
  return check_params(graph, node, 1);
}

Status add_layer_norm_supports(const ir::Graph& graph, const ir::Node& node) {
  if (node.inputs.size() < 3 || *shape_of(graph, node.inputs[0]) != *shape_of(graph, node.inputs[1]))
    return unsupported("AddLayerNorm needs A and B of one shape and a Scale");
  return check_params(graph, node, 2);
}

// One layer_normalization_forward of `src` (X viewed as [outer, inner]) into node output 0, with
// Scale and B at `param` and `param` + 1 of the node's inputs.
Status layer_norm_step(SegmentBuilder& b, const ir::Node& node, const dnnl::memory& src, size_t param) {
  const auto& a = std::get<ir::LayerNormAttrs>(node.attrs);
  const Md md = src.get_desc();
  const Md row = plain_md(Dims{md.dims()[1]});
  const bool has_bias = node.inputs.size() > param + 1 && !node.inputs[param + 1].empty();
  TANDEM_ASSIGN_OR_RETURN(auto scale, b.plain_view(node.inputs[param], row));
  std::unordered_map<int, dnnl::memory> args{{DNNL_ARG_SRC, src}, {DNNL_ARG_SCALE, scale}};
  auto flags = dnnl::normalization_flags::use_scale;
  if (has_bias) {
    TANDEM_ASSIGN_OR_RETURN(auto shift, b.plain_view(node.inputs[param + 1], row));
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

// X as plain 2-D [prod(dims[:axis]), prod(dims[axis:])].
Md rows_md(const Shape& in, int64_t axis) {
  int64_t outer = 1, inner = 1;
  for (size_t d = 0; d < in.size(); ++d) (static_cast<int64_t>(d) < axis ? outer : inner) *= in[d];
  return plain_md(Dims{outer, inner});
}

Status layer_norm_compile(SegmentBuilder& b, const ir::Node& node) {
  const auto& a = std::get<ir::LayerNormAttrs>(node.attrs);
  TANDEM_ASSIGN_OR_RETURN(auto src, b.plain_view(node.inputs[0], rows_md(b.shape(node.inputs[0]), a.axis)));
  return layer_norm_step(b, node, src, 1);
}

// AddLayerNorm: oneDNN 2.6's layer normalisation takes no pre-op, so the sum is a binary add
// (into S, or a scratch buffer when nothing else reads it) and the normalisation reads it: the
// same two primitives as before the fusion.
Status add_layer_norm_compile(SegmentBuilder& b, const ir::Node& node) {
  const auto& a = std::get<ir::LayerNormAttrs>(node.attrs);
  const Md md = rows_md(b.shape(node.inputs[0]), a.axis);
  TANDEM_ASSIGN_OR_RETURN(auto src0, b.plain_view(node.inputs[0], md));
  TANDEM_ASSIGN_OR_RETURN(auto src1, b.plain_view(node.inputs[1], md));
  dnnl::memory sum;
  if (node.outputs.size() > 1 && !node.outputs[1].empty()) {
    b.define(node.outputs[1], plain_md(b.shape(node.outputs[1])));
    TANDEM_ASSIGN_OR_RETURN(sum, b.plain_view(node.outputs[1], md));
  } else {
    sum = b.scratch(md);
  }
  dnnl::binary::desc d(dnnl::algorithm::binary_add, md, md, md);
  dnnl::binary::primitive_desc pd(d, b.engine());
  b.add_step(dnnl::binary(pd), {{DNNL_ARG_SRC_0, src0}, {DNNL_ARG_SRC_1, src1}, {DNNL_ARG_DST, sum}});
  return layer_norm_step(b, node, sum, 2);
}

}  // namespace

extern const CpuOp kCpuLayerNormalization{"LayerNormalization", -1, layer_norm_supports, layer_norm_compile};
extern const CpuOp kCpuAddLayerNorm{"AddLayerNorm", -1, add_layer_norm_supports, add_layer_norm_compile};

}  // namespace tandem::cpu
