// The reference backend: plain, readable C++ for every op the IR knows. It is the oracle the
// other backends are tested against, the fallback for odd shapes, and the evaluator used to
// fold constant (shape) subgraphs at compile time.
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "backends/backend.h"

namespace tandem {

Result<std::unique_ptr<Backend>> make_reference_backend();

// The op types of the reference backend's op table, in table order.
std::vector<std::string_view> reference_op_types();

// The reference backend's claim of `node` (its supports()): Ok, or kUnsupported with the reason.
// The cpu backend asks it too, for nodes it runs through the reference kernels.
Status reference_supports(const ir::Graph& graph, const ir::Node& node);

// Evaluates one node on host tensors (inputs in node.inputs order; an absent optional input is
// an empty Tensor). Used by constant folding.
Result<std::vector<Tensor>> reference_evaluate_node(const ir::Graph& graph, const ir::Node& node,
                                                    const std::vector<Tensor>& inputs);

}  // namespace tandem
