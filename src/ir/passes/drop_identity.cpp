// drop_identity: Identity and inference-time Dropout are copies; remove them.
#include <algorithm>

#include "ir/passes/pass_util.h"
#include "ir/passes/passes.h"

namespace tandem::ir {
namespace {

using passes::GraphIndex;

bool is_copy_node(const Graph& g, const Node& node, const GraphIndex& index) {
  if (node.op_type != "Identity" && node.op_type != "Dropout") return false;
  if (node.inputs.empty() || node.inputs[0].empty() || node.outputs.empty() || node.outputs[0].empty())
    return false;
  // A Dropout whose mask someone reads cannot go (the mask would have to be materialised).
  for (size_t k = 1; k < node.outputs.size(); ++k)
    if (!node.outputs[k].empty() && index.uses(node.outputs[k]) > 0) return false;
  // Dropout in training mode (or a mode known only at run time) is not a copy.
  if (node.op_type == "Dropout" && node.inputs.size() > 2 && !node.inputs[2].empty()) {
    const Tensor* mode = g.constant(node.inputs[2]);
    if (!mode || mode->numel() != 1 || mode->int_at(0) != 0) return false;
  }
  return true;
}

// Removes node `i` if it can be; returns whether the graph changed.
bool try_drop(Graph& g, int i, const GraphIndex& index) {
  const Node& node = g.nodes[i];
  if (!is_copy_node(g, node, index)) return false;
  const std::string in = node.inputs[0];
  const std::string out = node.outputs[0];
  if (!index.is_graph_output(out)) {
    passes::replace_reads(g, out, in);
    g.values.erase(out);
    passes::erase_nodes(g, {i});
    return true;
  }
  // `out` must keep its name: rename the producer's output to it, unless `in` has a name that
  // must survive too (graph input, initializer, another graph output).
  const int p = index.producer(in);
  const bool in_is_input = std::find(g.inputs.begin(), g.inputs.end(), in) != g.inputs.end();
  if (p < 0 || in_is_input || g.is_constant(in) || index.is_graph_output(in)) return false;
  for (auto& o : g.nodes[p].outputs)
    if (o == in) o = out;
  passes::replace_reads(g, in, out);
  g.values.erase(in);
  passes::erase_nodes(g, {i});
  return true;
}

}  // namespace

Status drop_identity(Graph& g) {
  bool changed = true;
  while (changed) {
    changed = false;
    GraphIndex index(g);
    for (size_t i = 0; i < g.nodes.size() && !changed; ++i) changed = try_drop(g, static_cast<int>(i), index);
  }
  passes::drop_dead_values(g);
  return g.verify();
}

}  // namespace tandem::ir
