// Sum, Mean, Min, Max over N inputs -> a chain of oneDNN binary primitives (add / min / max):
// the first writes the output from a full-size input and the next one, the later ones fold one
// more input into the output in place; Mean scales by 1/N in the last one's post-op. oneDNN
// broadcasts only its second operand, so one input must have the output's shape (else refused).
// One input: a copy (eltwise linear 1x + 0).
#include "backends/cpu/cpu_op.h"
#include "ir/ops/variadic.h"

namespace tandem::cpu {
namespace {

// Right-aligned to `rank` with leading 1s (NumPy).
Dims padded(const Shape& s, size_t rank) {
  Dims d(rank - std::min(rank, s.size()), 1);
  d.insert(d.end(), s.begin(), s.end());
  return d.empty() ? Dims{1} : d;
}

size_t out_rank(const ir::Graph& graph, const ir::Node& node) {
  return std::max<size_t>(shape_of(graph, node.outputs[0])->size(), 1);
}

// The position of an input with the output's shape, or an error when every input broadcasts.
Result<size_t> full_input(const ir::Graph& graph, const ir::Node& node) {
  const size_t rank = out_rank(graph, node);
  const Dims out = padded(*shape_of(graph, node.outputs[0]), rank);
  for (size_t i = 0; i < node.inputs.size(); ++i)
    if (padded(*shape_of(graph, node.inputs[i]), rank) == out) return i;
  return unsupported(node.op_type + " where every input broadcasts; oneDNN broadcasts one operand only");
}

dnnl::algorithm variadic_alg(ir::VariadicOp op) {
  switch (op) {
    case ir::VariadicOp::kMin: return dnnl::algorithm::binary_min;
    case ir::VariadicOp::kMax: return dnnl::algorithm::binary_max;
    default: return dnnl::algorithm::binary_add;
  }
}

Status variadic_supports(const ir::Graph& graph, const ir::Node& node) {
  if (!attrs_of<ir::VariadicAttrs>(node)) return internal_error(node.op_type + " without VariadicAttrs");
  if (node.inputs.empty()) return invalid_argument(node.op_type + " without inputs");
  return full_input(graph, node).status();
}

// `value` as the second operand: in `full`'s layout when it has the same dims, else a plain view
// padded to `rank`.
Result<dnnl::memory> operand(SegmentBuilder& b, const std::string& value, const Md& full, size_t rank) {
  const Dims d = padded(b.shape(value), rank);
  if (d == full.dims()) return b.value_as(value, full);
  TANDEM_ASSIGN_OR_RETURN(auto m, b.value(value));
  if (m.get_desc().dims() == d) return m;
  return b.plain_view(value, plain_md(d));
}

Status variadic_compile(SegmentBuilder& b, const ir::Node& node) {
  const auto& a = std::get<ir::VariadicAttrs>(node.attrs);
  const size_t n = node.inputs.size();
  if (n == 1) return compile_eltwise(b, node.inputs[0], node.outputs[0], {{dnnl::algorithm::eltwise_linear, 1.0f, 0.0f}});
  TANDEM_ASSIGN_OR_RETURN(size_t full, full_input(b.graph(), node));
  const size_t rank = out_rank(b.graph(), node);
  std::vector<std::string> order{node.inputs[full]};
  for (size_t i = 0; i < n; ++i)
    if (i != full) order.push_back(node.inputs[i]);
  TANDEM_ASSIGN_OR_RETURN(auto acc, b.value(order[0]));
  if (acc.get_desc().dims() != padded(b.shape(order[0]), rank)) {
    TANDEM_ASSIGN_OR_RETURN(acc, b.plain_view(order[0], plain_md(padded(b.shape(order[0]), rank))));
  }
  dnnl::memory dst;
  for (size_t k = 1; k < n; ++k) {
    const Md src0 = k == 1 ? acc.get_desc() : dst.get_desc();
    TANDEM_ASSIGN_OR_RETURN(auto src1, operand(b, order[k], src0, rank));
    dnnl::primitive_attr attr;
    if (k + 1 == n && a.op == ir::VariadicOp::kMean) {
      dnnl::post_ops ops;
      ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_linear, 1.0f / static_cast<float>(n), 0.0f);
      attr.set_post_ops(ops);
    }
    dnnl::binary::desc d(variadic_alg(a.op), src0, src1.get_desc(), k == 1 ? any_md(src0.dims()) : src0);
    dnnl::binary::primitive_desc pd(d, attr, b.engine());
    if (k == 1) dst = b.define(node.outputs[0], pd.dst_desc());
    b.add_step(dnnl::binary(pd), {{DNNL_ARG_SRC_0, k == 1 ? acc : dst}, {DNNL_ARG_SRC_1, src1}, {DNNL_ARG_DST, dst}});
  }
  return Status::ok();
}

}  // namespace

extern const CpuOp kCpuSum{"Sum", -1, variadic_supports, variadic_compile};
extern const CpuOp kCpuMean{"Mean", -1, variadic_supports, variadic_compile};
extern const CpuOp kCpuMin{"Min", -1, variadic_supports, variadic_compile};
extern const CpuOp kCpuMax{"Max", -1, variadic_supports, variadic_compile};

}  // namespace tandem::cpu
