// Slice -> a view of the input (offset at the starts, strides times the steps; the input's own
// layout when a step-1 cut falls on block boundaries), as Split's pieces are
// (SegmentBuilder::define_part); a few reorders into a plain output when a stepped dim's last
// element needs a piece of its own (strided_pieces).
// Negative steps are refused: a oneDNN descriptor has no negative strides.
#include "backends/cpu/cpu_op.h"

namespace tandem::cpu {
namespace {

Status slice_supports(const ir::Graph& graph, const ir::Node& node) {
  const auto* a = attrs_of<ir::SliceAttrs>(node);
  if (!a) return internal_error("Slice without SliceAttrs");
  const int64_t rank = static_cast<int64_t>(shape_of(graph, node.inputs[0])->size());
  if (a->axes.size() != a->starts.size() || a->steps.size() != a->starts.size())
    return unsupported("Slice axes/steps are not resolved");
  for (size_t i = 0; i < a->axes.size(); ++i) {
    if (a->axes[i] < 0 || a->axes[i] >= rank) return unsupported("Slice axis is not resolved");
    if (a->steps[i] < 1) return unsupported("Slice with a negative step (cpu runs steps >= 1)");
  }
  return Status::ok();
}

Status slice_compile(SegmentBuilder& b, const ir::Node& node) {
  const auto& a = std::get<ir::SliceAttrs>(node.attrs);
  const Dims out = to_dims(b.shape(node.outputs[0]));
  Dims offsets(out.size(), 0), steps(out.size(), 1);
  for (size_t i = 0; i < a.axes.size(); ++i) {
    offsets[a.axes[i]] = a.starts[i];
    steps[a.axes[i]] = a.steps[i];
  }
  if (shape_numel(b.shape(node.outputs[0])) == 0) {
    b.define(node.outputs[0], plain_md(out));
    return Status::ok();
  }
  const auto pieces = strided_pieces(to_dims(b.shape(node.inputs[0])), out, steps);
  if (pieces.size() == 1) return b.define_part(node.outputs[0], node.inputs[0], out, offsets, steps);
  dnnl::memory dst = b.define(node.outputs[0], plain_md(out));
  for (const StridedPiece& p : pieces) {
    Dims from = offsets;
    for (size_t d = 0; d < from.size(); ++d) from[d] += p.at[d] * steps[d];
    TANDEM_ASSIGN_OR_RETURN(auto src, b.part_of(node.inputs[0], p.dims, from, steps));
    dnnl::memory to = dst;
    if (pieces.size() > 1) {
      TANDEM_ASSIGN_OR_RETURN(to, b.part_of(node.outputs[0], p.dims, p.at, Dims(out.size(), 1)));
    }
    b.add_step(dnnl::reorder(src, to), {{DNNL_ARG_FROM, src}, {DNNL_ARG_TO, to}});
  }
  return Status::ok();
}

}  // namespace

extern const CpuOp kCpuSlice{"Slice", 1, slice_supports, slice_compile};

}  // namespace tandem::cpu
