// Splits without copies (issue 12, item 2). A Split's output becomes a view of its part of the
// input (concat_views.h's ConcatView) instead of a copy, where the layout allows:
// - Packed pieces: the split dim is the outermost one (in the storage order) that is not 1 — the
//   transformer's qkv Split of [3, B, heads, N, d] along dim 0, a batch split of NHWC — so each
//   piece is a packed tensor at an offset. Every op reads it; it may be a graph output.
// - Channel pieces: a Split of a 4-D tensor along the channels (CSP-DarkNet, Res2Net and MixNet
//   blocks; strided in either layout) is a channel view (DevTensor::storage) when every reader
//   of the piece reads views there (CudaOp::reads_views for input 0, ::reads_any_view for every
//   input: the Split -> Concat chains of CSP and Res2Net), and it is no graph output. A piece read
//   by anything else (a Conv, a residual fused into a Conv) keeps its packed copy.
// Not when the input is a constant or a view itself. The Split copies
// only the outputs that are no views (OpInstance::in_place, for a Split: its outputs).
#pragma once

#include <vector>

#include "backends/cuda/concat_views.h"

namespace tandem::cuda {

// Adds the Split pieces' views to `views` (planned by plan_concat_views first) and marks them.
void plan_split_views(const ir::Graph& graph, std::vector<OpInstance>& ops, bool channels_last, ConcatViews& views);

}  // namespace tandem::cuda
