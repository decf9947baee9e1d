// Add, Sub, Mul, Div with NumPy broadcasting -> oneDNN binary. oneDNN broadcasts only its second
// input, so when the first one broadcasts the operands are swapped (Add, Mul; Sub as
// -(b - a) through a linear post-op). The full-size input keeps its layout (blocked is fine);
// the SE block's [N,C,1,1] x [N,C,H,W] scaling is the common case.
#include "backends/cpu/cpu_op.h"

namespace tandem::cpu {
namespace {

dnnl::algorithm binary_alg(ir::BinaryOp op) {
  switch (op) {
    case ir::BinaryOp::kAdd: return dnnl::algorithm::binary_add;
    case ir::BinaryOp::kSub: return dnnl::algorithm::binary_sub;
    case ir::BinaryOp::kMul: return dnnl::algorithm::binary_mul;
    case ir::BinaryOp::kDiv: return dnnl::algorithm::binary_div;
    default: break;  // the table lists Add, Sub, Mul, Div only
  }
  return dnnl::algorithm::binary_add;
}

// Right-aligned to `rank` with leading 1s (NumPy).
Dims padded(const Shape& s, size_t rank) {
  Dims d(rank - std::min(rank, s.size()), 1);
  d.insert(d.end(), s.begin(), s.end());
  return d.empty() ? Dims{1} : d;
}

// Which input is full-size (0 or 1), or an error when neither is.
Result<int> full_input(const ir::Graph& graph, const ir::Node& node) {
  const Shape& out = *shape_of(graph, node.outputs[0]);
  const size_t rank = std::max<size_t>(out.size(), 1);
  const Dims o = padded(out, rank);
  if (padded(*shape_of(graph, node.inputs[0]), rank) == o) return 0;
  if (padded(*shape_of(graph, node.inputs[1]), rank) == o) return 1;
  return unsupported(node.op_type + " where both inputs broadcast (" + shape_to_string(*shape_of(graph, node.inputs[0])) +
                     " and " + shape_to_string(*shape_of(graph, node.inputs[1])) + "); oneDNN broadcasts one input only");
}

Status binary_supports(const ir::Graph& graph, const ir::Node& node) {
  const auto* a = attrs_of<ir::BinaryAttrs>(node);
  if (!a) return internal_error(node.op_type + " without BinaryAttrs");
  if (node.inputs.size() != 2) return unsupported(node.op_type + " with " + std::to_string(node.inputs.size()) + " inputs");
  TANDEM_ASSIGN_OR_RETURN(int full, full_input(graph, node));
  if (full == 1 && a->op == ir::BinaryOp::kDiv && *shape_of(graph, node.inputs[0]) != *shape_of(graph, node.inputs[1]))
    return unsupported("Div whose first input broadcasts (oneDNN broadcasts only the divisor)");
  return Status::ok();
}

Status binary_compile(SegmentBuilder& b, const ir::Node& node) {
  const auto& a = std::get<ir::BinaryAttrs>(node.attrs);
  TANDEM_ASSIGN_OR_RETURN(int full, full_input(b.graph(), node));
  const std::string& x0 = node.inputs[full];
  const std::string& x1 = node.inputs[1 - full];
  const Shape& out = b.shape(node.outputs[0]);
  const size_t rank = std::max<size_t>(out.size(), 1);
  const bool negate = full == 1 && a.op == ir::BinaryOp::kSub;  // input 0 broadcasts: a - b = -(b - a)

  TANDEM_ASSIGN_OR_RETURN(auto src0, b.value(x0));
  if (src0.get_desc().dims() != padded(b.shape(x0), rank)) {
    TANDEM_ASSIGN_OR_RETURN(src0, b.plain_view(x0, plain_md(padded(b.shape(x0), rank))));
  }
  dnnl::memory src1;
  const Dims d1 = padded(b.shape(x1), rank);
  if (d1 == src0.get_desc().dims()) {
    // Same shape: give oneDNN the second input in the first one's layout.
    TANDEM_ASSIGN_OR_RETURN(src1, b.value_as(x1, src0.get_desc()));
  } else {
    TANDEM_ASSIGN_OR_RETURN(src1, b.value(x1));
    if (src1.get_desc().dims() != d1) {
      TANDEM_ASSIGN_OR_RETURN(src1, b.plain_view(x1, plain_md(d1)));
    }
  }
  dnnl::primitive_attr attr;
  if (negate) {
    dnnl::post_ops ops;
    ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_linear, -1.0f, 0.0f);
    attr.set_post_ops(ops);
  }
  dnnl::binary::desc d(binary_alg(a.op), src0.get_desc(), src1.get_desc(), any_md(src0.get_desc().dims()));
  dnnl::binary::primitive_desc pd(d, attr, b.engine());
  if (is_reference_impl(pd) && !is_plain(src0.get_desc()) && b.shape(x0).size() == rank && b.shape(x1).size() == rank) {
    // oneDNN 2.6 has no jit binary for some blocked layouts (aBcd8b, a grouped conv's output on
    // AVX-512) or mixed ones: its reference loop is 10x+ slower than one reorder of the full
    // input into channels-last, which jit takes with a plain or channels-last second input.
    const Md nhwc = channels_last_md(src0.get_desc().dims());
    TANDEM_ASSIGN_OR_RETURN(src0, b.value_as(x0, nhwc));
    if (d1 == nhwc.dims()) {
      TANDEM_ASSIGN_OR_RETURN(src1, b.value_as(x1, nhwc));
    } else {
      TANDEM_ASSIGN_OR_RETURN(src1, b.value_as(x1, plain_md(d1)));
    }
    dnnl::binary::desc d2(binary_alg(a.op), src0.get_desc(), src1.get_desc(), any_md(src0.get_desc().dims()));
    pd = dnnl::binary::primitive_desc(d2, attr, b.engine());
  }
  dnnl::memory dst = b.define(node.outputs[0], pd.dst_desc());
  b.add_step(dnnl::binary(pd), {{DNNL_ARG_SRC_0, src0}, {DNNL_ARG_SRC_1, src1}, {DNNL_ARG_DST, dst}});
  return Status::ok();
}

}  // namespace

extern const CpuOp kCpuAdd{"Add", -1, binary_supports, binary_compile};
extern const CpuOp kCpuSub{"Sub", -1, binary_supports, binary_compile};
extern const CpuOp kCpuMul{"Mul", -1, binary_supports, binary_compile};
extern const CpuOp kCpuDiv{"Div", -1, binary_supports, binary_compile};

}  // namespace tandem::cpu
