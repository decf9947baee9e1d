// Decomposed HardSwish, as exporters write it:
//   PyTorch <1.6 / Keras:  x * Clip(x + 3, 0, 6) / 6      (or * (1/6); or x * (Clip(..) / 6))
//   some converters:       x * HardSigmoid(x)  with alpha = 1/6, beta = 0.5
// Each is replaced by one HardSwish node; fuse_activation then fuses it into a Conv/Gemm.
#include <cmath>
#include <optional>

#include "ir/passes/pass_util.h"

namespace tandem::ir::passes {
namespace {

constexpr float kSixth = 1.0f / 6.0f;

struct Match {
  std::string x;            // the input
  std::vector<int> nodes;   // every node of the pattern; the last one writes the output
  int last = -1;
};

// Is node `n` "v / 6" or "v * (1/6)"?
bool is_div_by_six(const Graph& g, const Node& n, const std::string& v, size_t rank) {
  if (n.op_type == "Div") return n.inputs.size() == 2 && n.inputs[0] == v && is_scalar_constant(g, n.inputs[1], 6.0f, rank);
  auto c = other_input(n, "Mul", v);
  return c && is_scalar_constant(g, *c, kSixth, rank);
}

bool is_relu6(const Graph& g, const Node& n) {
  if (n.op_type != "Clip" || n.outputs.size() != 1) return false;
  for (size_t k = 1; k < n.inputs.size(); ++k)
    if (!n.inputs[k].empty() && !g.is_constant(n.inputs[k])) return false;
  const auto* a = std::get_if<ActivationAttrs>(&n.attrs);
  return a && a->act.kind == ActKind::kClip && std::fabs(a->act.alpha) <= 1e-6f && std::fabs(a->act.beta - 6.0f) <= 1e-6f;
}

// x * Clip(x + 3, 0, 6) / 6 and its variants, anchored at the Clip node `c`.
std::optional<Match> match_clip_form(const Graph& g, const GraphIndex& index, int c) {
  const Node& clip = g.nodes[c];
  if (!is_relu6(g, clip) || clip.inputs.empty()) return std::nullopt;
  const int add = index.producer(clip.inputs[0]);
  if (add < 0 || single_reader(index, clip.inputs[0]) != c) return std::nullopt;
  const Node& add_n = g.nodes[add];
  if (add_n.op_type != "Add" || add_n.inputs.size() != 2) return std::nullopt;
  for (int side = 0; side < 2; ++side) {
    const std::string& x = add_n.inputs[side];
    const size_t rank = rank_of(g, x);
    if (g.is_constant(x) || !is_scalar_constant(g, add_n.inputs[1 - side], 3.0f, rank)) continue;
    const int r1 = single_reader(index, clip.outputs[0]);
    if (r1 < 0) return std::nullopt;
    const Node& n1 = g.nodes[r1];
    // Either (x * clip) / 6 or x * (clip / 6).
    if (auto o = other_input(n1, "Mul", clip.outputs[0]); o && *o == x) {
      const int r2 = single_reader(index, n1.outputs[0]);
      if (r2 >= 0 && is_div_by_six(g, g.nodes[r2], n1.outputs[0], rank)) return Match{x, {add, c, r1, r2}, r2};
    } else if (is_div_by_six(g, n1, clip.outputs[0], rank)) {
      const int r2 = single_reader(index, n1.outputs[0]);
      if (r2 < 0) return std::nullopt;
      if (auto o2 = other_input(g.nodes[r2], "Mul", n1.outputs[0]); o2 && *o2 == x) return Match{x, {add, c, r1, r2}, r2};
    }
    return std::nullopt;
  }
  return std::nullopt;
}

// x * HardSigmoid(x) with alpha 1/6 and beta 0.5, anchored at the HardSigmoid node `h`.
std::optional<Match> match_hardsigmoid_form(const Graph& g, const GraphIndex& index, int h) {
  const Node& hs = g.nodes[h];
  if (hs.op_type != "HardSigmoid" || hs.inputs.empty() || hs.outputs.size() != 1) return std::nullopt;
  const auto* a = std::get_if<ActivationAttrs>(&hs.attrs);
  if (!a || a->act.kind != ActKind::kHardSigmoid || std::fabs(a->act.alpha - kSixth) > 1e-6f ||
      std::fabs(a->act.beta - 0.5f) > 1e-6f)
    return std::nullopt;
  const int m = single_reader(index, hs.outputs[0]);
  if (m < 0) return std::nullopt;
  auto o = other_input(g.nodes[m], "Mul", hs.outputs[0]);
  if (!o || *o != hs.inputs[0]) return std::nullopt;
  return Match{hs.inputs[0], {h, m}, m};
}

void replace_with_hardswish(Graph& g, const Match& m) {
  Node hsw;
  hsw.op_type = "HardSwish";
  hsw.inputs = {m.x};
  hsw.attrs = ActivationAttrs{Epilogue{ActKind::kHardSwish, 0.0f, 0.0f}};
  replace_pattern(g, m.nodes, m.last, std::move(hsw));
}

}  // namespace

bool rewrite_decomposed_hardswish(Graph& g) {
  bool any = false;
  for (bool changed = true; changed;) {
    changed = false;
    GraphIndex index(g);
    for (size_t i = 0; i < g.nodes.size() && !changed; ++i) {
      std::optional<Match> m = match_clip_form(g, index, static_cast<int>(i));
      if (!m) m = match_hardsigmoid_form(g, index, static_cast<int>(i));
      if (!m) continue;
      replace_with_hardswish(g, *m);
      changed = any = true;
    }
  }
  return any;
}

}  // namespace tandem::ir::passes
