// OpDef: what the IR knows about an op type — how to parse its attributes and how to infer its
// output types/shapes. One OpDef per op file; registry.cpp lists them all.
#pragma once

#include <string_view>
#include <vector>

#include "ir/attr_map.h"
#include "ir/graph.h"
#include "tandem/status.h"

namespace tandem::ir {

// Passed to an op's infer function for one node.
// Contract: `inputs[i]` is the info of node.inputs[i] (nullptr for an absent optional input);
// `constants[i]` is its value when it is a constant, else nullptr. The function fills
// `outputs` (one per node output) and may resolve constant inputs into `attrs` (Clip min/max,
// Reshape target, Resize scales, Slice starts, Squeeze axes, ...). Errors name the problem,
// not the node: the caller adds "node 'x' (Op): ".
struct InferContext {
  const Node& node;
  OpAttrs& attrs;
  int opset;
  std::vector<const ValueInfo*> inputs;
  std::vector<const Tensor*> constants;
  std::vector<ValueInfo> outputs;
};

struct OpDef {
  std::string_view op_type;
  // Typed attributes from the file's attributes (opset given for version-dependent ops).
  Result<OpAttrs> (*parse)(const AttrMap& attrs, int opset);
  Status (*infer)(InferContext& ctx);
  // May be evaluated at compile time when every input is constant (shape subgraphs).
  bool foldable = false;
  // Made by a pass, never read from a file (FusedAttention): the importer refuses it.
  bool internal = false;
  // An output's shape depends on input values (NonMaxSuppression's row count): it keeps open
  // dims (-1) after specialisation, and so does every tensor computed from it. Only a backend
  // that takes data-dependent shapes (Backend::takes_dynamic_shapes) runs such nodes.
  bool data_dependent = false;
};

// nullptr when the IR does not know `op_type`.
const OpDef* find_op_def(std::string_view op_type);
// Every op type the IR knows, sorted.
std::vector<std::string_view> known_op_types();

}  // namespace tandem::ir
