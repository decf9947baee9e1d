// Split -> one reorder per output from a strided view of its part of the input (in the input's
// own layout when the cut falls on block boundaries, else in its plain copy) into a plain
// output of its own.
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
    if (!out.empty()) {
      dnnl::memory dst = b.define(out, plain_md(part));
      if (a.split[k] > 0) {
        TANDEM_ASSIGN_OR_RETURN(auto src, b.part_of(node.inputs[0], part, offsets, steps));
        b.add_step(dnnl::reorder(src, dst), {{DNNL_ARG_FROM, src}, {DNNL_ARG_TO, dst}});
      }
    }
    offsets[a.axis] += a.split[k];
  }
  return Status::ok();
}

}  // namespace

extern const CpuOp kCpuSplit{"Split", 1, split_supports, split_compile};

}  // namespace tandem::cpu
