// Arithmetic cost of nodes, for `tandem info`, cuts and the planner's cost model.
#pragma once

#include <cstdint>

#include "ir/graph.h"

namespace tandem::ir {

// Floating-point operations of one node on a specialised graph (a multiply-add counts 2).
// Conv/ConvTranspose/Gemm/MatMul are exact; other ops count one per output element.
int64_t node_flops(const Graph& g, const Node& node);
int64_t graph_flops(const Graph& g);
// Number of elements in float initializers (weights).
int64_t parameter_count(const Graph& g);

}  // namespace tandem::ir
