// Concat -> oneDNN concat; inputs keep their layouts (a Split piece read where it lies, a strided
// view of its Split's input, where oneDNN's simple concat takes it), oneDNN picks the output's.
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

// The concat of `node`'s non-empty inputs as `srcs` (uncopied Split pieces as their views when
// `views`, else their plain copies).
Result<dnnl::concat::primitive_desc> concat_pd(SegmentBuilder& b, const ir::Node& node, int axis, bool views,
                                               std::vector<dnnl::memory>& srcs) {
  std::vector<Md> mds;
  srcs.clear();
  for (const auto& in : node.inputs) {
    if (shape_numel(b.shape(in)) == 0) continue;  // an empty piece adds nothing
    TANDEM_ASSIGN_OR_RETURN(auto m, views ? b.value_view(in) : b.value(in));
    srcs.push_back(m);
    mds.push_back(m.get_desc());
  }
  return dnnl::concat::primitive_desc(any_md(to_dims(b.shape(node.outputs[0]))), axis, mds, b.engine());
}

Status concat_compile(SegmentBuilder& b, const ir::Node& node) {
  const auto& a = std::get<ir::ConcatAttrs>(node.attrs);
  const int64_t rank = static_cast<int64_t>(b.shape(node.outputs[0]).size());
  const int axis = static_cast<int>(a.axis < 0 ? a.axis + rank : a.axis);
  bool pieces = false;
  for (const auto& in : node.inputs) pieces = pieces || b.is_uncopied_part(in);
  std::vector<dnnl::memory> srcs;
  TANDEM_ASSIGN_OR_RETURN(auto pd, concat_pd(b, node, axis, pieces, srcs));
  // oneDNN 2.6's reference concat (reorders into parts of the output) writes wrong parts from
  // some strided sources (a ShuffleNetV2 half of [2, 464, 3, 3] into a blocked output loses
  // half of its second image); its simple concat reads them right. Otherwise: the copies.
  if (pieces && is_reference_impl(pd)) {
    TANDEM_ASSIGN_OR_RETURN(pd, concat_pd(b, node, axis, false, srcs));
  }
  std::unordered_map<int, dnnl::memory> args{{DNNL_ARG_DST, b.define(node.outputs[0], pd.dst_desc())}};
  for (size_t i = 0; i < srcs.size(); ++i) args[DNNL_ARG_MULTIPLE_SRC + static_cast<int>(i)] = srcs[i];
  b.add_step(dnnl::concat(pd), std::move(args));
  return Status::ok();
}

}  // namespace

extern const CpuOp kCpuConcat{"Concat", -1, concat_supports, concat_compile};

}  // namespace tandem::cpu
