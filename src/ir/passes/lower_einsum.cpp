// lower_einsum: a two-operand Einsum that is a batched matrix product becomes
// [Transpose] -> MatMul -> [Transpose], which every backend runs (see passes.h for the rules).
#include <algorithm>
#include <optional>

#include "ir/passes/pass_util.h"
#include "ir/passes/passes.h"

namespace tandem::ir {
namespace {

// The dims of each operand in MatMul order and the permutation back to the output's order.
struct Lowering {
  std::vector<int64_t> perm_a, perm_b, perm_out;  // empty: already in order
  Shape a_shape, b_shape, mm_shape;               // after the input transposes; the MatMul's output
};

int64_t position(const std::string& term, char c) { return int64_t(term.find(c)); }

// Identity permutations are left out (no Transpose needed).
std::vector<int64_t> unless_identity(std::vector<int64_t> p) {
  for (size_t i = 0; i < p.size(); ++i)
    if (p[i] != int64_t(i)) return p;
  return {};
}

Shape permuted(const Shape& s, const std::vector<int64_t>& perm) {
  if (perm.empty()) return s;
  Shape out;
  for (int64_t p : perm) out.push_back(s[size_t(p)]);
  return out;
}

std::optional<Lowering> plan_lowering(const EinsumAttrs& e, const Shape& as, const Shape& bs) {
  if (e.inputs.size() != 2) return std::nullopt;
  const std::string &a = e.inputs[0], &b = e.inputs[1], &out = e.output;
  std::string batch, row, col, contracted;
  for (const std::string* t : {&a, &b, &out})
    for (char c : *t)
      if (c == '.' || std::count(t->begin(), t->end(), c) != 1) return std::nullopt;
  for (char c : a) {
    const bool in_b = b.find(c) != std::string::npos, in_out = out.find(c) != std::string::npos;
    if (in_b && in_out) continue;  // batch labels are taken in the output's order below
    if (in_b) contracted += c;
    else if (in_out) row += c;
    else return std::nullopt;  // summed over A alone
  }
  for (char c : b)
    if (a.find(c) == std::string::npos) {
      if (out.find(c) == std::string::npos) return std::nullopt;
      col += c;
    }
  for (char c : out)
    if (a.find(c) != std::string::npos && b.find(c) != std::string::npos) batch += c;
  if (row.size() != 1 || col.size() != 1 || contracted.size() != 1) return std::nullopt;
  Lowering l;
  for (const std::string* t : {&a, &b}) {
    const std::string order = batch + (t == &a ? row + contracted : contracted + col);
    std::vector<int64_t> perm;
    for (char c : order) perm.push_back(position(*t, c));
    (t == &a ? l.perm_a : l.perm_b) = unless_identity(perm);
  }
  const std::string mm = batch + row + col;
  std::vector<int64_t> back;
  for (char c : out) back.push_back(position(mm, c));
  l.perm_out = unless_identity(back);
  l.a_shape = permuted(as, l.perm_a);
  l.b_shape = permuted(bs, l.perm_b);
  l.mm_shape = Shape(l.a_shape.begin(), l.a_shape.end() - 1);
  l.mm_shape.push_back(l.b_shape.back());
  return l;
}

Node make_node(const std::string& name, const std::string& op, std::vector<std::string> ins, std::string out,
               OpAttrs attrs) {
  Node n;
  n.name = name;
  n.op_type = op;
  n.inputs = std::move(ins);
  n.outputs = {std::move(out)};
  n.attrs = std::move(attrs);
  return n;
}

// Replaces Einsum node `i` by its lowering; false when it is not a batched product.
bool try_lower(Graph& g, size_t i) {
  const Node& n = g.nodes[i];
  const auto* e = std::get_if<EinsumAttrs>(&n.attrs);
  if (n.op_type != "Einsum" || !e || n.inputs.size() != 2 || n.outputs.size() != 1) return false;
  const ValueInfo *ai = g.info(n.inputs[0]), *bi = g.info(n.inputs[1]), *yi = g.info(n.outputs[0]);
  if (!ai || !bi || !yi || !ai->fully_known() || !bi->fully_known() || ai->dtype != DType::kFloat32) return false;
  std::optional<Lowering> l = plan_lowering(*e, ai->shape, bi->shape);
  if (!l) return false;
  const Node einsum = n;
  std::vector<Node> seq;
  // Names from distinct bases: the new nodes are not in `g` yet when the next name is made.
  auto transposed = [&](const std::string& x, const std::vector<int64_t>& perm, const Shape& shape, const char* role) {
    if (perm.empty()) return x;
    const std::string t = passes::unique_name(g, einsum.outputs[0] + "_" + role);
    g.values[t] = ValueInfo{DType::kFloat32, shape, true};
    seq.push_back(make_node(passes::unique_name(g, einsum.name + "_transpose_" + role), "Transpose", {x}, t,
                            TransposeAttrs{perm}));
    return t;
  };
  const std::string a = transposed(einsum.inputs[0], l->perm_a, l->a_shape, "a");
  const std::string b = transposed(einsum.inputs[1], l->perm_b, l->b_shape, "b");
  std::string mm_out = einsum.outputs[0];
  if (!l->perm_out.empty()) {
    mm_out = passes::unique_name(g, einsum.outputs[0] + "_einsum_mm");
    g.values[mm_out] = ValueInfo{DType::kFloat32, l->mm_shape, true};
  }
  seq.push_back(make_node(einsum.name, "MatMul", {a, b}, mm_out, MatMulAttrs{}));
  if (!l->perm_out.empty())
    seq.push_back(make_node(passes::unique_name(g, einsum.name + "_transpose_out"), "Transpose", {mm_out},
                            einsum.outputs[0], TransposeAttrs{l->perm_out}));
  g.nodes.erase(g.nodes.begin() + std::ptrdiff_t(i));
  g.nodes.insert(g.nodes.begin() + std::ptrdiff_t(i), seq.begin(), seq.end());
  return true;
}

}  // namespace

Status lower_einsum(Graph& g) {
  for (size_t i = 0; i < g.nodes.size(); ++i) try_lower(g, i);
  passes::drop_dead_values(g);
  return g.verify();
}

}  // namespace tandem::ir
