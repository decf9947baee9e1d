// matmul_add_to_gemm: Add(MatMul(A[M,K], B[K,N]), bias) with constant B and bias  ==>
// Gemm(A, B, bias[N]). Backends run Gemm as one call with the bias in the epilogue.
// Any other MatMul (batched A, e.g. the transformer's [B,N,C] x [C,4C], or a runtime B) with a
// constant bias over its last dim  ==>  MatMul(A, B, bias[N]) with MatMulAttrs::has_bias.
#include "ir/passes/pass_util.h"
#include "ir/passes/passes.h"

namespace tandem::ir {
namespace {

using passes::GraphIndex;
using passes::rank_of;

bool is_2d_float(const Graph& g, const std::string& name) {
  const ValueInfo* vi = g.info(name);
  return vi && vi->dtype == DType::kFloat32 && vi->fully_known() && vi->shape.size() == 2;
}

// A MatMul without a fused bias or activation yet.
bool plain_matmul(const Node& mm) {
  const auto* a = std::get_if<MatMulAttrs>(&mm.attrs);
  return mm.op_type == "MatMul" && a && !a->has_bias && a->epilogue.is_none() && mm.inputs.size() == 2 &&
         mm.outputs.size() == 1;
}

// The bias of shape [N], [1,...,1,N] or one element (of rank <= `max_rank`) as a [N] tensor.
Tensor bias_for_last_dim(const Tensor* t, int64_t n, size_t max_rank) {
  if (!t || t->dtype() != DType::kFloat32 || t->shape().size() > max_rank) return {};
  const Shape& s = t->shape();
  const bool scalar = t->numel() == 1;
  bool row = !s.empty() && s.back() == n;
  for (size_t i = 0; row && i + 1 < s.size(); ++i) row = s[i] == 1;
  if (!row && !scalar) return {};
  Tensor out({n}, DType::kFloat32);
  for (int64_t j = 0; j < n; ++j) out.data_as<float>()[j] = t->data_as<float>()[row ? j : 0];
  return out;
}

// The Add reading MatMul output `y` as its only use, and the name of its other operand; -1 when
// there is none (or the Add broadcasts to a larger shape).
int sole_add_of(const Graph& g, const GraphIndex& index, const std::string& y, std::string& other) {
  if (index.uses(y) != 1 || index.readers(y).size() != 1) return -1;
  const int add_i = index.readers(y)[0];
  const Node& add = g.nodes[add_i];
  if (add.op_type != "Add" || add.inputs.size() != 2 || add.outputs.size() != 1) return -1;
  other = add.inputs[0] == y ? add.inputs[1] : add.inputs[0];
  if (other == y) return -1;  // Add(y, y)
  const ValueInfo* out_info = g.info(add.outputs[0]);
  const ValueInfo* y_info = g.info(y);
  if (!out_info || !y_info || !out_info->rank_known || out_info->shape != y_info->shape) return -1;
  return add_i;
}

// MatMul (not one Gemm takes) + Add(constant bias over the last dim)  ==>  MatMul with the bias.
bool try_fuse_bias(Graph& g, const GraphIndex& index, int mm_i) {
  const Node& mm = g.nodes[mm_i];
  if (!plain_matmul(mm) || rank_of(g, mm.inputs[1]) < 2) return false;
  const std::string& y = mm.outputs[0];
  const ValueInfo* yi = g.info(y);
  if (!yi || !yi->fully_known() || yi->dtype != DType::kFloat32 || yi->shape.size() < 2) return false;
  std::string bias_name;
  const int add_i = sole_add_of(g, index, y, bias_name);
  if (add_i < 0) return false;
  const int64_t n = yi->shape.back();
  Tensor bias = bias_for_last_dim(g.constant(bias_name), n, yi->shape.size());
  if (bias.empty()) return false;
  std::string bias_vec = bias_name;
  if (g.constant(bias_name)->shape() != Shape{n}) {
    bias_vec = passes::unique_name(g, g.nodes[add_i].name + "_bias");
    g.initializers[bias_vec] = bias;
    g.values[bias_vec] = ValueInfo{DType::kFloat32, {n}, true};
  }
  Node fused = mm;
  fused.inputs.push_back(bias_vec);
  fused.outputs = {g.nodes[add_i].outputs[0]};
  std::get<MatMulAttrs>(fused.attrs).has_bias = true;
  g.values.erase(y);
  g.nodes[add_i] = std::move(fused);  // the bias is a constant: every input is defined by then
  passes::erase_nodes(g, {mm_i});
  return true;
}

// Rewrites MatMul(A [M,K], constant B [K,N]) + Add(bias) at node `mm_i` into a Gemm.
bool try_rewrite(Graph& g, const GraphIndex& index, int mm_i) {
  const Node& mm = g.nodes[mm_i];
  if (!plain_matmul(mm)) return false;
  const std::string& a = mm.inputs[0];
  const std::string& b = mm.inputs[1];
  const std::string& y = mm.outputs[0];
  if (!is_2d_float(g, a) || !is_2d_float(g, b) || !is_2d_float(g, y) || !g.is_constant(b)) return false;
  std::string bias_name;
  const int add_i = sole_add_of(g, index, y, bias_name);
  if (add_i < 0) return false;
  const int64_t n = g.info(y)->shape[1];
  Tensor bias = bias_for_last_dim(g.constant(bias_name), n, 2);
  if (bias.empty()) return false;
  std::string bias_vec = bias_name;
  if (g.constant(bias_name)->shape() != Shape{n}) {
    bias_vec = passes::unique_name(g, g.nodes[add_i].name + "_bias");
    g.initializers[bias_vec] = bias;
    g.values[bias_vec] = ValueInfo{DType::kFloat32, {n}, true};
  }
  Node gemm;
  gemm.name = mm.name;  // mm goes away, so its name stays unique
  gemm.op_type = "Gemm";
  gemm.inputs = {a, b, bias_vec};
  gemm.outputs = {g.nodes[add_i].outputs[0]};
  gemm.attrs = GemmAttrs{};
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
    for (size_t i = 0; i < g.nodes.size() && !changed; ++i) {
      changed = try_rewrite(g, index, static_cast<int>(i)) || try_fuse_bias(g, index, static_cast<int>(i));
    }
  }
  passes::drop_dead_values(g);
  return g.verify();
}

}  // namespace tandem::ir
