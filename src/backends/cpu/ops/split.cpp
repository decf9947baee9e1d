// Split -> each output a view of its part of the input (SegmentBuilder::define_part): packed
// along the outermost dim, else a strided view (in the input's own layout when the cut falls on
// block boundaries, else in its plain copy) that readers taking any layout read in place and
// the others get copied into a plain buffer of its own.
#include "backends/cpu/cpu_op.h"

namespace tandem::cpu {
namespace {

Status split_supports(const ir::Graph& graph, const ir::Node& node) {
  const auto* a = attrs_of<ir::SplitAttrs>(node);
  if (!a) return internal_error("Split without SplitAttrs");
  const size_t rank = shape_of(graph, node.inputs[0])->size();
  if (rank == 0 || a->axis < 0 || a->axis >= static_cast<int64_t>(rank)) return unsupported("Split axis is not resolved");
  if (a->split.size() != node.outputs.size()) return unsupported("Split sizes are not resolved");
  return Status::ok();
}

Status split_compile(SegmentBuilder& b, const ir::Node& node) {
  const auto& a = std::get<ir::SplitAttrs>(node.attrs);
  const Dims in = to_dims(b.shape(node.inputs[0]));
  Dims offsets(in.size(), 0);
  const Dims steps(in.size(), 1);
  for (size_t k = 0; k < node.outputs.size(); ++k) {
    Dims part = in;
    part[a.axis] = a.split[k];
    const std::string& out = node.outputs[k];
    if (!out.empty() && a.split[k] > 0) {
      TANDEM_RETURN_IF_ERROR(b.define_part(out, node.inputs[0], part, offsets, steps));
    } else if (!out.empty()) {
      b.define(out, plain_md(part));
    }
    offsets[a.axis] += a.split[k];
  }
  return Status::ok();
}

}  // namespace

extern const CpuOp kCpuSplit{"Split", 1, split_supports, split_compile};

}  // namespace tandem::cpu
