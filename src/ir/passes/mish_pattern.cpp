// Mish written out, as torch.onnx.export writes it below opset 18: Mul(x, Tanh(Softplus(x))) (x on
// either side of the Mul), with the Softplus and Tanh outputs read only by the next node. The
// match becomes one Mish node, which fuse_activation then fuses into a producing Conv/Gemm.
#include <optional>

#include "ir/passes/pass_util.h"

namespace tandem::ir::passes {
namespace {

struct Match {
  std::string x;
  std::vector<int> nodes;
  int last = -1;
};

std::optional<Match> match_mish(const Graph& g, const GraphIndex& index, int s) {
  const Node& sp = g.nodes[s];
  if (sp.op_type != "Softplus" || sp.inputs.size() != 1 || sp.outputs.size() != 1) return std::nullopt;
  const int t = single_reader(index, sp.outputs[0]);
  if (t < 0) return std::nullopt;
  const Node& th = g.nodes[t];
  if (th.op_type != "Tanh" || th.inputs.size() != 1 || th.outputs.size() != 1) return std::nullopt;
  const int m = single_reader(index, th.outputs[0]);
  if (m < 0) return std::nullopt;
  auto o = other_input(g.nodes[m], "Mul", th.outputs[0]);
  if (!o || *o != sp.inputs[0]) return std::nullopt;
  return Match{sp.inputs[0], {s, t, m}, m};
}

}  // namespace

bool rewrite_decomposed_mish(Graph& g) {
  bool any = false;
  for (bool changed = true; changed;) {
    changed = false;
    GraphIndex index(g);
    for (size_t i = 0; i < g.nodes.size() && !changed; ++i) {
      std::optional<Match> m = match_mish(g, index, static_cast<int>(i));
      if (!m) continue;
      Node mish;
      mish.op_type = "Mish";
      mish.inputs = {m->x};
      mish.attrs = ActivationAttrs{Epilogue{ActKind::kMish, 0.0f, 0.0f}};
      replace_pattern(g, m->nodes, m->last, std::move(mish));
      changed = any = true;
    }
  }
  return any;
}

}  // namespace tandem::ir::passes
