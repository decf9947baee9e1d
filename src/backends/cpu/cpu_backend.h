// The CPU backend on oneDNN 2.6: blocked/NHWC layouts chosen by oneDNN, weights reordered once at
// compile, activations kept in oneDNN's layout between ops, fused epilogues (post-ops).
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "backends/backend.h"

namespace tandem {

Result<std::unique_ptr<Backend>> make_cpu_backend();

// The op types of the cpu backend's own op table, in table order (nodes of other types run
// through the reference fallback). Static data: needs no oneDNN engine.
std::vector<std::string_view> cpu_op_types();
// The cpu backend's claim of `node` (its supports()), without a backend object.
Status cpu_supports(const ir::Graph& graph, const ir::Node& node);

}  // namespace tandem
