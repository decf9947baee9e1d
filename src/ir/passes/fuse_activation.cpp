// fuse_activation: moves elementwise activations into the epilogue of the Conv /
// ConvTranspose / Gemm that produces their input, so backends apply them while the output is
// still in registers/cache. Decomposed HardSwish, GELU and Mish forms are first collapsed into one
// node each (hardswish_pattern.cpp, gelu_pattern.cpp, mish_pattern.cpp) so that they fuse like
// any other activation.
#include <optional>

#include "ir/passes/pass_util.h"
#include "ir/passes/passes.h"

namespace tandem::ir {
namespace {

using passes::GraphIndex;

// The epilogue equivalent to activation node `n`, if it is one we fuse. Gelu's kind is kGelu or
// kGeluTanh (its `approximate`), so a node's kind is accepted when it is one of its op's kinds.
std::optional<Epilogue> activation_epilogue(const Graph& g, const Node& n) {
  static const std::pair<const char*, ActKind> kActs[] = {
      {"Relu", ActKind::kRelu},           {"Clip", ActKind::kClip},         {"HardSigmoid", ActKind::kHardSigmoid},
      {"HardSwish", ActKind::kHardSwish}, {"Sigmoid", ActKind::kSigmoid},   {"LeakyRelu", ActKind::kLeakyRelu},
      {"Tanh", ActKind::kTanh},           {"Gelu", ActKind::kGelu},         {"Gelu", ActKind::kGeluTanh},
      {"Softplus", ActKind::kSoftplus},   {"Elu", ActKind::kElu},           {"Selu", ActKind::kSelu},
      {"Mish", ActKind::kMish},
  };
  const auto* attrs = std::get_if<ActivationAttrs>(&n.attrs);
  if (!attrs || n.inputs.empty() || n.outputs.size() != 1) return std::nullopt;
  for (const auto& [op, kind] : kActs) {
    if (n.op_type != op) continue;
    // Clip min/max must have been resolved from constants (a runtime min/max cannot fuse).
    for (size_t k = 1; k < n.inputs.size(); ++k)
      if (!n.inputs[k].empty() && !g.is_constant(n.inputs[k])) return std::nullopt;
    if (attrs->act.kind == kind) return attrs->act;
    if (attrs->act.kind != ActKind::kNone) continue;  // Gelu's other kind
    // Parameter-free activations need nothing from the attrs; the others do.
    const bool param_free = kind == ActKind::kRelu || kind == ActKind::kSigmoid || kind == ActKind::kHardSwish ||
                            kind == ActKind::kTanh || kind == ActKind::kSoftplus || kind == ActKind::kMish;
    if (param_free && attrs->act.kind == ActKind::kNone) return Epilogue{kind, 0.0f, 0.0f};
    return std::nullopt;
  }
  return std::nullopt;
}

// Index of the Conv/ConvTranspose/Gemm/MatMul (or standalone BatchNormalization: DenseNet's and
// pre-activation nets' BN -> Relu) producing `x` with no epilogue and exactly `uses` uses of `x`,
// or -1.
int fusable_producer(Graph& g, const GraphIndex& index, const std::string& x, int uses) {
  const int p = index.producer(x);
  if (p < 0 || index.uses(x) != uses) return -1;
  Node& prod = g.nodes[p];
  if (prod.op_type != "Conv" && prod.op_type != "ConvTranspose" && prod.op_type != "Gemm" && prod.op_type != "MatMul" &&
      prod.op_type != "BatchNormalization")
    return -1;
  Epilogue* ep = passes::epilogue_of(prod);
  if (!ep || !ep->is_none() || prod.outputs.size() != 1) return -1;
  return p;
}

// Sets the producer's epilogue, makes it write `y` directly and drops the fused nodes.
void fuse_into(Graph& g, int p, const Epilogue& e, const std::string& y, std::vector<int> fused) {
  Node& prod = g.nodes[p];
  *passes::epilogue_of(prod) = e;
  g.values.erase(prod.outputs[0]);
  prod.outputs[0] = y;
  passes::erase_nodes(g, std::move(fused));
}

bool try_fuse_activation(Graph& g, const GraphIndex& index, int i) {
  const Node& act = g.nodes[i];
  std::optional<Epilogue> e = activation_epilogue(g, act);
  if (!e) return false;
  const int p = fusable_producer(g, index, act.inputs[0], 1);
  if (p < 0) return false;
  fuse_into(g, p, *e, act.outputs[0], {i});
  return true;
}

// SiLU: Mul(x, Sigmoid(x)) with x from a Conv/Gemm read only by these two nodes.
bool try_fuse_silu(Graph& g, const GraphIndex& index, int i) {
  const Node& mul = g.nodes[i];
  if (mul.op_type != "Mul" || mul.inputs.size() != 2 || mul.outputs.size() != 1) return false;
  for (int side = 0; side < 2; ++side) {
    const std::string& x = mul.inputs[side];
    const std::string& s = mul.inputs[1 - side];
    const int sig = index.producer(s);
    if (sig < 0 || index.uses(s) != 1) continue;
    const Node& sn = g.nodes[sig];
    if (sn.op_type != "Sigmoid" || sn.inputs.empty() || sn.inputs[0] != x) continue;
    const int p = fusable_producer(g, index, x, 2);
    if (p < 0) continue;
    g.values.erase(s);
    fuse_into(g, p, Epilogue{ActKind::kSiLU, 0.0f, 0.0f}, mul.outputs[0], {sig, i});
    return true;
  }
  return false;
}

// Applies `rule` at the first node where it matches, until it matches nowhere.
bool apply_everywhere(Graph& g, bool (*rule)(Graph&, const GraphIndex&, int)) {
  bool any = false;
  bool changed = true;
  while (changed) {
    changed = false;
    GraphIndex index(g);
    for (size_t i = 0; i < g.nodes.size() && !changed; ++i) changed = rule(g, index, static_cast<int>(i));
    any = any || changed;
  }
  return any;
}

}  // namespace

Status fuse_activation(Graph& g) {
  passes::rewrite_decomposed_hardswish(g);
  passes::rewrite_decomposed_gelu(g);
  passes::rewrite_decomposed_mish(g);
  apply_everywhere(g, try_fuse_silu);
  apply_everywhere(g, try_fuse_activation);
  passes::drop_dead_values(g);
  return g.verify();
}

}  // namespace tandem::ir
