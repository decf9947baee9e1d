// FusedAttention as oneDNN primitives over one scores buffer S [batch..., N, M]:
//   S = scale * Q K^T (matmul, output scale; K read through a transposed view),
//   S += bias (binary add, S seen as [B/P, P, H, N, M] so a periodic bias is a broadcast),
//   S = softmax(S) over M (in place), Y = S V (matmul; V^T through a view; Y^T via a reorder).
#include "backends/cpu/cpu_op.h"

namespace tandem::cpu {
namespace {

// The logical matrix [.., rows, cols] of a plain buffer stored as `s`, or as `s` with its last
// two dims swapped when `transposed` (then `s` is [.., cols, rows]).
Md matrix_md(const Shape& s, bool transposed) {
  Dims dims = to_dims(s), strides(dims.size(), 1);
  for (int i = static_cast<int>(dims.size()) - 2; i >= 0; --i) strides[i] = strides[i + 1] * dims[i + 1];
  if (transposed) {
    const size_t r = dims.size();
    std::swap(dims[r - 1], dims[r - 2]);
    std::swap(strides[r - 1], strides[r - 2]);
  }
  return Md(dims, dnnl::memory::data_type::f32, strides);
}

Status attention_supports(const ir::Graph& /*graph*/, const ir::Node& node) {
  if (!attrs_of<ir::AttentionAttrs>(node)) return internal_error("FusedAttention without AttentionAttrs");
  return Status::ok();
}

Result<ir::AttentionDims> dims_of(SegmentBuilder& b, const ir::Node& node, const ir::AttentionAttrs& a) {
  const Shape bias = a.has_bias ? b.shape(node.inputs[3]) : Shape{};
  return ir::attention_dims(a, b.shape(node.inputs[0]), b.shape(node.inputs[1]), b.shape(node.inputs[2]),
                            a.has_bias ? &bias : nullptr);
}

// S += bias, with S and the bias seen as 5-D [B/P, P, H, N, M] and [1, P, Hb, Nb, Mb].
Status add_bias(SegmentBuilder& b, const std::string& bias, const ir::AttentionDims& d, const dnnl::memory& s) {
  const Md s5 = plain_md({d.batch / d.bias_batch, d.bias_batch, d.heads, d.n, d.m});
  const Md b5 = plain_md({1, d.bias_batch, d.bias_heads, d.bias_n, d.bias_m});
  dnnl::memory sv(s5, b.engine(), s.get_data_handle());
  TANDEM_ASSIGN_OR_RETURN(auto bv, b.plain_view(bias, b5));
  dnnl::binary::desc desc(dnnl::algorithm::binary_add, s5, b5, s5);
  dnnl::binary::primitive_desc pd(desc, b.engine());
  b.add_step(dnnl::binary(pd), {{DNNL_ARG_SRC_0, sv}, {DNNL_ARG_SRC_1, bv}, {DNNL_ARG_DST, sv}});
  return Status::ok();
}

Status attention_compile(SegmentBuilder& b, const ir::Node& node) {
  const auto& a = std::get<ir::AttentionAttrs>(node.attrs);
  TANDEM_ASSIGN_OR_RETURN(ir::AttentionDims d, dims_of(b, node, a));
  const Shape& qs = b.shape(node.inputs[0]);
  const Shape batch(qs.begin(), qs.end() - 2);
  auto with = [&](int64_t rows, int64_t cols) {
    Dims v(batch.begin(), batch.end());
    v.push_back(rows);
    v.push_back(cols);
    return v;
  };
  // S = scale * Q K^T.
  const Md s_md = plain_md(with(d.n, d.m));
  const Md kt_md = matrix_md(b.shape(node.inputs[1]), !a.k_transposed);  // [.., D, M]
  dnnl::primitive_attr scaled;
  scaled.set_output_scales(0, {a.scale});
  dnnl::matmul::primitive_desc qk(dnnl::matmul::desc(plain_md(to_dims(qs)), kt_md, s_md), scaled, b.engine());
  TANDEM_ASSIGN_OR_RETURN(auto q, b.value_plain(node.inputs[0]));
  TANDEM_ASSIGN_OR_RETURN(auto kt, b.plain_view(node.inputs[1], kt_md));
  dnnl::memory s = b.scratch(s_md);
  b.add_step(dnnl::matmul(qk), {{DNNL_ARG_SRC, q}, {DNNL_ARG_WEIGHTS, kt}, {DNNL_ARG_DST, s}});
  if (a.has_bias) TANDEM_RETURN_IF_ERROR(add_bias(b, node.inputs[3], d, s));
  // P = softmax(S) over M, in place.
  const int axis = static_cast<int>(batch.size()) + 1;
  dnnl::softmax_forward::primitive_desc sm(
      dnnl::softmax_forward::desc(dnnl::prop_kind::forward_inference, s_md, axis), b.engine());
  b.add_step(dnnl::softmax_forward(sm), {{DNNL_ARG_SRC, s}, {DNNL_ARG_DST, s}});
  // Y = P V (Y^T: into scratch, then reordered into the transposed output).
  const Md v_md = matrix_md(b.shape(node.inputs[2]), a.v_transposed);  // [.., M, Dv]
  const Md y_md = plain_md(with(d.n, d.dv));
  dnnl::matmul::primitive_desc pv(dnnl::matmul::desc(s_md, v_md, y_md), b.engine());
  TANDEM_ASSIGN_OR_RETURN(auto v, b.plain_view(node.inputs[2], v_md));
  if (!a.out_transposed) {
    dnnl::memory y = b.define(node.outputs[0], y_md);
    b.add_step(dnnl::matmul(pv), {{DNNL_ARG_SRC, s}, {DNNL_ARG_WEIGHTS, v}, {DNNL_ARG_DST, y}});
    return Status::ok();
  }
  b.define(node.outputs[0], plain_md(to_dims(b.shape(node.outputs[0]))));
  dnnl::memory y = b.scratch(y_md);
  b.add_step(dnnl::matmul(pv), {{DNNL_ARG_SRC, s}, {DNNL_ARG_WEIGHTS, v}, {DNNL_ARG_DST, y}});
  TANDEM_ASSIGN_OR_RETURN(auto yt, b.plain_view(node.outputs[0], matrix_md(b.shape(node.outputs[0]), true)));
  b.add_step(dnnl::reorder(y, yt), {{DNNL_ARG_FROM, y}, {DNNL_ARG_TO, yt}});
  return Status::ok();
}

}  // namespace

extern const CpuOp kCpuFusedAttention{"FusedAttention", -1, attention_supports, attention_compile};

}  // namespace tandem::cpu
