// Cuts and segments of a specialised graph (nodes in topological order; shapes known except
// data-dependent ones, ir/specialize.h).
//
// Position p (0..n) splits the nodes into [0, p) and [p, n). The tensors *crossing* p are the
// non-constant tensors defined before p (graph inputs, or outputs of nodes [0, p)) that nodes
// [p, n) read or that are graph outputs. A *cut* is a position 1..n-1 crossed by exactly one
// tensor; constants cross freely (each segment takes a copy of the initializers it reads).
// A segment [begin, end) between two positions is what one unit compiles and runs.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "tandem/status.h"

namespace tandem::plan {

// Sum of ir::node_flops (ir/flops.h: Conv/Gemm/MatMul exact, others ~ output numel) over
// nodes [begin, end).
int64_t range_flops(const ir::Graph& graph, int begin, int end);

struct Cut {
  int position = 0;             // nodes [0, position) before, [position, n) after
  std::string tensor;           // the one non-constant tensor crossing
  int64_t flops_before = 0;     // for the graph's whole batch
  int64_t flops_after = 0;
  int64_t bytes_per_image = 0;  // the crossing tensor's bytes divided by its dim 0
};

// Every cut of the graph, in order of position.
std::vector<Cut> find_cuts(const ir::Graph& graph);

// Names of the tensors crossing `position` (0..n), in order of definition (graph inputs first).
std::vector<std::string> crossing_tensors(const ir::Graph& graph, int position);

// Position of the cut whose crossing tensor is `tensor`, or an error naming the tensor.
Result<int> cut_position(const ir::Graph& graph, const std::string& tensor);

// A *split*: the position right after the node producing `tensor` (one of the tensors crossing
// there), where several tensors may cross — a detection head's boxes and scores. Valid when
// every crossing tensor is batch-major (fully known, dim 0 the batch of the graph's first input),
// so that data-parallel units split and gather each of them along dim 0. A cut is a split.
// Error naming the tensor and why otherwise.
Result<int> split_position(const ir::Graph& graph, const std::string& tensor);

// Bytes of one image of `tensor` (its bytes divided by dim 0); 0 when its shape is unknown.
int64_t bytes_per_image(const ir::Graph& graph, const std::string& tensor);

// Nodes [begin, end) as a self-contained graph: inputs are the tensors crossing `begin` (the
// graph's inputs when begin == 0), outputs the tensors crossing `end` (the graph outputs when
// end == n), initializers only those its nodes read, value infos for every tensor it mentions.
// Name: "<graph name>[begin:end)". Error when 0 <= begin < end <= n does not hold.
Result<ir::Graph> extract_segment(const ir::Graph& graph, int begin, int end);

}  // namespace tandem::plan
