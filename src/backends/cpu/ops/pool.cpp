// MaxPool and AveragePool -> oneDNN pooling_v2 (dilations), in the input's layout.
// ceil_mode is expressed as extra end padding that makes oneDNN's floor formula give the
// output size shape inference chose.
#include "backends/cpu/cpu_op.h"

namespace tandem::cpu {
namespace {

struct PoolWindow {
  Dims kernel, strides, dilations, pad_l, pad_r;
  bool extra_pad = false;  // pad_r grew past the model's end pads (ceil_mode)
};

PoolWindow pool_window(const ir::PoolAttrs& a, const Shape& in, const Shape& out) {
  const size_t sp = in.size() - 2;
  PoolWindow w{ints_or(a.kernel_shape, sp, 1), ints_or(a.strides, sp, 1), onednn_dilations(a.dilations, sp),
               pads_begin(a.pads, sp), pads_end(a.pads, sp)};
  for (size_t i = 0; i < sp; ++i) {
    const int64_t eff_k = (w.kernel[i] - 1) * (w.dilations[i] + 1) + 1;
    const int64_t pr = (out[2 + i] - 1) * w.strides[i] + eff_k - in[2 + i] - w.pad_l[i];
    // Floor mode may leave the input's tail unread (pr < the model's pad): oneDNN's floor formula
    // agrees then, so only grow the padding, never shrink it.
    if (pr > w.pad_r[i]) {
      w.extra_pad = true;
      w.pad_r[i] = pr;
    }
  }
  return w;
}

Status pool_supports(const ir::Graph& graph, const ir::Node& node) {
  const auto* a = attrs_of<ir::PoolAttrs>(node);
  if (!a) return internal_error(node.op_type + " without PoolAttrs");
  if (node.outputs.size() > 1) return unsupported("MaxPool with an Indices output");
  const Shape& in = *shape_of(graph, node.inputs[0]);
  if (in.size() < 3 || in.size() > 5) return unsupported(node.op_type + " on rank " + std::to_string(in.size()));
  PoolWindow w = pool_window(*a, in, *shape_of(graph, node.outputs[0]));
  // oneDNN's include-padding average divides by the whole kernel even where ceil_mode's window
  // runs past the end pads; ONNX divides by the part inside the padded input.
  if (a->kind == ir::PoolKind::kAverage && a->count_include_pad && w.extra_pad)
    return unsupported("AveragePool with count_include_pad=1 and a ceil_mode window past the padding");
  return Status::ok();
}

dnnl::algorithm pool_alg(ir::PoolKind kind, bool include_pad) {
  if (kind == ir::PoolKind::kMax) return dnnl::algorithm::pooling_max;
  return include_pad ? dnnl::algorithm::pooling_avg_include_padding : dnnl::algorithm::pooling_avg_exclude_padding;
}

Status pool_compile(SegmentBuilder& b, const ir::Node& node) {
  const auto& a = std::get<ir::PoolAttrs>(node.attrs);
  const Shape& out = b.shape(node.outputs[0]);
  PoolWindow w = pool_window(a, b.shape(node.inputs[0]), out);
  TANDEM_ASSIGN_OR_RETURN(auto src, b.value(node.inputs[0]));
  dnnl::pooling_v2_forward::desc d(dnnl::prop_kind::forward_inference, pool_alg(a.kind, a.count_include_pad),
                                   src.get_desc(), any_md(to_dims(out)), w.strides, w.kernel, w.dilations, w.pad_l,
                                   w.pad_r);
  dnnl::pooling_v2_forward::primitive_desc pd(d, b.engine());
  dnnl::memory dst = b.define(node.outputs[0], pd.dst_desc());
  b.add_step(dnnl::pooling_v2_forward(pd), {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst}});
  return Status::ok();
}

}  // namespace

extern const CpuOp kCpuMaxPool{"MaxPool", -1, pool_supports, pool_compile};
extern const CpuOp kCpuAveragePool{"AveragePool", -1, pool_supports, pool_compile};

}  // namespace tandem::cpu
