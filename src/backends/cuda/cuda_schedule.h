// Compile-time planning of a segment, independent of the device: which nodes the backend fuses
// into one launch (Conv + residual Add + activation, X + activation), and where each activation
// tensor lives in one arena planned from tensor lifetimes.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "backends/cuda/concat_views.h"
#include "backends/cuda/cuda_context.h"

namespace tandem::cuda {

// Ops in execution order; each op runs at the position of the last node it absorbed.
std::vector<OpInstance> schedule_ops(const ir::Graph& graph, const BackendDiagnostics& diagnostics);

struct ArenaPlan {
  std::map<std::string, size_t> offsets;  // tensor -> byte offset in the arena
  size_t size = 0;                        // bytes
};

// Places every graph input and op output (a node's outputs past the first too, when read) so that tensors alive at the same time never overlap.
// `bytes_of` gives a tensor's size in its device element type.
// Views (plan_concat_views) get no space of their own: their uses keep the viewed tensor alive.
ArenaPlan plan_arena(const ir::Graph& graph, const std::vector<OpInstance>& ops, size_t (*bytes_of)(const ir::Graph&, const std::string&, int elem_size), int elem_size,
                     const ConcatViews& views = {});

}  // namespace tandem::cuda
