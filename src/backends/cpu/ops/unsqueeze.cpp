// Unsqueeze: the same bytes under a new shape — a view of the plain input (a reorder to plain first
// when the producer left it in a blocked layout).
#include "backends/cpu/cpu_op.h"

namespace tandem::cpu {
namespace {

Status unsqueeze_supports(const ir::Graph&, const ir::Node& node) {
  if (!attrs_of<ir::SqueezeAttrs>(node)) return internal_error("Unsqueeze without SqueezeAttrs");
  return Status::ok();
}

Status unsqueeze_compile(SegmentBuilder& b, const ir::Node& node) {
  return b.define_view(node.outputs[0], node.inputs[0], plain_md(b.shape(node.outputs[0])));
}

}  // namespace

extern const CpuOp kCpuUnsqueeze{"Unsqueeze", 1, unsqueeze_supports, unsqueeze_compile};

}  // namespace tandem::cpu
