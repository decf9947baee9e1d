// Helpers shared by the passes in this folder (not part of the IR's public surface).
#pragma once

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

// The epilogue slot of a Conv / ConvTranspose / Gemm / MatMul node, or nullptr for other ops.
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

// Part of fuse_activation (hardswish_pattern.cpp): replaces x * Clip(x+3, 0, 6) / 6 (also with
// Mul by 1/6, and the scale applied before the multiply) and x * HardSigmoid(x) (alpha 1/6,
// beta 0.5) by one HardSwish node. Returns whether anything changed.
bool rewrite_decomposed_hardswish(Graph& g);

}  // namespace tandem::ir::passes
