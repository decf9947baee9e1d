// One reference kernel per op file (ops/<op>.cpp); op_table.cpp lists them. The same entry
// answers supports() and runs the op, so claim and compute cannot drift apart.
#pragma once

#include <string_view>
#include <vector>

#include "ir/graph.h"
#include "tandem/status.h"
#include "tandem/tensor.h"

namespace tandem::reference {

// Contract: `inputs[i]` is node.inputs[i] (empty Tensor for an absent optional input).
// The kernel allocates `outputs` (one per node output) with the shapes in graph.values, through
// alloc_output() (ref_util.h), which reuses a tensor the caller put there with that shape and dtype.
struct RefOpContext {
  const ir::Graph& graph;
  const ir::Node& node;
  const std::vector<Tensor>& inputs;
  std::vector<Tensor>& outputs;
};

struct RefOp {
  std::string_view op_type;
  // (optional; nullptr means every node of this type) Narrower claim, with the reason.
  Status (*supports)(const ir::Graph& graph, const ir::Node& node);
  Status (*run)(RefOpContext& ctx);
};

// nullptr when the reference backend has no kernel for `op_type`.
const RefOp* find_ref_op(std::string_view op_type);

}  // namespace tandem::reference
