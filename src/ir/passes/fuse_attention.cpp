// fuse_attention: the exporters' scaled dot-product attention -> one FusedAttention node, so a
// backend can run it without writing the [batch, N, M] scores (cuda fp16: one flash-style
// kernel). What is matched, from the Softmax outwards (see passes.h for the list):
//   scores = MatMul(Q', K') [* c | / c] [+ bias | Swin's Reshape-Add(mask)-Reshape]
//   P = Softmax(scores, last axis);  Y = MatMul(P, V)  or  Y^T = MatMul(V^T, Transpose(P))
// Everything between Q/K/V and Y must be read only by the pattern.
#include <cmath>
#include <optional>

#include "ir/passes/pass_util.h"
#include "ir/passes/passes.h"

namespace tandem::ir {
namespace {

using passes::GraphIndex;

struct Match {
  AttentionAttrs attrs;
  std::string q, k, v, bias;
  std::optional<Tensor> folded_bias;  // Swin: the two constant terms as one bias
  std::string out;
  int last = -1;            // the final MatMul: FusedAttention takes its place
  std::vector<int> erased;  // every other node of the pattern
};

// The node producing `v` when `v` is read only once (by the pattern); -1 otherwise.
int single_use_producer(const GraphIndex& index, const std::string& v) {
  if (index.uses(v) != 1) return -1;
  return index.producer(v);
}

bool swaps_last_two(const Node& n) {
  const auto* t = std::get_if<TransposeAttrs>(&n.attrs);
  if (n.op_type != "Transpose" || !t || t->perm.size() < 2) return false;
  const size_t r = t->perm.size();
  for (size_t i = 0; i + 2 < r; ++i)
    if (t->perm[i] != int64_t(i)) return false;
  return t->perm[r - 2] == int64_t(r - 1) && t->perm[r - 1] == int64_t(r - 2);
}

// The value of a one-element float32 constant, if `name` is one of rank <= max_rank.
std::optional<float> scalar_value(const Graph& g, const std::string& name, size_t max_rank) {
  const Tensor* t = g.constant(name);
  if (!t || t->dtype() != DType::kFloat32 || t->numel() != 1 || t->shape().size() > max_rank) return std::nullopt;
  return t->data_as<float>()[0];
}

// Walks back from `v` through Mul/Div by scalar constants (each read once), multiplying the
// factors into `scale`; returns the unscaled tensor.
std::string strip_scales(const Graph& g, const GraphIndex& index, std::string v, float& scale, Match& m) {
  while (true) {
    const int p = single_use_producer(index, v);
    if (p < 0) return v;
    const Node& n = g.nodes[p];
    if ((n.op_type != "Mul" && n.op_type != "Div") || n.inputs.size() != 2 || n.outputs.size() != 1) return v;
    const size_t rank = passes::rank_of(g, v);
    std::optional<float> c = scalar_value(g, n.inputs[1], rank);
    std::string x = n.inputs[0];
    if (!c && n.op_type == "Mul") {
      c = scalar_value(g, n.inputs[0], rank);
      x = n.inputs[1];
    }
    if (!c || g.is_constant(x) || (n.op_type == "Div" && *c == 0.0f)) return v;
    scale *= n.op_type == "Mul" ? *c : 1.0f / *c;
    m.erased.push_back(p);
    v = x;
  }
}

// The first product MatMul(Q', K') producing `s` (through scale factors).
bool match_scores(const Graph& g, const GraphIndex& index, const std::string& s, Match& m) {
  float scale = 1.0f;
  const std::string raw = strip_scales(g, index, s, scale, m);
  const int mm = single_use_producer(index, raw);
  if (mm < 0) return false;
  const Node& n = g.nodes[mm];
  const auto* ma = std::get_if<MatMulAttrs>(&n.attrs);
  if (n.op_type != "MatMul" || !ma || ma->has_bias || !ma->epilogue.is_none() || n.inputs.size() != 2) return false;
  m.erased.push_back(mm);
  m.q = strip_scales(g, index, n.inputs[0], scale, m);
  std::string kt = strip_scales(g, index, n.inputs[1], scale, m);
  const int t = single_use_producer(index, kt);
  if (t >= 0 && swaps_last_two(g.nodes[t])) {
    m.erased.push_back(t);
    m.k = strip_scales(g, index, g.nodes[t].inputs[0], scale, m);
  } else {
    m.k = kt;
    m.attrs.k_transposed = true;
  }
  m.attrs.scale = scale;
  return true;
}

// Numpy-broadcast read of `t` at the right-aligned multi-index `idx`.
float broadcast_at(const Tensor& t, const std::vector<int64_t>& idx) {
  const Shape& s = t.shape();
  int64_t off = 0;
  for (size_t d = 0; d < s.size(); ++d) {
    const int64_t i = idx[idx.size() - s.size() + d];
    off = off * s[d] + (s[d] == 1 ? 0 : i);
  }
  return t.data_as<float>()[off];
}

// Swin's shifted-window bias: scores4 = Reshape(Add(Reshape(T, [B, P, H, N, M]), mask), S4)
// with T = scores or scores + c (constants c [1, H, N, M] and mask [1, P, .., N, M]). The two
// terms become one bias [P, H, N, M]: score batch b (= image * P + window) reads b mod P.
bool match_window_bias(const Graph& g, const GraphIndex& index, const std::string& v, Match& m) {
  const int r2 = single_use_producer(index, v);
  if (r2 < 0 || g.nodes[r2].op_type != "Reshape") return false;
  const std::string& u = g.nodes[r2].inputs[0];
  const int a5 = single_use_producer(index, u);
  if (a5 < 0 || g.nodes[a5].op_type != "Add") return false;
  const Node& add = g.nodes[a5];
  const bool mask_first = g.is_constant(add.inputs[0]);
  const Tensor* mask = g.constant(add.inputs[mask_first ? 0 : 1]);
  const std::string& u1 = add.inputs[mask_first ? 1 : 0];
  const int r1 = single_use_producer(index, u1);
  if (!mask || mask->dtype() != DType::kFloat32 || r1 < 0 || g.nodes[r1].op_type != "Reshape") return false;
  const ValueInfo *s4 = g.info(v), *s5 = g.info(u1), *ai = g.info(u);
  const std::string& t = g.nodes[r1].inputs[0];
  const ValueInfo* ti = g.info(t);
  if (!s4 || !s5 || !ti || !ai || s4->shape.size() != 4 || s5->shape.size() != 5 || ti->shape != s4->shape ||
      ai->shape != s5->shape || mask->shape().size() > 5)
    return false;
  const Shape &S4 = s4->shape, &S5 = s5->shape;
  if (S5[0] * S5[1] != S4[0] || S5[2] != S4[1] || S5[3] != S4[2] || S5[4] != S4[3]) return false;
  if (mask->shape().size() == 5 && mask->shape()[0] != 1) return false;  // the mask may not depend on the image
  std::string scores = t;
  const Tensor* c = nullptr;
  const int a4 = single_use_producer(index, t);
  if (a4 >= 0 && g.nodes[a4].op_type == "Add") {
    const Node& n = g.nodes[a4];
    const bool c_first = g.is_constant(n.inputs[0]);
    c = g.constant(n.inputs[c_first ? 0 : 1]);
    const bool per_window_free = c && (c->shape().size() < 4 || (c->shape().size() == 4 && c->shape()[0] == 1));
    if (c && c->dtype() == DType::kFloat32 && per_window_free) {  // the same for every score batch
      scores = n.inputs[c_first ? 1 : 0];
      m.erased.push_back(a4);
    } else {
      c = nullptr;
    }
  }
  if (!match_scores(g, index, scores, m)) return false;
  const int64_t p = S5[1], h = S4[1], n = S4[2], mm = S4[3];
  Tensor bias({p, h, n, mm}, DType::kFloat32);
  float* out = bias.data_as<float>();
  for (int64_t i = 0; i < bias.numel(); ++i) {
    const int64_t j = i % mm, r = i / mm, q = r % n, hh = (r / n) % h, w = r / (n * h);
    out[i] = broadcast_at(*mask, {0, w, hh, q, j}) + (c ? broadcast_at(*c, {0, hh, q, j}) : 0.0f);
  }
  m.folded_bias = std::move(bias);
  m.erased.insert(m.erased.end(), {r2, a5, r1});
  return true;
}

// The scores feeding Softmax input `x`: with a plain bias, with Swin's window bias, or none.
bool match_biased_scores(const Graph& g, const GraphIndex& index, const std::string& x, Match& m) {
  const int add = single_use_producer(index, x);
  if (add >= 0 && g.nodes[add].op_type == "Add" && g.nodes[add].inputs.size() == 2) {
    const Node& n = g.nodes[add];
    for (int side = 0; side < 2; ++side) {
      Match trial = m;
      if (!match_scores(g, index, n.inputs[side], trial)) continue;
      const ValueInfo* si = g.info(n.inputs[side]);
      const ValueInfo* xi = g.info(x);
      if (!si || !xi || si->shape != xi->shape) continue;  // the bias must not broadcast the scores up
      trial.bias = n.inputs[1 - side];
      trial.attrs.has_bias = true;
      trial.erased.push_back(add);
      m = std::move(trial);
      return true;
    }
  }
  if (Match trial = m; match_window_bias(g, index, x, trial)) {
    trial.attrs.has_bias = true;
    m = std::move(trial);
    return true;
  }
  return match_scores(g, index, x, m);
}

// The second product reading P = Softmax output: MatMul(P, V) or MatMul(V^T, Transpose(P)).
bool match_values(const Graph& g, const GraphIndex& index, const std::string& p, Match& m) {
  if (index.uses(p) != 1 || index.readers(p).size() != 1) return false;
  int reader = index.readers(p)[0];
  const Node* n = &g.nodes[reader];
  if (swaps_last_two(*n)) {  // EfficientViT: Y^T = V^T P^T
    const std::string& pt = n->outputs[0];
    if (index.uses(pt) != 1 || index.readers(pt).size() != 1) return false;
    m.erased.push_back(reader);
    reader = index.readers(pt)[0];
    n = &g.nodes[reader];
    if (n->op_type != "MatMul" || n->inputs.size() != 2 || n->inputs[1] != pt || n->inputs[0] == pt) return false;
    m.v = n->inputs[0];
    m.attrs.v_transposed = m.attrs.out_transposed = true;
  } else {
    if (n->op_type != "MatMul" || n->inputs.size() != 2 || n->inputs[0] != p || n->inputs[1] == p) return false;
    m.v = n->inputs[1];
    const int t = single_use_producer(index, m.v);
    if (t >= 0 && swaps_last_two(g.nodes[t])) {  // V written transposed: read it as it is
      m.erased.push_back(t);
      m.v = g.nodes[t].inputs[0];
      m.attrs.v_transposed = true;
    }
  }
  const auto* ma = std::get_if<MatMulAttrs>(&n->attrs);
  if (!ma || ma->has_bias || !ma->epilogue.is_none()) return false;
  m.out = n->outputs[0];
  m.last = reader;
  return true;
}

bool float_of_rank_3_or_4(const Graph& g, const std::string& name) {
  const ValueInfo* vi = g.info(name);
  return vi && vi->fully_known() && vi->dtype == DType::kFloat32 && (vi->shape.size() == 3 || vi->shape.size() == 4);
}

// The whole pattern around Softmax node `s`, with its shapes checked.
std::optional<Match> match_attention(const Graph& g, const GraphIndex& index, int s) {
  const Node& sm = g.nodes[s];
  const auto* sa = std::get_if<SoftmaxAttrs>(&sm.attrs);
  if (sm.op_type != "Softmax" || !sa || sm.inputs.size() != 1 || sm.outputs.size() != 1) return std::nullopt;
  const size_t rank = passes::rank_of(g, sm.inputs[0]);
  if ((rank != 3 && rank != 4) || sa->axis != int64_t(rank) - 1) return std::nullopt;
  Match m;
  m.erased.push_back(s);
  if (!match_biased_scores(g, index, sm.inputs[0], m) || !match_values(g, index, sm.outputs[0], m)) return std::nullopt;
  for (const std::string* t : {&m.q, &m.k, &m.v, &m.out})
    if (!float_of_rank_3_or_4(g, *t)) return std::nullopt;
  Shape bias_shape;
  if (m.folded_bias) bias_shape = m.folded_bias->shape();
  else if (m.attrs.has_bias) {
    const ValueInfo* bi = g.info(m.bias);
    if (!bi || !bi->fully_known() || bi->dtype != DType::kFloat32) return std::nullopt;
    bias_shape = bi->shape;
  }
  auto dims = attention_dims(m.attrs, g.info(m.q)->shape, g.info(m.k)->shape, g.info(m.v)->shape,
                             m.attrs.has_bias ? &bias_shape : nullptr);
  if (!dims.is_ok() || attention_output_shape(m.attrs, g.info(m.q)->shape, *dims) != g.info(m.out)->shape)
    return std::nullopt;
  return m;
}

void rewrite(Graph& g, Match m) {
  if (m.folded_bias) {
    m.bias = passes::unique_name(g, g.nodes[m.last].name + "_attention_bias");
    g.values[m.bias] = ValueInfo{DType::kFloat32, m.folded_bias->shape(), true};
    g.initializers[m.bias] = std::move(*m.folded_bias);
  }
  Node fused;
  fused.name = g.nodes[m.last].name;  // the MatMul goes away, so its name stays unique
  fused.op_type = "FusedAttention";
  fused.inputs = {m.q, m.k, m.v};
  if (m.attrs.has_bias) fused.inputs.push_back(m.bias);
  fused.outputs = {m.out};
  fused.attrs = m.attrs;
  for (int i : m.erased)
    for (const auto& o : g.nodes[i].outputs) g.values.erase(o);
  // At the final MatMul's place every input is defined: Q, K and the bias feed earlier nodes of
  // the pattern, V the final MatMul itself (or a Transpose before it).
  g.nodes[m.last] = std::move(fused);
  passes::erase_nodes(g, m.erased);
}

}  // namespace

Status fuse_attention(Graph& g) {
  bool changed = true;
  while (changed) {
    changed = false;
    GraphIndex index(g);
    for (size_t i = 0; i < g.nodes.size() && !changed; ++i) {
      if (auto m = match_attention(g, index, int(i))) {
        rewrite(g, std::move(*m));
        changed = true;
      }
    }
  }
  passes::drop_dead_values(g);
  return g.verify();
}

}  // namespace tandem::ir
