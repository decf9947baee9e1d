// Identity and Dropout (inference): the output is a view of the input.
#include "backends/cpu/cpu_op.h"

namespace tandem::cpu {
namespace {

Status identity_supports(const ir::Graph&, const ir::Node& node) {
  if (node.outputs.size() > 1) return unsupported(node.op_type + " with a mask output");
  return Status::ok();
}

Status identity_compile(SegmentBuilder& b, const ir::Node& node) {
  return b.define_view(node.outputs[0], node.inputs[0], plain_md(b.shape(node.outputs[0])));
}

}  // namespace

extern const CpuOp kCpuIdentity{"Identity", -1, identity_supports, identity_compile};
extern const CpuOp kCpuDropout{"Dropout", 1, identity_supports, identity_compile};

}  // namespace tandem::cpu
