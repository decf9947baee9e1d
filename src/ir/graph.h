// The IR: a DAG of nodes over named tensors, nodes kept in topological order.
// Tensors are identified by name (as in ONNX). Constants (weights, folded shape tensors) live
// in `initializers`; everything else is produced by a node or is a graph input.
// A Graph is a plain value: passes take one and return a changed copy or edit it in place.
#pragma once

#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "ir/attr_map.h"
#include "ir/ops/op_attrs.h"
#include "tandem/status.h"
#include "tandem/tensor.h"

namespace tandem::ir {

struct ValueInfo {
  DType dtype = DType::kFloat32;
  Shape shape;               // dims < 0 are unknown until the graph is specialised
  bool rank_known = false;   // false when even the rank is unknown
  bool fully_known() const;  // rank known and every dim >= 0
};

struct Node {
  std::string name;                  // unique; the importer invents one when the file has none
  std::string op_type;               // ONNX op type: "Conv", "Relu", ...
  std::vector<std::string> inputs;   // "" marks an absent optional input
  std::vector<std::string> outputs;
  OpAttrs attrs;                     // typed, from the op's parse function
  AttrMap raw_attrs;                 // as given in the file (kept for printing and re-parsing)
};

struct Graph {
  std::string name;
  int opset = 13;                                   // default-domain opset of the model
  std::vector<Node> nodes;                          // topological order
  std::vector<std::string> inputs;                  // runtime inputs (not initializers)
  std::vector<std::string> outputs;
  std::map<std::string, ValueInfo> values;          // every tensor that has info
  std::map<std::string, Tensor> initializers;       // constants

  bool is_constant(const std::string& value) const { return initializers.count(value) != 0; }
  const Tensor* constant(const std::string& value) const;
  const ValueInfo* info(const std::string& value) const;
  // Index of the node producing `value`, or -1 (graph input, constant, unknown).
  int producer_index(const std::string& value) const;
  // For each tensor name, the indices of nodes that read it.
  std::unordered_map<std::string, std::vector<int>> consumers() const;
  // Number of nodes that read `value` plus 1 if it is a graph output.
  int use_count(const std::string& value) const;

  // Whether a tensor `node` reads or writes has open dims (a data-dependent shape, after
  // specialisation; see ir/specialize.h), and whether any tensor of the graph has.
  bool has_open_dims(const Node& node) const;
  bool has_open_dims() const;

  // Checks names are unique, nodes are in topological order, every input is defined.
  Status verify() const;
};

// Human-readable dump, one node a line: "conv_0: Conv(x, w, b) -> y [1,32,112,112] Relu".
std::string graph_to_string(const Graph& g);

}  // namespace tandem::ir
