// Expand -> one reorder from the input seen with the output's dims, stride 0 on every expanded
// (and every added leading) dim, into a plain output.
#include "backends/cpu/cpu_op.h"

namespace tandem::cpu {
namespace {

Status expand_supports(const ir::Graph& graph, const ir::Node& node) {
  const Shape& in = *shape_of(graph, node.inputs[0]);
  const Shape& out = *shape_of(graph, node.outputs[0]);
  if (out.size() < in.size()) return unsupported("Expand to a lower rank");
  for (size_t d = 0; d < in.size(); ++d) {
    const int64_t o = out[out.size() - in.size() + d];
    if (in[d] != 1 && in[d] != o) return unsupported("Expand output does not broadcast the input");
  }
  return Status::ok();
}

Status expand_compile(SegmentBuilder& b, const ir::Node& node) {
  const Shape& in = b.shape(node.inputs[0]);
  const Dims out = to_dims(b.shape(node.outputs[0]));
  dnnl::memory dst = b.define(node.outputs[0], plain_md(out));
  if (shape_numel(b.shape(node.outputs[0])) == 0) return Status::ok();
  const Dims in_strides = plain_strides(to_dims(in));
  Dims strides(out.size(), 0);
  const size_t lead = out.size() - in.size();
  for (size_t d = 0; d < in.size(); ++d) strides[lead + d] = in[d] == 1 ? 0 : in_strides[d];
  TANDEM_ASSIGN_OR_RETURN(auto src, b.strided_view(node.inputs[0], Md(out, dnnl::memory::data_type::f32, strides)));
  b.add_step(dnnl::reorder(src, dst), {{DNNL_ARG_FROM, src}, {DNNL_ARG_TO, dst}});
  return Status::ok();
}

}  // namespace

extern const CpuOp kCpuExpand{"Expand", 1, expand_supports, expand_compile};

}  // namespace tandem::cpu
