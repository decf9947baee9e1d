// ConvTranspose -> oneDNN deconvolution. ONNX weights are [C_in, C_out/G, k...]; oneDNN wants
// logical [G, OC/G, IC/G, k...], so the constant is viewed with permuted axes and packed once.
#include "backends/cpu/cpu_op.h"

namespace tandem::cpu {
namespace {

using dnnl::deconvolution_forward;

Dims deconv_pads_end(const ir::ConvTransposeAttrs& a, size_t sp) {
  // ONNX: out = s*(in-1) + output_padding + eff_k - pad_begin - pad_end; oneDNN has no
  // output_padding, so it comes off the end padding.
  Dims pe = pads_end(a.pads, sp);
  Dims op = ints_or(a.output_padding, sp, 0);
  for (size_t i = 0; i < sp; ++i) pe[i] -= op[i];
  return pe;
}

Status deconv_supports(const ir::Graph& graph, const ir::Node& node) {
  const auto* a = attrs_of<ir::ConvTransposeAttrs>(node);
  if (!a) return internal_error("ConvTranspose without ConvTransposeAttrs");
  if (node.inputs.size() < 2 || !graph.is_constant(node.inputs[1]))
    return unsupported("ConvTranspose weights must be a constant (they are packed at compile time)");
  if (node.inputs.size() > 2 && !node.inputs[2].empty() && !graph.is_constant(node.inputs[2]))
    return unsupported("ConvTranspose bias must be a constant");
  size_t rank = shape_of(graph, node.inputs[0])->size();
  if (rank < 3 || rank > 5) return unsupported("ConvTranspose on rank " + std::to_string(rank) + " (1D-3D only)");
  for (int64_t p : deconv_pads_end(*a, rank - 2))
    if (p < 0) return unsupported("ConvTranspose output_padding larger than the end padding (oneDNN has no output padding)");
  return eltwise_steps(a->epilogue).status();
}

Status deconv_compile(SegmentBuilder& b, const ir::Node& node) {
  const auto& a = std::get<ir::ConvTransposeAttrs>(node.attrs);
  const std::string& x = node.inputs[0];
  const std::string& w = node.inputs[1];
  const bool has_bias = node.inputs.size() > 2 && !node.inputs[2].empty();
  const Shape& ws = b.shape(w);
  const size_t sp = b.shape(x).size() - 2;
  const int64_t g = a.group;
  const int64_t oc = ws[1] * g;
  // Physical ONNX order [G, IC/G, OC/G, k...], viewed as logical [G, OC/G, IC/G, k...].
  Dims phys{g, ws[0] / g, ws[1]};
  for (size_t i = 0; i < sp; ++i) phys.push_back(ws[2 + i]);
  std::vector<int> perm(phys.size());
  for (size_t i = 0; i < perm.size(); ++i) perm[i] = static_cast<int>(i);
  std::swap(perm[1], perm[2]);
  Md wview = plain_md(phys).permute_axes(perm);
  Dims wdims = wview.dims();
  if (g == 1) {  // ungrouped: drop the G axis
    wdims.erase(wdims.begin());
    Dims phys1(phys.begin() + 1, phys.end());
    std::vector<int> perm1(phys1.size());
    for (size_t i = 0; i < perm1.size(); ++i) perm1[i] = static_cast<int>(i);
    std::swap(perm1[0], perm1[1]);
    wview = plain_md(phys1).permute_axes(perm1);
  }
  deconvolution_forward::desc d(dnnl::prop_kind::forward_inference, dnnl::algorithm::deconvolution_direct,
                                any_md(to_dims(b.shape(x))), any_md(wdims), has_bias ? any_md({oc}) : Md(),
                                any_md(to_dims(b.shape(node.outputs[0]))), ints_or(a.strides, sp, 1),
                                onednn_dilations(a.dilations, sp), pads_begin(a.pads, sp), deconv_pads_end(a, sp));
  dnnl::post_ops ops;
  TANDEM_RETURN_IF_ERROR(append_epilogue(ops, a.epilogue));
  dnnl::primitive_attr attr;
  attr.set_post_ops(ops);
  deconvolution_forward::primitive_desc pd(d, attr, b.engine());

  TANDEM_ASSIGN_OR_RETURN(auto src, b.value_as(x, pd.src_desc()));
  TANDEM_ASSIGN_OR_RETURN(auto weights, b.constant_as(w, wview, pd.weights_desc()));
  std::unordered_map<int, dnnl::memory> args{{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, weights}};
  if (has_bias) {
    TANDEM_ASSIGN_OR_RETURN(auto bias, b.constant_as(node.inputs[2], plain_md(Dims{oc}), pd.bias_desc()));
    args[DNNL_ARG_BIAS] = bias;
  }
  args[DNNL_ARG_DST] = b.define(node.outputs[0], pd.dst_desc());
  b.add_step(deconvolution_forward(pd), std::move(args));
  return Status::ok();
}

}  // namespace

extern const CpuOp kCpuConvTranspose{"ConvTranspose", 3, deconv_supports, deconv_compile};

}  // namespace tandem::cpu
