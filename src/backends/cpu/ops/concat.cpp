// Concat -> oneDNN concat; inputs keep their layouts, oneDNN picks the output's.
#include "backends/cpu/cpu_op.h"

namespace tandem::cpu {
namespace {

Status concat_supports(const ir::Graph& graph, const ir::Node& node) {
  const auto* a = attrs_of<ir::ConcatAttrs>(node);
  if (!a) return internal_error("Concat without ConcatAttrs");
  const int64_t rank = static_cast<int64_t>(shape_of(graph, node.outputs[0])->size());
  if (rank == 0 || a->axis < -rank || a->axis >= rank) return unsupported("Concat axis out of range");
  for (const auto& in : node.inputs)
    if (in.empty() || shape_of(graph, in)->size() != static_cast<size_t>(rank)) return unsupported("Concat of mixed ranks");
  return Status::ok();
}

Status concat_compile(SegmentBuilder& b, const ir::Node& node) {
  const auto& a = std::get<ir::ConcatAttrs>(node.attrs);
  const int64_t rank = static_cast<int64_t>(b.shape(node.outputs[0]).size());
  const int axis = static_cast<int>(a.axis < 0 ? a.axis + rank : a.axis);
  std::vector<dnnl::memory> srcs;
  std::vector<Md> mds;
  for (const auto& in : node.inputs) {
    if (shape_numel(b.shape(in)) == 0) continue;  // an empty piece adds nothing
    TANDEM_ASSIGN_OR_RETURN(auto m, b.value(in));
    srcs.push_back(m);
    mds.push_back(m.get_desc());
  }
  dnnl::concat::primitive_desc pd(any_md(to_dims(b.shape(node.outputs[0]))), axis, mds, b.engine());
  std::unordered_map<int, dnnl::memory> args{{DNNL_ARG_DST, b.define(node.outputs[0], pd.dst_desc())}};
  for (size_t i = 0; i < srcs.size(); ++i) args[DNNL_ARG_MULTIPLE_SRC + static_cast<int>(i)] = srcs[i];
  b.add_step(dnnl::concat(pd), std::move(args));
  return Status::ok();
}

}  // namespace

extern const CpuOp kCpuConcat{"Concat", -1, concat_supports, concat_compile};

}  // namespace tandem::cpu
