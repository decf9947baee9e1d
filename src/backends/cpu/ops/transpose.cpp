// Transpose -> one oneDNN reorder from the input's buffer (any layout) seen with permuted axes
// into a plain output.
#include "backends/cpu/cpu_op.h"

namespace tandem::cpu {
namespace {

Status transpose_supports(const ir::Graph& graph, const ir::Node& node) {
  const auto* a = attrs_of<ir::TransposeAttrs>(node);
  if (!a) return internal_error("Transpose without TransposeAttrs");
  const size_t rank = shape_of(graph, node.inputs[0])->size();
  if (a->perm.size() != rank) return unsupported("Transpose perm is not resolved to the input rank");
  std::vector<bool> seen(rank, false);
  for (int64_t p : a->perm) {
    if (p < 0 || p >= static_cast<int64_t>(rank) || seen[p]) return unsupported("Transpose perm is not a permutation");
    seen[p] = true;
  }
  return Status::ok();
}

Status transpose_compile(SegmentBuilder& b, const ir::Node& node) {
  const auto& a = std::get<ir::TransposeAttrs>(node.attrs);
  TANDEM_ASSIGN_OR_RETURN(auto src, b.value(node.inputs[0]));
  // ONNX: output axis i is input axis perm[i]; oneDNN: input axis j becomes output axis p[j].
  std::vector<int> p(a.perm.size());
  for (size_t i = 0; i < a.perm.size(); ++i) p[a.perm[i]] = static_cast<int>(i);
  Md permuted = src.get_desc().permute_axes(p);
  TANDEM_ASSIGN_OR_RETURN(auto view, b.raw_view(node.inputs[0], permuted));
  dnnl::memory dst = b.define(node.outputs[0], plain_md(b.shape(node.outputs[0])));
  b.add_step(dnnl::reorder(view, dst), {{DNNL_ARG_FROM, view}, {DNNL_ARG_TO, dst}});
  return Status::ok();
}

}  // namespace

extern const CpuOp kCpuTranspose{"Transpose", -1, transpose_supports, transpose_compile};

}  // namespace tandem::cpu
