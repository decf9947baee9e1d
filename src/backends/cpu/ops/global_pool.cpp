// GlobalAveragePool and GlobalMaxPool -> our spatial loop (spatial_reduce.h) for the layouts it
// knows, else oneDNN pooling over the whole spatial extent.
#include "backends/cpu/cpu_op.h"
#include "backends/cpu/spatial_reduce.h"

namespace tandem::cpu {
namespace {

Status global_pool_supports(const ir::Graph& graph, const ir::Node& node) {
  if (!attrs_of<ir::GlobalPoolAttrs>(node)) return internal_error(node.op_type + " without GlobalPoolAttrs");
  size_t rank = shape_of(graph, node.inputs[0])->size();
  if (rank < 3 || rank > 5) return unsupported(node.op_type + " on rank " + std::to_string(rank));
  return Status::ok();
}

Status global_pool_compile(SegmentBuilder& b, const ir::Node& node) {
  const auto& a = std::get<ir::GlobalPoolAttrs>(node.attrs);
  const SpatialReduce k = a.kind == ir::PoolKind::kMax ? SpatialReduce::kMax : SpatialReduce::kMean;
  TANDEM_ASSIGN_OR_RETURN(bool done, add_spatial_reduce(b, node.inputs[0], node.outputs[0], k));
  if (done) return Status::ok();
  const Shape& in = b.shape(node.inputs[0]);
  const size_t sp = in.size() - 2;
  Dims kernel(in.begin() + 2, in.end());
  Dims ones(sp, 1), zeros(sp, 0);
  TANDEM_ASSIGN_OR_RETURN(auto src, b.value(node.inputs[0]));
  auto alg = a.kind == ir::PoolKind::kMax ? dnnl::algorithm::pooling_max : dnnl::algorithm::pooling_avg_exclude_padding;
  dnnl::pooling_v2_forward::desc d(dnnl::prop_kind::forward_inference, alg, src.get_desc(),
                                   any_md(to_dims(b.shape(node.outputs[0]))), ones, kernel, zeros, zeros, zeros);
  dnnl::pooling_v2_forward::primitive_desc pd(d, b.engine());
  dnnl::memory dst = b.define(node.outputs[0], pd.dst_desc());
  b.add_step(dnnl::pooling_v2_forward(pd), {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst}});
  return Status::ok();
}

}  // namespace

extern const CpuOp kCpuGlobalAveragePool{"GlobalAveragePool", -1, global_pool_supports, global_pool_compile};
extern const CpuOp kCpuGlobalMaxPool{"GlobalMaxPool", -1, global_pool_supports, global_pool_compile};

}  // namespace tandem::cpu
