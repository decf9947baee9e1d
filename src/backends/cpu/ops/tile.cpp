// Tile -> one reorder. Each repeated dim d is seen as two, [repeats, in_d]: the input with
// strides [0, s_d] (the same elements every repeat), the plain output with [in_d * S_d, S_d].
// oneDNN takes up to 12 dims: a 6-D input with every dim repeated.
#include "backends/cpu/cpu_op.h"

namespace tandem::cpu {
namespace {

Status tile_supports(const ir::Graph& graph, const ir::Node& node) {
  const auto* a = attrs_of<ir::TileAttrs>(node);
  if (!a) return internal_error("Tile without TileAttrs");
  const size_t rank = shape_of(graph, node.inputs[0])->size();
  if (a->repeats.size() != rank) return unsupported("Tile repeats are not resolved");
  if (2 * rank > DNNL_MAX_NDIMS) return unsupported("Tile of rank > 6");
  return Status::ok();
}

Status tile_compile(SegmentBuilder& b, const ir::Node& node) {
  const auto& a = std::get<ir::TileAttrs>(node.attrs);
  const Dims in = to_dims(b.shape(node.inputs[0]));
  const Dims out = to_dims(b.shape(node.outputs[0]));
  dnnl::memory dst = b.define(node.outputs[0], plain_md(out));
  if (shape_numel(b.shape(node.outputs[0])) == 0) return Status::ok();
  const Dims is = plain_strides(in), os = plain_strides(out);
  Dims dims, in_strides, out_strides;
  for (size_t d = 0; d < in.size(); ++d) {
    if (a.repeats[d] != 1) {
      dims.push_back(a.repeats[d]);
      in_strides.push_back(0);
      out_strides.push_back(in[d] * os[d]);
    }
    dims.push_back(in[d]);
    in_strides.push_back(is[d]);
    out_strides.push_back(os[d]);
  }
  using dt = dnnl::memory::data_type;
  TANDEM_ASSIGN_OR_RETURN(auto src, b.strided_view(node.inputs[0], Md(dims, dt::f32, in_strides)));
  TANDEM_ASSIGN_OR_RETURN(auto view, b.strided_view(node.outputs[0], Md(dims, dt::f32, out_strides)));
  b.add_step(dnnl::reorder(src, view), {{DNNL_ARG_FROM, src}, {DNNL_ARG_TO, view}});
  return Status::ok();
}

}  // namespace

extern const CpuOp kCpuTile{"Tile", 1, tile_supports, tile_compile};

}  // namespace tandem::cpu
