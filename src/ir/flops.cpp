#include "ir/flops.h"

namespace tandem::ir {
namespace {

int64_t numel_of(const Graph& g, const std::string& name) {
  const ValueInfo* vi = g.info(name);
  if (!vi || !vi->fully_known()) return 0;
  return shape_numel(vi->shape);
}

const Shape* shape_of(const Graph& g, const std::string& name) {
  const ValueInfo* vi = g.info(name);
  if (vi && vi->fully_known()) return &vi->shape;
  if (const Tensor* t = g.constant(name)) return &t->shape();
  return nullptr;
}

}  // namespace

int64_t node_flops(const Graph& g, const Node& node) {
  if (node.outputs.empty()) return 0;
  const int64_t out = numel_of(g, node.outputs[0]);
  if (node.op_type == "Conv" || node.op_type == "ConvTranspose") {
    const Shape* w = node.inputs.size() > 1 ? shape_of(g, node.inputs[1]) : nullptr;
    if (!w || w->size() < 2) return out;
    int64_t per_out = 1;  // C/group * k... for Conv; for ConvTranspose use input elements instead
    for (size_t i = 1; i < w->size(); ++i) per_out *= (*w)[i];
    if (node.op_type == "Conv") return 2 * out * per_out;
    const int64_t in = numel_of(g, node.inputs[0]);
    return 2 * in * per_out;  // each input element scatters into (M/group) * k... outputs
  }
  if (node.op_type == "Gemm" || node.op_type == "MatMul") {
    const Shape* a = shape_of(g, node.inputs[0]);
    if (!a || a->empty()) return out;
    int64_t k = a->back();
    if (auto* gm = std::get_if<GemmAttrs>(&node.attrs); gm && gm->trans_a) k = (*a)[0];
    return 2 * out * k;
  }
  if (node.op_type == "FusedAttention") {
    const auto& a = std::get<AttentionAttrs>(node.attrs);
    const Shape* q = shape_of(g, node.inputs[0]);
    const Shape* k = shape_of(g, node.inputs[1]);
    if (!q || !k || q->size() < 2 || k->size() < 2) return out;
    const int64_t m = a.k_transposed ? k->back() : (*k)[k->size() - 2];
    // Q K^T and P V: 2 * N * M * (D + Dv) per batch; out = batch * N * Dv.
    const int64_t rows = shape_numel(*q) / q->back();  // batch * N
    return 2 * rows * m * q->back() + 2 * out * m;
  }
  if (node.op_type == "Einsum") {
    std::vector<Shape> shapes;
    for (const auto& in : node.inputs) {
      const Shape* s = shape_of(g, in);
      if (!s) return out;
      shapes.push_back(*s);
    }
    auto b = bind_einsum(std::get<EinsumAttrs>(node.attrs), shapes);
    if (!b.is_ok()) return out;
    int64_t all = 1;
    for (const auto& [id, n] : b->size) all *= n;
    return 2 * all;
  }
  return out;
}

int64_t graph_flops(const Graph& g) {
  int64_t f = 0;
  for (const auto& n : g.nodes) f += node_flops(g, n);
  return f;
}

int64_t parameter_count(const Graph& g) {
  int64_t n = 0;
  for (const auto& [name, t] : g.initializers)
    if (t.dtype() == DType::kFloat32 || t.dtype() == DType::kFloat16 || t.dtype() == DType::kFloat64)
      n += t.numel();
  return n;
}

}  // namespace tandem::ir
