// Softmax -> oneDNN softmax on the plain input; opset < 13's 2-D coercion is a view.
#include "backends/cpu/cpu_op.h"

namespace tandem::cpu {
namespace {

Status softmax_supports(const ir::Graph& graph, const ir::Node& node) {
  const auto* a = attrs_of<ir::SoftmaxAttrs>(node);
  if (!a) return internal_error("Softmax without SoftmaxAttrs");
  const int64_t rank = static_cast<int64_t>(shape_of(graph, node.inputs[0])->size());
  if (a->axis < -rank || a->axis >= std::max<int64_t>(rank, 1)) return unsupported("Softmax axis out of range");
  return Status::ok();
}

Status softmax_compile(SegmentBuilder& b, const ir::Node& node) {
  const auto& a = std::get<ir::SoftmaxAttrs>(node.attrs);
  const Shape& in = b.shape(node.inputs[0]);
  const int64_t rank = static_cast<int64_t>(in.size());
  int axis = static_cast<int>(a.axis < 0 ? a.axis + rank : a.axis);
  Md md = plain_md(in);
  if (a.coerce_2d) {
    int64_t outer = 1, inner = 1;
    for (int64_t i = 0; i < rank; ++i) (i < axis ? outer : inner) *= in[i];
    md = plain_md(Dims{outer, inner});
    axis = 1;
  }
  TANDEM_ASSIGN_OR_RETURN(auto src, a.coerce_2d ? b.plain_view(node.inputs[0], md) : b.value_plain(node.inputs[0]));
  dnnl::softmax_forward::desc d(dnnl::prop_kind::forward_inference, md, axis);
  dnnl::softmax_forward::primitive_desc pd(d, b.engine());
  b.define(node.outputs[0], plain_md(b.shape(node.outputs[0])));
  TANDEM_ASSIGN_OR_RETURN(auto dst, b.plain_view(node.outputs[0], md));  // the output seen as `md`
  b.add_step(dnnl::softmax_forward(pd), {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst}});
  return Status::ok();
}

}  // namespace

extern const CpuOp kCpuSoftmax{"Softmax", -1, softmax_supports, softmax_compile};

}  // namespace tandem::cpu
