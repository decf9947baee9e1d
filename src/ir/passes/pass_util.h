// Helpers shared by the passes in this folder (not part of the IR's public surface).
#pragma once

#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "ir/graph.h"

namespace tandem::ir::passes {

// Producer and readers of every tensor, built once; rebuild it after any edit.
class GraphIndex {
 public:
  explicit GraphIndex(const Graph& g);
  // Index of the node producing `value`, or -1.
  int producer(const std::string& value) const;
  // Readers of `value` (a node reading it twice appears twice).
  const std::vector<int>& readers(const std::string& value) const;
  // Readers plus 1 if `value` is a graph output.
  int uses(const std::string& value) const;
  bool is_graph_output(const std::string& value) const { return outputs_.count(value) != 0; }

 private:
  std::unordered_map<std::string, int> producer_;
  std::unordered_map<std::string, std::vector<int>> readers_;
  std::unordered_set<std::string> outputs_;
};

// The epilogue slot of a Conv / ConvTranspose / Gemm / MatMul / BatchNormalization node, or nullptr for other ops.
Epilogue* epilogue_of(Node& node);

// Replaces every read of tensor `from` by `to` (node inputs and graph outputs). Does not touch
// producers.
void replace_reads(Graph& g, const std::string& from, const std::string& to);

// Removes the nodes at `indices` (any order, duplicates allowed), keeping the others' order.
void erase_nodes(Graph& g, std::vector<int> indices);

// Drops `values` entries of tensors that no node produces or reads and that are not graph
// inputs, outputs or initializers; drops initializers nothing reads.
void drop_dead_values(Graph& g);

// A name based on `base` that no tensor, initializer or node uses yet.
std::string unique_name(const Graph& g, const std::string& base);

// True when `value` is a float32 constant with one element equal to `expected` (+-1e-6) and a
// rank no larger than `max_rank` (so broadcasting it cannot grow the other operand's rank).
bool is_scalar_constant(const Graph& g, const std::string& value, float expected, size_t max_rank);

// Rank of `value` from g.values, or 0 when unknown.
size_t rank_of(const Graph& g, const std::string& value);

// Helpers for the pattern rewrites (hardswish_pattern.cpp, gelu_pattern.cpp, mish_pattern.cpp).
// The other input of node `n` when it is a two-input `op` (one output) with `v` as one input.
std::optional<std::string> other_input(const Node& n, const char* op, const std::string& v);
// The single reader of `v` (which must not be a graph output), or -1.
int single_reader(const GraphIndex& index, const std::string& v);
// Replaces the matched nodes `nodes` (whose intermediates only they read) by `replacement`, which
// takes the place, name and output of node `last` (one of `nodes`): the graph stays in
// topological order as long as the replacement's inputs are produced before the first match.
void replace_pattern(Graph& g, const std::vector<int>& nodes, int last, Node replacement);

// Part of fuse_activation (hardswish_pattern.cpp): replaces x * Clip(x+3, 0, 6) / 6 (also with
// Mul by 1/6, and the scale applied before the multiply) and x * HardSigmoid(x) (alpha 1/6,
// beta 0.5) by one HardSwish node. Returns whether anything changed.
bool rewrite_decomposed_hardswish(Graph& g);

// Part of fuse_activation (gelu_pattern.cpp): replaces GELU written out as exporters do
//   exact: 0.5 * x * (1 + Erf(x / sqrt 2))  (Div by sqrt 2 or Mul by 1/sqrt 2)
//   tanh:  0.5 * x * (1 + Tanh(sqrt(2/pi) * (x + 0.044715 * x^3)))  (Pow(x, 3) or x * (x * x))
// with the 0.5 applied last (torch), first to x, or to the (1 + ...) factor, constants on either
// side of the commutative ops, by one Gelu node (kGelu / kGeluTanh). Returns whether anything
// changed.
bool rewrite_decomposed_gelu(Graph& g);

// Part of fuse_activation (mish_pattern.cpp): x * Tanh(Softplus(x)) -> one Mish node.
bool rewrite_decomposed_mish(Graph& g);

}  // namespace tandem::ir::passes
