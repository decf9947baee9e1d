// fuse_add_layer_norm: the residual stream of a pre-norm transformer block, x = x + f(LN(x)),
//   s = Add(a, b)    y = LayerNormalization(s, scale, bias)
// ==> y [, s] = AddLayerNorm(a, b, scale, bias)   (s kept as an output only when read elsewhere)
// so that a backend computes the sum and normalises it in one pass (ViT, DeiT, Swin, MobileViT,
// EfficientFormer: every LayerNormalization but the first reads such an Add).
#include "ir/passes/pass_util.h"
#include "ir/passes/passes.h"

namespace tandem::ir {
namespace {

using passes::GraphIndex;

bool same_float32_shape(const Graph& g, const std::string& v, const Shape& shape) {
  const ValueInfo* vi = g.info(v);
  return vi && vi->dtype == DType::kFloat32 && vi->fully_known() && vi->shape == shape;
}

// Whether `v` is available before node `at` runs: a constant, a graph input, or an earlier output.
bool available_before(const Graph& g, const GraphIndex& index, const std::string& v, int at) {
  if (v.empty() || g.is_constant(v)) return true;
  const int p = index.producer(v);
  return p < at;  // -1: a graph input
}

// The index of the Add that the LayerNormalization at `ln` can absorb, or -1.
int fusable_add(const Graph& g, const GraphIndex& index, int ln) {
  const Node& n = g.nodes[ln];
  if (n.op_type != "LayerNormalization" || n.inputs.size() < 2) return -1;
  for (size_t k = 1; k < n.outputs.size(); ++k)  // Mean / InvStdDev: only LayerNormalization has them
    if (!n.outputs[k].empty() && index.uses(n.outputs[k]) > 0) return -1;
  const std::string& s = n.inputs[0];
  const int add = index.producer(s);
  if (add < 0) return -1;
  const Node& a = g.nodes[add];
  if (a.op_type != "Add" || a.inputs.size() != 2 || a.outputs.size() != 1) return -1;
  const ValueInfo* si = g.info(s);
  if (!si || !same_float32_shape(g, s, si->shape)) return -1;
  for (const auto& in : a.inputs)  // two runtime tensors of the sum's shape: no broadcast
    if (g.is_constant(in) || !same_float32_shape(g, in, si->shape)) return -1;
  for (size_t k = 1; k < n.inputs.size(); ++k)
    if (!available_before(g, index, n.inputs[k], add)) return -1;
  return add;
}

void fuse(Graph& g, const GraphIndex& index, int add, int ln) {
  const Node& a = g.nodes[add];
  const Node& n = g.nodes[ln];
  const std::string s = a.outputs[0];
  Node fused;
  fused.name = n.name;  // the LayerNormalization goes away, so its name stays unique
  fused.op_type = "AddLayerNorm";
  fused.inputs = {a.inputs[0], a.inputs[1]};
  fused.inputs.insert(fused.inputs.end(), n.inputs.begin() + 1, n.inputs.end());
  fused.outputs = {n.outputs[0]};
  fused.attrs = n.attrs;
  if (index.uses(s) > 1) {
    fused.outputs.push_back(s);
  } else {
    g.values.erase(s);
  }
  for (size_t k = 1; k < n.outputs.size(); ++k)
    if (!n.outputs[k].empty()) g.values.erase(n.outputs[k]);
  // At the Add's place: its inputs are there, and every reader of the sum and of Y comes later.
  g.nodes[add] = std::move(fused);
  passes::erase_nodes(g, {ln});
}

}  // namespace

Status fuse_add_layer_norm(Graph& g) {
  for (bool changed = true; changed;) {
    changed = false;
    GraphIndex index(g);
    for (size_t i = 0; i < g.nodes.size() && !changed; ++i) {
      const int add = fusable_add(g, index, static_cast<int>(i));
      if (add < 0) continue;
      fuse(g, index, add, static_cast<int>(i));
      changed = true;
    }
  }
  passes::drop_dead_values(g);
  return g.verify().with_context("after fuse_add_layer_norm");
}

}  // namespace tandem::ir
