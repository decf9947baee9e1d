// GELU written out, as exporters write it (torch.onnx.export at opset < 20 has no Gelu op):
//   exact (torch):     Mul(Mul(x, Add(Erf(Div(x, 1.4142135)), 1)), 0.5)
//   tanh (torch):      Mul(0.5, Mul(x, Add(1, Tanh(Mul(0.7978846, Add(x, Mul(0.044715, Mul(x, Mul(x, x)))))))))
//   tanh (HF NewGELU): the same with Pow(x, 3) and 0.5 * x first
// Anchored at the Erf / Tanh node; the inner scale may be Div by sqrt 2 or Mul by 1/sqrt 2, the
// cube Pow(x, 3) or x * (x * x), and the 0.5 may scale x * (1 + f) (Mul 0.5 or Div 2), x, or
// (1 + f). Constants may sit on either side of Add/Mul and must equal the exact values (1e-6).
// Every intermediate must have a single reader. The match becomes one Gelu node, which
// fuse_activation then fuses into a producing Conv/Gemm.
#include <optional>

#include "ir/passes/pass_util.h"

namespace tandem::ir::passes {
namespace {

constexpr float kSqrt2 = 1.41421356237309505f;
constexpr float kInvSqrt2 = 0.70710678118654752f;
constexpr float kSqrt2OverPi = 0.79788456080286536f;
constexpr float kCubeCoeff = 0.044715f;

struct Match {
  std::string x;
  std::vector<int> nodes;  // every node of the pattern; `last` writes the output
  int last = -1;
};

// Is `n` the two-input `op` of `v` and a scalar constant equal to `c` (either order)?
bool is_op_with_constant(const Graph& g, const Node& n, const char* op, const std::string& v, float c, size_t rank) {
  auto o = other_input(n, op, v);
  return o && is_scalar_constant(g, *o, c, rank);
}

// x when `n` is op(x, c) with x computed and c a scalar constant equal to `c` (for Mul and Add
// also op(c, x)); nullopt otherwise.
std::optional<std::string> input_scaled_by(const Graph& g, const Node& n, const std::string& op, float c) {
  if (n.op_type != op || n.inputs.size() != 2 || n.outputs.size() != 1) return std::nullopt;
  for (int side = 0; side < 2; ++side) {
    if (op == "Div" && side == 1) break;  // Div(c, x) is not x / c
    const std::string& x = n.inputs[side];
    if (!g.is_constant(x) && is_scalar_constant(g, n.inputs[1 - side], c, rank_of(g, x))) return x;
  }
  return std::nullopt;
}

// The 0.5 * x * p part, p = (1 + f(x)) the output of node nodes.back(): (x * p) * 0.5,
// (x * p) / 2, x * (p * 0.5) or (x * 0.5) * p.
std::optional<Match> match_tail(const Graph& g, const GraphIndex& index, const std::string& x, const std::string& p,
                                std::vector<int> nodes) {
  const size_t rank = rank_of(g, x);
  const int r = single_reader(index, p);
  if (r < 0) return std::nullopt;
  const Node& rn = g.nodes[r];
  const std::optional<std::string> other = other_input(rn, "Mul", p);
  if (other && *other == x) {  // (x * p) then the half
    const int r2 = single_reader(index, rn.outputs[0]);
    if (r2 < 0) return std::nullopt;
    const Node& half = g.nodes[r2];
    const bool div2 = half.op_type == "Div" && input_scaled_by(g, half, "Div", 2.0f) == rn.outputs[0];
    if (!div2 && !is_op_with_constant(g, half, "Mul", rn.outputs[0], 0.5f, rank)) return std::nullopt;
    nodes.insert(nodes.end(), {r, r2});
    return Match{x, nodes, r2};
  }
  if (is_op_with_constant(g, rn, "Mul", p, 0.5f, rank)) {  // x * (p * 0.5)
    const int r2 = single_reader(index, rn.outputs[0]);
    if (r2 < 0) return std::nullopt;
    auto o = other_input(g.nodes[r2], "Mul", rn.outputs[0]);
    if (!o || *o != x) return std::nullopt;
    nodes.insert(nodes.end(), {r, r2});
    return Match{x, nodes, r2};
  }
  if (other) {  // (x * 0.5) * p
    const int h = index.producer(*other);
    if (h < 0 || single_reader(index, *other) != r || input_scaled_by(g, g.nodes[h], "Mul", 0.5f) != x)
      return std::nullopt;
    nodes.insert(nodes.end(), {h, r});
    return Match{x, nodes, r};
  }
  return std::nullopt;
}

// Index of the Add(v, 1) that is the single reader of `v`, or -1.
int plus_one(const Graph& g, const GraphIndex& index, const std::string& v, size_t rank) {
  const int a = single_reader(index, v);
  return a >= 0 && is_op_with_constant(g, g.nodes[a], "Add", v, 1.0f, rank) ? a : -1;
}

std::optional<Match> match_erf_form(const Graph& g, const GraphIndex& index, int e) {
  const Node& erf = g.nodes[e];
  if (erf.op_type != "Erf" || erf.inputs.size() != 1 || erf.outputs.size() != 1) return std::nullopt;
  const int pu = index.producer(erf.inputs[0]);
  if (pu < 0 || single_reader(index, erf.inputs[0]) != e) return std::nullopt;
  std::optional<std::string> x = input_scaled_by(g, g.nodes[pu], "Div", kSqrt2);
  if (!x) x = input_scaled_by(g, g.nodes[pu], "Mul", kInvSqrt2);
  if (!x) return std::nullopt;
  const int a = plus_one(g, index, erf.outputs[0], rank_of(g, *x));
  if (a < 0) return std::nullopt;
  return match_tail(g, index, *x, g.nodes[a].outputs[0], {pu, e, a});
}

// Appends the nodes computing `c` = x^3 (Pow(x, 3), or x * (x * x) in either order) when each is
// read only by the next; false when `c` is not that.
bool match_cube(const Graph& g, const GraphIndex& index, const std::string& c, const std::string& x, int reader,
                std::vector<int>& nodes) {
  const int pc = index.producer(c);
  if (pc < 0 || single_reader(index, c) != reader) return false;
  const Node& n = g.nodes[pc];
  if (n.op_type == "Pow" && n.inputs.size() == 2 && n.inputs[0] == x) {
    const Tensor* e = g.constant(n.inputs[1]);
    if (!e || e->numel() != 1 || e->shape().size() > rank_of(g, x) || e->dtype() == DType::kBool || e->float_at(0) != 3.0)
      return false;
    nodes.push_back(pc);
    return true;
  }
  const std::optional<std::string> sq = other_input(n, "Mul", x);
  if (!sq || *sq == x) return false;
  const int ps = index.producer(*sq);
  if (ps < 0 || single_reader(index, *sq) != pc) return false;
  const Node& s = g.nodes[ps];
  if (s.op_type != "Mul" || s.inputs.size() != 2 || s.inputs[0] != x || s.inputs[1] != x) return false;
  nodes.insert(nodes.end(), {ps, pc});
  return true;
}

std::optional<Match> match_tanh_form(const Graph& g, const GraphIndex& index, int t) {
  const Node& th = g.nodes[t];
  if (th.op_type != "Tanh" || th.inputs.size() != 1 || th.outputs.size() != 1) return std::nullopt;
  const int pv = index.producer(th.inputs[0]);
  if (pv < 0 || single_reader(index, th.inputs[0]) != t) return std::nullopt;
  const std::optional<std::string> s = input_scaled_by(g, g.nodes[pv], "Mul", kSqrt2OverPi);
  if (!s) return std::nullopt;
  const int ps = index.producer(*s);
  if (ps < 0 || single_reader(index, *s) != pv) return std::nullopt;
  const Node& add = g.nodes[ps];
  if (add.op_type != "Add" || add.inputs.size() != 2) return std::nullopt;
  for (int side = 0; side < 2; ++side) {  // x + k, k = 0.044715 * x^3
    const std::string& x = add.inputs[side];
    const std::string& k = add.inputs[1 - side];
    const int pk = index.producer(k);
    if (g.is_constant(x) || pk < 0 || single_reader(index, k) != ps) continue;
    const std::optional<std::string> cube = input_scaled_by(g, g.nodes[pk], "Mul", kCubeCoeff);
    std::vector<int> nodes;
    if (!cube || !match_cube(g, index, *cube, x, pk, nodes)) continue;
    const int a = plus_one(g, index, th.outputs[0], rank_of(g, x));
    if (a < 0) return std::nullopt;
    nodes.insert(nodes.end(), {pk, ps, pv, t, a});
    return match_tail(g, index, x, g.nodes[a].outputs[0], nodes);
  }
  return std::nullopt;
}

void replace_with_gelu(Graph& g, const Match& m, ActKind kind) {
  Node gelu;
  gelu.op_type = "Gelu";
  gelu.inputs = {m.x};
  gelu.attrs = ActivationAttrs{Epilogue{kind, 0.0f, 0.0f}};
  if (kind == ActKind::kGeluTanh) gelu.raw_attrs.set("approximate", std::string("tanh"));
  replace_pattern(g, m.nodes, m.last, std::move(gelu));
}

}  // namespace

bool rewrite_decomposed_gelu(Graph& g) {
  bool any = false;
  for (bool changed = true; changed;) {
    changed = false;
    GraphIndex index(g);
    for (size_t i = 0; i < g.nodes.size() && !changed; ++i) {
      ActKind kind = ActKind::kGelu;
      std::optional<Match> m = match_erf_form(g, index, static_cast<int>(i));
      if (!m) {
        m = match_tanh_form(g, index, static_cast<int>(i));
        kind = ActKind::kGeluTanh;
      }
      if (!m) continue;
      replace_with_gelu(g, *m, kind);
      changed = any = true;
    }
  }
  return any;
}

}  // namespace tandem::ir::passes
