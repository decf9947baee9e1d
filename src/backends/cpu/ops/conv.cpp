// Conv -> oneDNN convolution: layouts chosen by oneDNN (format_tag::any), weights packed once,
// bias and the fused activation (post-ops) in the same primitive.
#include "backends/cpu/cpu_op.h"

namespace tandem::cpu {
namespace {

using dnnl::convolution_forward;

Status conv_supports(const ir::Graph& graph, const ir::Node& node) {
  const auto* a = attrs_of<ir::ConvAttrs>(node);
  if (!a) return internal_error("Conv without ConvAttrs");
  if (node.inputs.size() < 2 || !graph.is_constant(node.inputs[1]))
    return unsupported("Conv weights must be a constant (they are packed at compile time)");
  if (node.inputs.size() > 2 && !node.inputs[2].empty() && !graph.is_constant(node.inputs[2]))
    return unsupported("Conv bias must be a constant");
  size_t rank = shape_of(graph, node.inputs[0])->size();
  if (rank < 3 || rank > 5) return unsupported("Conv on rank " + std::to_string(rank) + " (1D-3D only)");
  if (a->group < 1) return unsupported("Conv group " + std::to_string(a->group));
  return eltwise_steps(a->epilogue).status();
}

Status conv_compile(SegmentBuilder& b, const ir::Node& node) {
  const auto& a = std::get<ir::ConvAttrs>(node.attrs);
  const std::string& x = node.inputs[0];
  const std::string& w = node.inputs[1];
  const bool has_bias = node.inputs.size() > 2 && !node.inputs[2].empty();
  const Shape& ws = b.shape(w);
  const size_t sp = b.shape(x).size() - 2;
  Dims wdims = to_dims(ws);
  if (a.group > 1) {  // oneDNN's grouped weights: [G, OC/G, IC/G, k...], the same bytes as ONNX's
    wdims.insert(wdims.begin(), a.group);
    wdims[1] /= a.group;
  }
  const Dims ydims = to_dims(b.shape(node.outputs[0]));
  const Md bias_md = has_bias ? any_md({ws[0]}) : Md();
  convolution_forward::desc d(dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct,
                              any_md(to_dims(b.shape(x))), any_md(wdims), bias_md, any_md(ydims),
                              ints_or(a.strides, sp, 1), onednn_dilations(a.dilations, sp), pads_begin(a.pads, sp),
                              pads_end(a.pads, sp));
  dnnl::post_ops ops;
  TANDEM_RETURN_IF_ERROR(append_epilogue(ops, a.epilogue));
  dnnl::primitive_attr attr;
  attr.set_post_ops(ops);
  convolution_forward::primitive_desc pd(d, attr, b.engine());

  TANDEM_ASSIGN_OR_RETURN(auto src, b.value_as(x, pd.src_desc()));
  TANDEM_ASSIGN_OR_RETURN(auto weights, b.constant_as(w, plain_md(wdims), pd.weights_desc()));
  std::unordered_map<int, dnnl::memory> args{{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, weights}};
  if (has_bias) {
    TANDEM_ASSIGN_OR_RETURN(auto bias, b.constant_as(node.inputs[2], plain_md(Dims{ws[0]}), pd.bias_desc()));
    args[DNNL_ARG_BIAS] = bias;
  }
  args[DNNL_ARG_DST] = b.define(node.outputs[0], pd.dst_desc());
  b.add_step(convolution_forward(pd), std::move(args));
  return Status::ok();
}

}  // namespace

extern const CpuOp kCpuConv{"Conv", 3, conv_supports, conv_compile};

}  // namespace tandem::cpu
