// matmul_add_to_gemm: Add(MatMul(A[M,K], B[K,N]), bias) with constant B and bias  ==>
// Gemm(A, B, bias[N]). Backends run Gemm as one call with the bias in the epilogue.
#include "ir/passes/pass_util.h"
#include "ir/passes/passes.h"

namespace tandem::ir {
namespace {

using passes::GraphIndex;

bool is_2d_float(const Graph& g, const std::string& name) {
  const ValueInfo* vi = g.info(name);
  return vi && vi->dtype == DType::kFloat32 && vi->fully_known() && vi->shape.size() == 2;
}

// The bias as a [N] tensor when `t` has shape [N] or [1,N] or a single element; else empty.
Tensor bias_as_vector(const Tensor* t, int64_t n) {
  if (!t || t->dtype() != DType::kFloat32) return {};
  const Shape& s = t->shape();
  const bool row = (s.size() == 1 && s[0] == n) || (s.size() == 2 && s[0] == 1 && s[1] == n);
  const bool scalar = t->numel() == 1 && s.size() <= 2;
  if (!row && !scalar) return {};
  Tensor out({n}, DType::kFloat32);
  for (int64_t j = 0; j < n; ++j) out.data_as<float>()[j] = t->data_as<float>()[row ? j : 0];
  return out;
}

// Rewrites the pattern rooted at MatMul node `mm_i`; returns whether it matched.
bool try_rewrite(Graph& g, const GraphIndex& index, int mm_i) {
  const Node& mm = g.nodes[mm_i];
  if (mm.op_type != "MatMul" || mm.inputs.size() != 2 || mm.outputs.size() != 1) return false;
  const std::string& a = mm.inputs[0];
  const std::string& b = mm.inputs[1];
  const std::string& y = mm.outputs[0];
  if (!is_2d_float(g, a) || !is_2d_float(g, b) || !is_2d_float(g, y) || !g.is_constant(b)) return false;
  if (index.uses(y) != 1 || index.readers(y).size() != 1) return false;
  const int add_i = index.readers(y)[0];
  const Node& add = g.nodes[add_i];
  if (add.op_type != "Add" || add.inputs.size() != 2 || add.outputs.size() != 1) return false;
  const std::string& bias_name = add.inputs[0] == y ? add.inputs[1] : add.inputs[0];
  if (bias_name == y) return false;  // Add(y, y)
  const int64_t n = g.info(y)->shape[1];
  Tensor bias = bias_as_vector(g.constant(bias_name), n);
  if (bias.empty()) return false;
  // The Add must not broadcast to more than [M,N] (a [1,1,N] bias would add a dim).
  const ValueInfo* out_info = g.info(add.outputs[0]);
  if (out_info && out_info->rank_known && out_info->shape != g.info(y)->shape) return false;

  std::string bias_vec = bias_name;
  if (g.constant(bias_name)->shape() != Shape{n}) {
    bias_vec = passes::unique_name(g, add.name + "_bias");
    g.initializers[bias_vec] = bias;
    g.values[bias_vec] = ValueInfo{DType::kFloat32, {n}, true};
  }
  Node gemm;
  gemm.name = mm.name;  // mm goes away, so its name stays unique
  gemm.op_type = "Gemm";
  gemm.inputs = {a, b, bias_vec};
  gemm.outputs = {add.outputs[0]};
  gemm.attrs = GemmAttrs{};
  gemm.raw_attrs = {};
  g.values.erase(y);
  // The Gemm takes the Add's place: the bias is a constant, so every input is defined by then.
  g.nodes[add_i] = std::move(gemm);
  passes::erase_nodes(g, {mm_i});
  return true;
}

}  // namespace

Status matmul_add_to_gemm(Graph& g) {
  bool changed = true;
  while (changed) {
    changed = false;
    GraphIndex index(g);
    for (size_t i = 0; i < g.nodes.size() && !changed; ++i) changed = try_rewrite(g, index, static_cast<int>(i));
  }
  passes::drop_dead_values(g);
  return g.verify();
}

}  // namespace tandem::ir
