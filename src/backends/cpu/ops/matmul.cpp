// MatMul (NumPy batched) -> oneDNN matmul. Ranks are aligned with leading 1s; oneDNN
// broadcasts batch dims of size 1. A constant B is packed once.
#include "backends/cpu/cpu_op.h"

namespace tandem::cpu {
namespace {

Dims padded(const Shape& s, size_t rank) {
  Dims d(rank - s.size(), 1);
  d.insert(d.end(), s.begin(), s.end());
  return d;
}

Status matmul_supports(const ir::Graph& graph, const ir::Node& node) {
  if (!attrs_of<ir::MatMulAttrs>(node)) return internal_error("MatMul without MatMulAttrs");
  size_t ra = shape_of(graph, node.inputs[0])->size(), rb = shape_of(graph, node.inputs[1])->size();
  if (ra < 2 || rb < 2) return unsupported("MatMul with a 1-D input");
  if (std::max(ra, rb) > 6) return unsupported("MatMul of rank > 6");
  return Status::ok();
}

Status matmul_compile(SegmentBuilder& b, const ir::Node& node) {
  const std::string& an = node.inputs[0];
  const std::string& bn = node.inputs[1];
  const Shape& out = b.shape(node.outputs[0]);
  const size_t rank = out.size();
  const Md a_md = plain_md(padded(b.shape(an), rank));
  const Md b_md = plain_md(padded(b.shape(bn), rank));
  const bool b_const = b.graph().is_constant(bn);
  dnnl::matmul::desc d(a_md, b_const ? any_md(b_md.dims()) : b_md, any_md(to_dims(out)));
  dnnl::matmul::primitive_desc pd(d, b.engine());

  TANDEM_ASSIGN_OR_RETURN(auto src, b.shape(an).size() == rank ? b.value_plain(an) : b.plain_view(an, a_md));
  dnnl::memory weights;
  if (b_const) {
    TANDEM_ASSIGN_OR_RETURN(weights, b.constant_as(bn, b_md, pd.weights_desc()));
  } else {
    TANDEM_ASSIGN_OR_RETURN(weights, b.shape(bn).size() == rank ? b.value_plain(bn) : b.plain_view(bn, b_md));
  }
  dnnl::memory dst = b.define(node.outputs[0], pd.dst_desc());
  b.add_step(dnnl::matmul(pd), {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, weights}, {DNNL_ARG_DST, dst}});
  return Status::ok();
}

}  // namespace

extern const CpuOp kCpuMatMul{"MatMul", -1, matmul_supports, matmul_compile};

}  // namespace tandem::cpu
