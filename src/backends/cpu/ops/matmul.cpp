// MatMul (NumPy batched) -> oneDNN matmul. Ranks are aligned with leading 1s; oneDNN
// broadcasts batch dims of size 1. A 1-D A is a [1, K] row and a 1-D B a [K, 1] column (views,
// and the output is viewed with that dim added). A constant B is packed once; a fused bias is
// oneDNN's bias and the fused activation its eltwise post-ops.
#include "backends/cpu/cpu_op.h"

namespace tandem::cpu {
namespace {

Dims padded(const Shape& s, size_t rank) {
  Dims d(rank - s.size(), 1);
  d.insert(d.end(), s.begin(), s.end());
  return d;
}

// The operands as matrices: A [.., M, K] and B [.., K, N] (1-D ones promoted), and Y with the
// promoted dims kept, all at the same rank.
struct MatMulDims {
  Dims a, b, y;
};

MatMulDims matmul_dims(const Shape& as, const Shape& bs, const Shape& ys) {
  Shape a = as, b = bs, y = ys;
  if (a.size() == 1) {
    a.insert(a.begin(), 1);
    y.insert(y.end() - (bs.size() == 1 ? 0 : 1), 1);
  }
  if (b.size() == 1) {
    b.push_back(1);
    y.push_back(1);
  }
  const size_t rank = std::max(a.size(), b.size());
  return {padded(a, rank), padded(b, rank), padded(y, rank)};
}

Status matmul_supports(const ir::Graph& graph, const ir::Node& node) {
  const auto* a = attrs_of<ir::MatMulAttrs>(node);
  if (!a) return internal_error("MatMul without MatMulAttrs");
  const size_t ra = shape_of(graph, node.inputs[0])->size(), rb = shape_of(graph, node.inputs[1])->size();
  if (std::max(ra, rb) > 6) return unsupported("MatMul of rank > 6");
  if (a->has_bias && (rb < 2 || node.inputs.size() < 3 || !graph.is_constant(node.inputs[2])))
    return unsupported("MatMul with a fused bias that is not a constant over B's columns");
  return eltwise_steps(a->epilogue).status();
}

Status matmul_compile(SegmentBuilder& b, const ir::Node& node) {
  const auto& attrs = std::get<ir::MatMulAttrs>(node.attrs);
  const std::string& an = node.inputs[0];
  const std::string& bn = node.inputs[1];
  const std::string& yn = node.outputs[0];
  const MatMulDims d = matmul_dims(b.shape(an), b.shape(bn), b.shape(yn));
  const Md a_md = plain_md(d.a), b_md = plain_md(d.b);
  const bool b_const = b.graph().is_constant(bn);
  const bool y_view = d.y != to_dims(b.shape(yn));  // a 1-D operand: Y seen with its dim added
  Md bias_md;
  if (attrs.has_bias) {
    Dims bd(d.y.size(), 1);
    bd.back() = d.y.back();
    bias_md = plain_md(bd);
  }
  dnnl::post_ops ops;
  TANDEM_RETURN_IF_ERROR(append_epilogue(ops, attrs.epilogue));
  dnnl::primitive_attr pattr;
  pattr.set_post_ops(ops);
  dnnl::matmul::desc desc(a_md, b_const ? any_md(b_md.dims()) : b_md, bias_md, y_view ? plain_md(d.y) : any_md(d.y));
  dnnl::matmul::primitive_desc pd(desc, pattr, b.engine());

  auto operand = [&](const std::string& name, const Md& md) {
    return to_dims(b.shape(name)) == md.dims() ? b.value_plain(name) : b.plain_view(name, md);
  };
  TANDEM_ASSIGN_OR_RETURN(auto src, operand(an, a_md));
  dnnl::memory weights;
  if (b_const) {
    TANDEM_ASSIGN_OR_RETURN(weights, b.constant_as(bn, b_md, pd.weights_desc()));
  } else {
    TANDEM_ASSIGN_OR_RETURN(weights, operand(bn, b_md));
  }
  dnnl::memory dst;
  if (y_view) {
    b.define(yn, plain_md(b.shape(yn)));
    TANDEM_ASSIGN_OR_RETURN(dst, b.plain_view(yn, plain_md(d.y)));
  } else {
    dst = b.define(yn, pd.dst_desc());
  }
  std::unordered_map<int, dnnl::memory> args{{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, weights}, {DNNL_ARG_DST, dst}};
  if (attrs.has_bias) args[DNNL_ARG_BIAS] = b.make_constant(*b.graph().constant(node.inputs[2]), bias_md);
  b.add_step(dnnl::matmul(pd), std::move(args));
  return Status::ok();
}

}  // namespace

extern const CpuOp kCpuMatMul{"MatMul", -1, matmul_supports, matmul_compile};

}  // namespace tandem::cpu
