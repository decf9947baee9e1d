// Conv -> oneDNN convolution: layouts chosen by oneDNN (format_tag::any), weights packed once,
// bias and the fused activation (post-ops) in the same primitive; with a residual Add (and an
// activation after it) folded in as post-ops (conv_residual.h). A 3x3 stride-1 conv runs
// Winograd instead where oneDNN has it and it measures faster (conv_choice.h).
#include "backends/cpu/conv_choice.h"
#include "backends/cpu/conv_residual.h"
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

// The convolution's primitive for `node` with `ops` after it (format_tag::any for every layout).
convolution_forward::primitive_desc conv_pd(SegmentBuilder& b, const ir::Node& node, const dnnl::post_ops& ops,
                                            Dims* wdims_out, const Md* dst = nullptr,
                                            dnnl::algorithm algorithm = dnnl::algorithm::convolution_direct) {
  const auto& a = std::get<ir::ConvAttrs>(node.attrs);
  const std::string& x = node.inputs[0];
  const bool has_bias = node.inputs.size() > 2 && !node.inputs[2].empty();
  const Shape& ws = b.shape(node.inputs[1]);
  const size_t sp = b.shape(x).size() - 2;
  Dims wdims = to_dims(ws);
  if (a.group > 1) {  // oneDNN's grouped weights: [G, OC/G, IC/G, k...], the same bytes as ONNX's
    wdims.insert(wdims.begin(), a.group);
    wdims[1] /= a.group;
  }
  const Dims ydims = to_dims(b.shape(node.outputs[0]));
  const Md bias_md = has_bias ? any_md({ws[0]}) : Md();
  Md xmd = any_md(to_dims(b.shape(x))), ymd = dst ? *dst : any_md(ydims);
  if (b.blocked_convs() && sp == 2) {  // SegmentBuilder::set_blocked_convs
    const auto blocked = [](const Dims& dims) {
      return Md(dims, dnnl::memory::data_type::f32, dnnl::memory::format_tag::nChw16c);
    };
    // Channels not in 16s are padded to the next 16 (oneDNN's kernels take the zero tail): without
    // it MnasNet's 24-, 40- and 72-channel convs stayed channels-last between blocked ones, with a
    // reorder pair each (MnasNet b16 +13% on 2 cores with it). Off: TANDEM_OFF=padded-blocks.
    const bool padded = !b.diagnostics().is_off("padded-blocks");
    const auto blockable = [&](int64_t c) { return c % 16 == 0 || (padded && c >= 8); };
    if (blockable(b.shape(x)[1])) xmd = blocked(to_dims(b.shape(x)));
    if (!dst && blockable(ydims[1])) ymd = blocked(ydims);
  }
  auto make = [&](const Md& xm, const Md& ym) {
    convolution_forward::desc d(dnnl::prop_kind::forward_inference, algorithm, xm, any_md(wdims), bias_md, ym,
                                ints_or(a.strides, sp, 1), onednn_dilations(a.dilations, sp), pads_begin(a.pads, sp),
                                pads_end(a.pads, sp));
    dnnl::primitive_attr attr;
    attr.set_post_ops(ops);
    return convolution_forward::primitive_desc(d, attr, b.engine());
  };
  *wdims_out = wdims;
  // Channels-last: left to oneDNN, a grouped (not depthwise) conv takes the blocked layout while
  // the convs around it take channels-last, and each costs a reorder in and out (8% of
  // ResNeXt-50's kernel time at b16). Its jit kernel reads channels-last too, 5-10% slower than
  // blocked but without the reorders; where oneDNN has only its reference kernel so, as it picks.
  // Only convs with a spatial kernel: EfficientViT's grouped 1x1 convs read 5-6% slower so in
  // one run (within that run's noise), and no zoo model gains there.
  const bool grouped = a.group > 1 && ws[1] > 1 && ws.size() == 4 && ws[2] * ws[3] > 1;
  if (!b.blocked_convs() && sp == 2 && grouped && !b.diagnostics().is_off("grouped-nhwc")) {
    const auto nhwc = [](const Dims& dims) { return Md(dims, dnnl::memory::data_type::f32, dnnl::memory::format_tag::nhwc); };
    try {
      auto pd = make(nhwc(to_dims(b.shape(x))), dst ? *dst : nhwc(ydims));
      if (!is_reference_impl(pd)) return pd;
    } catch (const dnnl::error&) {  // no kernel for it so: as oneDNN picks
    }
  }
  return make(xmd, ymd);
}

// Adds the primitive's step, writing `dst`.
Status add_conv_step(SegmentBuilder& b, const ir::Node& node, const convolution_forward::primitive_desc& pd,
                     const Dims& wdims, const dnnl::memory& dst) {
  TANDEM_ASSIGN_OR_RETURN(auto src, b.value_as(node.inputs[0], pd.src_desc()));
  TANDEM_ASSIGN_OR_RETURN(auto weights, b.constant_as(node.inputs[1], plain_md(wdims), pd.weights_desc()));
  std::unordered_map<int, dnnl::memory> args{{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, weights}};
  if (node.inputs.size() > 2 && !node.inputs[2].empty()) {
    const int64_t oc = b.shape(node.inputs[1])[0];
    TANDEM_ASSIGN_OR_RETURN(auto bias, b.constant_as(node.inputs[2], plain_md(Dims{oc}), pd.bias_desc()));
    args[DNNL_ARG_BIAS] = bias;
  }
  args[DNNL_ARG_DST] = dst;
  b.add_step(convolution_forward(pd), std::move(args));
  return Status::ok();
}

// A shape oneDNN may have Winograd for: 2-D 3x3, stride 1, no dilation, no groups, >= 16
// channels in and out (fewer lose to the direct kernel everywhere we measured).
bool winograd_shape(const SegmentBuilder& b, const ir::Node& node) {
  const auto& a = std::get<ir::ConvAttrs>(node.attrs);
  const Shape& ws = b.shape(node.inputs[1]);
  if (ws.size() != 4 || ws[2] != 3 || ws[3] != 3 || a.group != 1 || ws[0] < 16 || ws[1] < 16) return false;
  for (int64_t s : a.strides)
    if (s != 1) return false;
  for (int64_t d : a.dilations)
    if (d != 1) return false;
  return true;
}

// The Winograd primitive when it is to run instead of `direct`: forced, or measured faster.
Result<std::optional<ConvPd>> winograd_instead(SegmentBuilder& b, const ir::Node& node, const dnnl::post_ops& ops,
                                               const ConvPd& direct) {
  const BackendDiagnostics& d = b.diagnostics();
  const bool forced = d.force_conv_plan == "winograd";
  if (d.force_conv_plan == "direct" || (d.is_off("winograd") && !forced) || !winograd_shape(b, node))
    return std::optional<ConvPd>();
  std::optional<ConvPd> w;
  Dims unused;
  try {
    w = conv_pd(b, node, ops, &unused, nullptr, dnnl::algorithm::convolution_winograd);
  } catch (const dnnl::error&) {
    return std::optional<ConvPd>();  // not on this machine, or not with these post-ops
  }
  if (forced) return w;
  TANDEM_ASSIGN_OR_RETURN(auto x, b.value_view(node.inputs[0]));
  if (!measured_faster(b.engine(), x.get_desc(), direct, *w, d.log_choices)) return std::optional<ConvPd>();
  return w;
}

Status conv_compile(SegmentBuilder& b, const ir::Node& node) {
  dnnl::post_ops ops;
  TANDEM_RETURN_IF_ERROR(append_epilogue(ops, std::get<ir::ConvAttrs>(node.attrs).epilogue));
  Dims wdims;
  const auto pd = conv_pd(b, node, ops, &wdims);
  const dnnl::memory dst = b.define(node.outputs[0], pd.dst_desc());
  TANDEM_ASSIGN_OR_RETURN(std::optional<ConvPd> wino, winograd_instead(b, node, ops, pd));
  if (!wino) return add_conv_step(b, node, pd, wdims, dst);
  // The result goes out in the direct kernel's layout, the one measured_faster() timed.
  if (wino->dst_desc() == pd.dst_desc()) return add_conv_step(b, node, *wino, wdims, dst);
  dnnl::memory tmp = b.scratch(wino->dst_desc());
  TANDEM_RETURN_IF_ERROR(add_conv_step(b, node, *wino, wdims, tmp));
  b.add_step(dnnl::reorder(tmp, dst), {{DNNL_ARG_FROM, tmp}, {DNNL_ARG_TO, dst}});
  return Status::ok();
}

}  // namespace

extern const CpuOp kCpuConv{"Conv", 3, conv_supports, conv_compile};

Result<bool> compile_conv_residual(SegmentBuilder& b, const ir::Node& conv, size_t index, const ConvResidual& fusion) {
  const std::string& residual = fusion.residual;
  // A Split piece not copied yet has no buffer of its own to sum into (the Add reads it in
  // place); and the sum must not clobber what another tensor on the same buffer still needs
  // (the Conv's own input included).
  if (b.is_uncopied_part(residual)) return false;
  std::vector<size_t> fused{fusion.add};
  if (fusion.act >= 0) fused.push_back(size_t(fusion.act));
  if (!b.may_overwrite(residual, index, fused)) return false;
  TANDEM_ASSIGN_OR_RETURN(auto res, b.value(residual));
  // oneDNN 2.6's fast convolutions take no full-tensor binary post-op (it answers with its
  // reference kernel); they take a sum: dst = conv(x) + dst. So the Conv writes into the
  // residual's buffer, in its layout, which nothing reads after the Add (find_conv_residuals).
  dnnl::post_ops ops;
  ops.append_sum(1.0f);
  TANDEM_RETURN_IF_ERROR(append_epilogue(ops, fusion.after));
  Dims wdims, unused;
  convolution_forward::primitive_desc pd;
  try {
    const Md dst = res.get_desc();
    pd = conv_pd(b, conv, ops, &wdims, &dst);
  } catch (const dnnl::error&) {
    return false;  // no primitive writes this layout: the Add runs on its own
  }
  // Only where the same kernel takes the post-op (a slower one would cost more than the Add).
  if (std::string(pd.impl_info_str()) != conv_pd(b, conv, dnnl::post_ops(), &unused).impl_info_str()) return false;
  TANDEM_RETURN_IF_ERROR(b.define_in_place(fusion.output, residual));
  TANDEM_ASSIGN_OR_RETURN(auto dst, b.value(fusion.output));
  TANDEM_RETURN_IF_ERROR(add_conv_step(b, conv, pd, wdims, dst));
  return true;
}

}  // namespace tandem::cpu
