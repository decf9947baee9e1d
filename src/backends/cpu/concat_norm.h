// Concat along channels -> BatchNormalization (+ Relu) as one pass: each input is normalised
// straight into its channels of the output, relu(a[c] * x + b[c]), and the un-normalised concat
// is never written. DenseNet builds every layer's input this way (torch.cat of all earlier
// features, then norm1 and relu1): as two primitives that is a copy of all the features and a
// pass over the copy, 28% of DenseNet-121's kernel time at batch 16 on 2 cores. A backend-local
// fusion (the IR keeps both nodes), like conv_residual.h.
#pragma once

#include <map>

#include "backends/cpu/cpu_op.h"

namespace tandem::cpu {

// Concat node index -> the BatchNormalization node that alone reads its output: a 4-D float32
// concat along axis 1 that is not a segment output, a BN with constant parameters whose epilogue
// is Relu or none.
std::map<size_t, size_t> find_concat_norms(const ir::Graph& segment);

// Builds the fused step for `concat` and `norm`; false (nothing built) when the inputs' channels
// do not fit the layout (nChw16c needs multiples of 16; otherwise channels-last).
Result<bool> compile_concat_norm(SegmentBuilder& b, const ir::Node& concat, const ir::Node& norm);

}  // namespace tandem::cpu
