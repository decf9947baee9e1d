// Shape specialisation: fixes a graph's open dims for actual input shapes.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "tandem/status.h"
#include "tandem/tensor.h"

namespace tandem::ir {

// Evaluates one node on host tensors (inputs in node.inputs order, an empty Tensor for an absent
// optional input) and returns its outputs. graph.values holds the node's inferred output infos.
// The reference backend's reference_evaluate_node fits.
using NodeEvaluator =
    std::function<Result<std::vector<Tensor>>(const Graph&, const Node&, const std::vector<Tensor>&)>;

// Returns a copy of `g` in which:
//  - every graph input has the shape given in `input_shapes` (which must name each input once;
//    a wrong rank, a fixed dim that differs, or a missing input is an invalid_argument naming the
//    input, the expected shape with ? for open dims, and the given one);
//  - every value's dtype and shape is inferred and fully known (OpAttrs resolved by each op's
//    infer: Reshape targets, Resize sizes, Slice starts, ...); errors read "node 'x' (Op): ...".
//    The exception: outputs of a data-dependent op (OpDef::data_dependent, NonMaxSuppression)
//    and of every node reading an open-dimmed tensor keep their open dims (rank known), to be
//    fixed at run time by a backend that takes such shapes (the reference interpreter);
//  - every foldable node whose inputs are all constant is evaluated with `eval` and replaced by
//    initializers (shape subgraphs become constant Reshape targets); a Shape node folds from its
//    input's now-known shape whether or not the input is constant. A null `eval` folds only Shape;
//  - folded nodes, initializers no node or output reads, and stale value infos are removed.
// `g` is not changed. Thread safety: reentrant; `eval` is called from the calling thread only.
Result<Graph> specialize(const Graph& g, const std::map<std::string, Shape>& input_shapes, const NodeEvaluator& eval);

}  // namespace tandem::ir
