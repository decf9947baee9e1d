// fuse_layer_norm: the decomposed layer normalisation that exporters before opset 17 write,
//   m = ReduceMean(x, trailing axes [k, rank), keepdims)   d = Sub(x, m)
//   v = ReduceMean(Pow(d, 2) or Mul(d, d), the same axes)   y = Div(d, Sqrt(Add(v, eps)))
//   [y = Mul(y, gamma)] [y = Add(y, beta)]                  (either operand order)
// ==> y = LayerNormalization(x, gamma or ones, beta?, axis = k, epsilon = eps).
// Matches on op types and constant initializers only; every intermediate must have exactly the
// uses of the pattern (d: the square and the Div), so a mean read elsewhere is left alone.
#include <algorithm>
#include <optional>
#include <set>

#include "ir/passes/pass_util.h"
#include "ir/passes/passes.h"

namespace tandem::ir {
namespace {

using passes::GraphIndex;

struct LayerNormMatch {
  std::string x;
  int64_t axis = 0;
  float epsilon = 0.0f;
  std::string scale, bias;  // "" when the pattern has no Mul / Add
  std::vector<int> nodes;   // every node of the pattern
  int last = -1;            // the node whose output the LayerNormalization writes
};

bool is_float32(const Graph& g, const std::string& v) {
  const ValueInfo* vi = g.info(v);
  return vi && vi->dtype == DType::kFloat32 && vi->fully_known();
}

// k when `n` is ReduceMean(x, keepdims) over exactly the trailing axes [k, rank) of x; else -1.
int64_t trailing_mean_axis(const Graph& g, const Node& n) {
  const auto* a = std::get_if<ReduceAttrs>(&n.attrs);
  if (n.op_type != "ReduceMean" || !a || !a->keepdims || n.inputs.empty() || n.outputs.size() != 1) return -1;
  const int64_t r = static_cast<int64_t>(passes::rank_of(g, n.inputs[0]));
  std::vector<int64_t> axes;
  for (int64_t ax : a->axes) axes.push_back(ax < 0 ? ax + r : ax);
  std::sort(axes.begin(), axes.end());
  if (axes.empty() || r == 0) return -1;
  const int64_t k = r - static_cast<int64_t>(axes.size());
  for (size_t i = 0; i < axes.size(); ++i)
    if (axes[i] != k + static_cast<int64_t>(i)) return -1;
  return k;
}

// The single reader of `v` (not a graph output), or -1.
int only_reader(const GraphIndex& index, const std::string& v) {
  return index.uses(v) == 1 && index.readers(v).size() == 1 ? index.readers(v)[0] : -1;
}

// The other operand of binary node `n` of type `op` when one operand is `v`.
std::optional<std::string> operand_besides(const Node& n, const char* op, const std::string& v) {
  if (n.op_type != op || n.inputs.size() != 2 || n.outputs.size() != 1) return std::nullopt;
  if (n.inputs[0] == v) return n.inputs[1];
  if (n.inputs[1] == v) return n.inputs[0];
  return std::nullopt;
}

// The value of a constant with one element and rank <= max_rank.
std::optional<double> scalar_value(const Graph& g, const std::string& v, size_t max_rank) {
  const Tensor* t = g.constant(v);
  if (!t || t->numel() != 1 || t->shape().size() > max_rank) return std::nullopt;
  if (t->dtype() != DType::kFloat32 && t->dtype() != DType::kFloat64) return std::nullopt;
  return t->float_at(0);
}

bool is_square_of(const Graph& g, const Node& n, const std::string& d, size_t rank) {
  if (n.outputs.size() != 1) return false;
  if (n.op_type == "Mul") return n.inputs.size() == 2 && n.inputs[0] == d && n.inputs[1] == d;
  if (n.op_type != "Pow" || n.inputs.size() != 2 || n.inputs[0] != d) return false;
  auto e = scalar_value(g, n.inputs[1], rank);
  return e && *e == 2.0;
}

// A constant gamma/beta that broadcasts to x.shape[axis:] without growing y's shape.
bool is_param(const Graph& g, const std::string& p, const LayerNormMatch& m, const std::string& out) {
  const Tensor* t = g.constant(p);
  const ValueInfo* xi = g.info(m.x);
  const ValueInfo* oi = g.info(out);
  return t && t->dtype() == DType::kFloat32 && oi && oi->shape == xi->shape &&
         layer_norm_param_broadcasts(t->shape(), xi->shape, m.axis);
}

// Mul(y, gamma) then Add(., beta), each optional, after the Div that ends the core pattern.
void match_affine_tail(const Graph& g, const GraphIndex& index, LayerNormMatch& m) {
  const std::string* y = &g.nodes[m.last].outputs[0];
  const char* ops[] = {"Mul", "Add"};
  for (const char* op : ops) {
    const int r = only_reader(index, *y);
    if (r < 0) return;
    auto p = operand_besides(g.nodes[r], op, *y);
    if (!p || !is_param(g, *p, m, g.nodes[r].outputs[0])) {
      if (std::string(op) == "Mul") continue;  // no gamma: beta may still follow
      return;
    }
    (std::string(op) == "Mul" ? m.scale : m.bias) = *p;
    m.nodes.push_back(r);
    m.last = r;
    y = &g.nodes[r].outputs[0];
  }
}

std::optional<LayerNormMatch> match_layer_norm(const Graph& g, const GraphIndex& index, int i) {
  LayerNormMatch m;
  m.axis = trailing_mean_axis(g, g.nodes[i]);
  if (m.axis < 0) return std::nullopt;
  m.x = g.nodes[i].inputs[0];
  const size_t rank = passes::rank_of(g, m.x);
  if (!is_float32(g, m.x)) return std::nullopt;
  const int sub = only_reader(index, g.nodes[i].outputs[0]);
  if (sub < 0 || g.nodes[sub].op_type != "Sub" || g.nodes[sub].inputs != std::vector<std::string>{m.x, g.nodes[i].outputs[0]})
    return std::nullopt;
  const std::string& d = g.nodes[sub].outputs[0];
  const std::set<int> d_readers(index.readers(d).begin(), index.readers(d).end());
  if (index.is_graph_output(d) || d_readers.size() != 2) return std::nullopt;
  int sq = -1, div = -1;
  for (int r : d_readers) (is_square_of(g, g.nodes[r], d, rank) ? sq : div) = r;
  if (sq < 0 || div < 0) return std::nullopt;
  const int mean2 = only_reader(index, g.nodes[sq].outputs[0]);
  if (mean2 < 0 || trailing_mean_axis(g, g.nodes[mean2]) != m.axis) return std::nullopt;
  const int add = only_reader(index, g.nodes[mean2].outputs[0]);
  if (add < 0) return std::nullopt;
  auto eps_name = operand_besides(g.nodes[add], "Add", g.nodes[mean2].outputs[0]);
  auto eps = eps_name ? scalar_value(g, *eps_name, rank) : std::nullopt;
  if (!eps) return std::nullopt;
  m.epsilon = static_cast<float>(*eps);
  const int sqrt = only_reader(index, g.nodes[add].outputs[0]);
  if (sqrt < 0 || g.nodes[sqrt].op_type != "Sqrt" || g.nodes[sqrt].inputs.size() != 1) return std::nullopt;
  const Node& dv = g.nodes[div];
  if (dv.op_type != "Div" || dv.inputs != std::vector<std::string>{d, g.nodes[sqrt].outputs[0]} ||
      only_reader(index, g.nodes[sqrt].outputs[0]) != div || dv.outputs.size() != 1)
    return std::nullopt;
  m.nodes = {i, sub, sq, mean2, add, sqrt, div};
  m.last = div;
  match_affine_tail(g, index, m);
  return m;
}

// A float32 initializer of shape `inner` holding constant `param` broadcast over it (a scalar
// gamma, a [1, C] beta, ...), so that backends see one value per element of the group.
std::string row_param(Graph& g, const std::string& param, const Shape& inner, const std::string& base) {
  const Tensor& p = *g.constant(param);
  if (p.shape() == inner) return param;
  const size_t lead = inner.size() - std::min(inner.size(), p.shape().size());
  Shape ps(lead, 1);  // p's dims right-aligned to `inner` (dims left of the group are 1s)
  ps.insert(ps.end(), p.shape().end() - static_cast<std::ptrdiff_t>(inner.size() - lead), p.shape().end());
  Tensor row(inner, DType::kFloat32);
  for (int64_t j = 0; j < row.numel(); ++j) {
    int64_t rem = j, off = 0, stride = 1;
    for (size_t d = inner.size(); d-- > 0;) {
      const int64_t i = rem % inner[d];
      rem /= inner[d];
      if (ps[d] != 1) off += i * stride;
      stride *= ps[d];
    }
    row.data_as<float>()[j] = p.data_as<float>()[off];
  }
  const std::string name = passes::unique_name(g, base);
  g.initializers[name] = row;
  g.values[name] = ValueInfo{DType::kFloat32, inner, true};
  return name;
}

void replace_with_layer_norm(Graph& g, const LayerNormMatch& m) {
  Node ln;
  ln.name = g.nodes[m.last].name;  // the last node goes away, so its name stays unique
  ln.op_type = "LayerNormalization";
  const Shape& xs = g.info(m.x)->shape;
  const Shape inner(xs.begin() + m.axis, xs.end());
  std::string scale = m.scale.empty() ? "" : row_param(g, m.scale, inner, ln.name + "_scale");
  if (scale.empty()) {  // LayerNormalization needs a Scale: ones over the normalised dims
    scale = passes::unique_name(g, ln.name + "_scale");
    g.initializers[scale] = Tensor::from_vector<float>(inner, DType::kFloat32, std::vector<float>(shape_numel(inner), 1.0f));
    g.values[scale] = ValueInfo{DType::kFloat32, inner, true};
  }
  ln.inputs = {m.x, scale};
  if (!m.bias.empty()) ln.inputs.push_back(row_param(g, m.bias, inner, ln.name + "_bias"));
  ln.outputs = {g.nodes[m.last].outputs[0]};
  ln.attrs = LayerNormAttrs{m.axis, m.epsilon, 1};
  std::vector<int> dead;
  for (int i : m.nodes)
    if (i != m.last) {
      g.values.erase(g.nodes[i].outputs[0]);
      dead.push_back(i);
    }
  g.nodes[m.last] = std::move(ln);
  passes::erase_nodes(g, dead);
}

}  // namespace

Status fuse_layer_norm(Graph& g) {
  for (bool changed = true; changed;) {
    changed = false;
    GraphIndex index(g);
    for (size_t i = 0; i < g.nodes.size() && !changed; ++i) {
      auto m = match_layer_norm(g, index, static_cast<int>(i));
      if (!m) continue;
      replace_with_layer_norm(g, *m);
      changed = true;
    }
  }
  passes::drop_dead_values(g);
  return g.verify();
}

}  // namespace tandem::ir
