// Conv + residual Add (+ an activation after it) as one oneDNN convolution: the Conv sums into
// the residual's buffer (a sum post-op; oneDNN 2.6's fast kernels take no full-tensor binary
// post-op), the activation as eltwise post-ops. ResNet's
// blocks end Conv -> Add -> Relu, MobileNetV2's Conv -> Add: without this, each is two or three
// primitives and as many passes over the tensor. A backend-local fusion (the IR keeps the nodes).
#pragma once

#include <map>
#include <string>

#include "backends/cpu/cpu_op.h"

namespace tandem::cpu {

struct ConvResidual {
  size_t add = 0;        // the Add's node index
  std::string residual;  // the Add's other operand
  long act = -1;         // index of an activation node after the Add, fused too (-1: none)
  ir::Epilogue after;    // that activation
  std::string output;    // what the fused primitive writes: the Add's or the activation's output
};

// Conv node index -> its residual fusion: a Conv with no epilogue whose output only an Add of the
// same shape reads; the other operand a tensor of the segment computed before the Conv, not an
// output, that nothing after the Conv reads but the Add (its buffer takes the sum); and an
// activation fused too when it is the Add's only reader.
std::map<size_t, ConvResidual> find_conv_residuals(const ir::Graph& segment);

// Builds the fused primitive for node `index`; false (nothing built) when oneDNN has no fast
// primitive for it, or when the residual's buffer has other readers left (a view of a Split's
// input, or the input of Split pieces still to be read: SegmentBuilder::may_overwrite).
Result<bool> compile_conv_residual(SegmentBuilder& b, const ir::Node& conv, size_t index, const ConvResidual& fusion);

}  // namespace tandem::cpu
