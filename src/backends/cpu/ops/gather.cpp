// Gather with constant indices -> reorders of strided views. The indices are cut into runs of
// equal steps (x[:, 0], a channel range, a repeated index: step 0), and each run is one reorder
// from the data's part into its slot of the output, seen as data dims with the gathered axis
// replaced by the number of indices.
#include "backends/cpu/cpu_op.h"

namespace tandem::cpu {
namespace {

struct IndexRun {
  int64_t at = 0, count = 1, first = 0, step = 1;  // output slots [at, at + count) read first + i * step
};

// Runs of non-negative steps over the (normalised) indices.
std::vector<IndexRun> index_runs(const std::vector<int64_t>& idx) {
  std::vector<IndexRun> runs;
  for (size_t j = 0; j < idx.size();) {
    IndexRun r{static_cast<int64_t>(j), 1, idx[j], 1};
    if (j + 1 < idx.size() && idx[j + 1] >= idx[j]) {
      r.step = idx[j + 1] - idx[j];
      while (j + r.count < idx.size() && idx[j + r.count] == idx[j + r.count - 1] + r.step) ++r.count;
    }
    runs.push_back(r);
    j += static_cast<size_t>(r.count);
  }
  return runs;
}

Status gather_supports(const ir::Graph& graph, const ir::Node& node) {
  const auto* a = attrs_of<ir::GatherAttrs>(node);
  if (!a) return internal_error("Gather without GatherAttrs");
  const Tensor* idx = graph.constant(node.inputs[1]);
  if (!idx) return unsupported("Gather with run-time indices (cpu takes constant indices)");
  if (idx->dtype() != DType::kInt64 && idx->dtype() != DType::kInt32) return unsupported("Gather indices must be int32/int64");
  const Shape& data = *shape_of(graph, node.inputs[0]);
  if (a->axis < 0 || a->axis >= static_cast<int64_t>(data.size())) return unsupported("Gather axis is not resolved");
  const int64_t dim = data[a->axis];
  for (int64_t i = 0; i < idx->numel(); ++i)
    if (idx->int_at(i) < -dim || idx->int_at(i) >= dim) return unsupported("Gather index out of range");
  return Status::ok();
}

Status gather_compile(SegmentBuilder& b, const ir::Node& node) {
  const auto& a = std::get<ir::GatherAttrs>(node.attrs);
  const Tensor& t = *b.graph().constant(node.inputs[1]);
  const Dims data = to_dims(b.shape(node.inputs[0]));
  std::vector<int64_t> idx(static_cast<size_t>(t.numel()));
  for (int64_t i = 0; i < t.numel(); ++i) idx[i] = t.int_at(i) < 0 ? t.int_at(i) + data[a.axis] : t.int_at(i);
  b.define(node.outputs[0], plain_md(to_dims(b.shape(node.outputs[0]))));
  if (shape_numel(b.shape(node.outputs[0])) == 0) return Status::ok();
  Dims slots = data;  // the output's bytes as data dims with the axis holding every index
  slots[a.axis] = static_cast<int64_t>(idx.size());
  const Dims unit(data.size(), 1);
  for (const IndexRun& r : index_runs(idx)) {
    Dims part = data, steps = unit;
    part[a.axis] = r.count, steps[a.axis] = r.step;
    for (const StridedPiece& p : strided_pieces(data, part, steps)) {
      Dims from = p.at, to = p.at;
      from[a.axis] = r.first + p.at[a.axis] * r.step;
      to[a.axis] = r.at + p.at[a.axis];
      TANDEM_ASSIGN_OR_RETURN(auto src, b.part_of(node.inputs[0], p.dims, from, steps));
      TANDEM_ASSIGN_OR_RETURN(auto dst, b.strided_view(node.outputs[0], strided_part_md(slots, p.dims, to, unit)));
      b.add_step(dnnl::reorder(src, dst), {{DNNL_ARG_FROM, src}, {DNNL_ARG_TO, dst}});
    }
  }
  return Status::ok();
}

}  // namespace

extern const CpuOp kCpuGather{"Gather", 1, gather_supports, gather_compile};

}  // namespace tandem::cpu
