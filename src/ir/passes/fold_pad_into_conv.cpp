// fold_pad_into_conv: Pad(x) -> Conv  ==>  Conv(x) with the Pad's spatial pads added to its own.
// TF-style "same" padding (timm tf_* / EfficientNetV2 exports) is a zero Pad before each Conv;
// folded, the Conv runs on the unpadded input and no padded copy is written. Also a Pad of -inf
// before a MaxPool (timm's MaxPool2dSame), whose pads a max pool already ignores, while the
// total pad stays below the window (no ceil_mode, indices output unread).
#include <cmath>

#include "ir/passes/pass_util.h"
#include "ir/passes/passes.h"

namespace tandem::ir {
namespace {

using passes::GraphIndex;

// The Pad's per-dim begin/end pads on the spatial dims (2..rank) when it pads only those, by
// non-negative amounts, with `value`: empty otherwise.
std::vector<int64_t> spatial_pads(const Node& pad, float value) {
  const auto* a = std::get_if<PadAttrs>(&pad.attrs);
  if (!a || a->mode != PadMode::kConstant || a->pads.size() < 6 || a->pads.size() % 2) return {};
  if (a->value != value) return {};
  const size_t r = a->pads.size() / 2;
  for (int64_t p : a->pads)
    if (p < 0) return {};
  if (a->pads[0] || a->pads[1] || a->pads[r] || a->pads[r + 1]) return {};
  std::vector<int64_t> s(a->pads.begin() + 2, a->pads.begin() + r);
  s.insert(s.end(), a->pads.begin() + r + 2, a->pads.end());
  return s;
}

// Adds `extra` to `pads` (both begin dims then end dims); false when the sizes differ.
bool add_pads(std::vector<int64_t>& pads, const std::vector<int64_t>& extra) {
  if (pads.size() != extra.size()) return false;
  for (size_t i = 0; i < pads.size(); ++i) pads[i] += extra[i];
  return true;
}

// Folds the Pad producing input 0 of node `i` into it; true when it did.
bool fold_into(Graph& g, const GraphIndex& index, size_t i) {
  Node& consumer = g.nodes[i];
  if (consumer.inputs.empty()) return false;
  const int p = index.producer(consumer.inputs[0]);
  if (p < 0 || g.nodes[p].op_type != "Pad" || index.uses(consumer.inputs[0]) != 1) return false;
  const Node& pad = g.nodes[p];
  if (auto* c = std::get_if<ConvAttrs>(&consumer.attrs); c && consumer.op_type == "Conv") {
    std::vector<int64_t> pads = c->pads;
    if (!add_pads(pads, spatial_pads(pad, 0.0f))) return false;
    c->pads = pads;
    c->auto_pad = "NOTSET";  // the pads are resolved; re-inference must keep them
  } else if (auto* m = std::get_if<PoolAttrs>(&consumer.attrs); m && m->kind == PoolKind::kMax && !m->ceil_mode) {
    // ceil_mode's last window may not start in the end padding, which the Pad made input.
    for (size_t k = 1; k < consumer.outputs.size(); ++k)
      if (!consumer.outputs[k].empty() && index.uses(consumer.outputs[k]) > 0) return false;  // indices
    std::vector<int64_t> pads = m->pads;
    if (!add_pads(pads, spatial_pads(pad, -INFINITY))) return false;
    const size_t n = m->kernel_shape.size();
    for (size_t d = 0; d < pads.size(); ++d)
      if (n == 0 || pads[d] >= m->kernel_shape[d % n]) return false;  // a window of padding only
    m->pads = pads;
    m->auto_pad = "NOTSET";
  } else {
    return false;
  }
  consumer.inputs[0] = pad.inputs[0];
  passes::erase_nodes(g, {p});
  return true;
}

}  // namespace

Status fold_pad_into_conv(Graph& g) {
  bool changed = true;
  while (changed) {
    changed = false;
    GraphIndex index(g);
    for (size_t i = 0; i < g.nodes.size() && !changed; ++i) changed = fold_into(g, index, i);
  }
  passes::drop_dead_values(g);
  return g.verify();
}

}  // namespace tandem::ir
