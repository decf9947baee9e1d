// Gemm -> oneDNN matmul. Constant B is packed once (alpha folded into it); constant C becomes the
// bias (beta folded in), broadcast as ONNX allows; the fused activation is a post-op.
#include "backends/cpu/cpu_op.h"

namespace tandem::cpu {
namespace {

// 2-D view of a plain [r, c] buffer, transposed when `trans` (logical [c, r]).
Md view_2d(const Shape& s, bool trans) {
  if (!trans) return plain_md(Dims{s[0], s[1]});
  return Md(Dims{s[1], s[0]}, dnnl::memory::data_type::f32, Dims{1, s[1]});
}

// C right-aligned to [M, N] (NumPy): [N] -> [1, N], scalar -> [1, 1].
Dims bias_dims(const Shape& c) {
  Dims d(2 - std::min<size_t>(2, c.size()), 1);
  d.insert(d.end(), c.begin(), c.end());
  return d;
}

Status gemm_supports(const ir::Graph& graph, const ir::Node& node) {
  const auto* a = attrs_of<ir::GemmAttrs>(node);
  if (!a) return internal_error("Gemm without GemmAttrs");
  if (shape_of(graph, node.inputs[0])->size() != 2 || shape_of(graph, node.inputs[1])->size() != 2)
    return unsupported("Gemm inputs must be 2-D");
  if (a->alpha != 1.0f && !graph.is_constant(node.inputs[1]))
    return unsupported("Gemm with alpha != 1 and a non-constant B");
  if (node.inputs.size() > 2 && !node.inputs[2].empty()) {
    if (!graph.is_constant(node.inputs[2])) return unsupported("Gemm with a non-constant C");
    if (shape_of(graph, node.inputs[2])->size() > 2) return unsupported("Gemm C of rank > 2");
  }
  return eltwise_steps(a->epilogue).status();
}

Tensor scaled(const Tensor& t, float k) {
  Tensor out = t.clone();
  float* p = out.data_as<float>();
  for (int64_t i = 0; i < out.numel(); ++i) p[i] *= k;
  return out;
}

Status gemm_compile(SegmentBuilder& b, const ir::Node& node) {
  const auto& a = std::get<ir::GemmAttrs>(node.attrs);
  const std::string& an = node.inputs[0];
  const std::string& bn = node.inputs[1];
  const Shape& as = b.shape(an);
  const Shape& bs = b.shape(bn);
  const int64_t m = a.trans_a ? as[1] : as[0], k = a.trans_a ? as[0] : as[1];
  const int64_t n = a.trans_b ? bs[0] : bs[1];
  const bool b_const = b.graph().is_constant(bn);
  const bool has_c = node.inputs.size() > 2 && !node.inputs[2].empty();
  Md c_md = has_c ? plain_md(bias_dims(b.shape(node.inputs[2]))) : Md();

  dnnl::post_ops ops;
  TANDEM_RETURN_IF_ERROR(append_epilogue(ops, a.epilogue));
  dnnl::primitive_attr attr;
  attr.set_post_ops(ops);
  const Md a_md = view_2d(as, a.trans_a);
  dnnl::matmul::desc d(a_md, b_const ? any_md({k, n}) : view_2d(bs, a.trans_b), c_md, any_md({m, n}));
  dnnl::matmul::primitive_desc pd(d, attr, b.engine());

  TANDEM_ASSIGN_OR_RETURN(auto src, a.trans_a ? b.plain_view(an, a_md) : b.value_plain(an));
  dnnl::memory weights;
  if (b_const && a.alpha != 1.0f) {
    Tensor bt = scaled(*b.graph().constant(bn), a.alpha);
    weights = b.make_constant(bt, plain_md(Dims{bs[0], bs[1]}));  // plain, then packed below
    dnnl::memory packed = b.scratch(pd.weights_desc());
    Md view = view_2d(bs, a.trans_b);
    dnnl::memory v(view, b.engine(), weights.get_data_handle());
    b.run_now(dnnl::reorder(v, packed), {{DNNL_ARG_FROM, v}, {DNNL_ARG_TO, packed}});
    weights = packed;
  } else if (b_const) {
    TANDEM_ASSIGN_OR_RETURN(weights, b.constant_as(bn, view_2d(bs, a.trans_b), pd.weights_desc()));
  } else {
    TANDEM_ASSIGN_OR_RETURN(weights, a.trans_b ? b.plain_view(bn, view_2d(bs, true)) : b.value_plain(bn));
  }
  std::unordered_map<int, dnnl::memory> args{{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, weights}};
  if (has_c) args[DNNL_ARG_BIAS] = b.make_constant(scaled(*b.graph().constant(node.inputs[2]), a.beta), c_md);
  args[DNNL_ARG_DST] = b.define(node.outputs[0], pd.dst_desc());
  b.add_step(dnnl::matmul(pd), std::move(args));
  return Status::ok();
}

}  // namespace

extern const CpuOp kCpuGemm{"Gemm", 3, gemm_supports, gemm_compile};

}  // namespace tandem::cpu
