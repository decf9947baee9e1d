// The Reduce* family -> oneDNN reduction on the input in the layout it arrives in (a conv's
// blocked output too: the squeeze-excitation mean over H and W). oneDNN keeps the rank: the
// reduced dims become 1 and the destination layout is left to the primitive; keepdims = 0 is the
// same bytes under fewer dims, so its output is a plain buffer seen by the primitive as the
// keep-dims shape (through a reorder when the primitive picked a blocked destination).
// ReduceLogSumExp is refused (no stable oneDNN form). When no dim of size > 1 is reduced,
// oneDNN has no reduction: the op is a copy, or |x|, x^2 or log x as one eltwise.
// Mean, Max and Sum over every spatial dim (the squeeze-excitation mean, a classifier's
// x.mean([2, 3])) run as our loop (spatial_reduce.h), over some spatial dims as pooling: oneDNN
// 2.6 reduces a blocked or channels-last input only with its reference loop (44 ms for MnasNet's
// 16x1280x7x7 mean on 2 cores), pools any layout in jit.
#include <algorithm>
#include <optional>

#include "backends/cpu/cpu_op.h"
#include "backends/cpu/spatial_reduce.h"

namespace tandem::cpu {
namespace {

using ir::ReduceKind;

struct ReductionAlg {
  dnnl::algorithm alg;
  float p = 0.0f;
  bool log_after = false;  // ReduceLogSum: a log post-op on the sum
};

ReductionAlg reduction_alg(ReduceKind k) {
  using A = dnnl::algorithm;
  switch (k) {
    case ReduceKind::kSum: return {A::reduction_sum};
    case ReduceKind::kMean: return {A::reduction_mean};
    case ReduceKind::kMax: return {A::reduction_max};
    case ReduceKind::kMin: return {A::reduction_min};
    case ReduceKind::kProd: return {A::reduction_mul};
    case ReduceKind::kL1: return {A::reduction_norm_lp_sum, 1.0f};
    case ReduceKind::kL2: return {A::reduction_norm_lp_sum, 2.0f};
    case ReduceKind::kSumSquare: return {A::reduction_norm_lp_power_p_sum, 2.0f};
    case ReduceKind::kLogSum: return {A::reduction_sum, 0.0f, true};
    case ReduceKind::kLogSumExp: break;
  }
  return {A::undef};
}

// The input dims with every reduced axis set to 1 (what oneDNN's destination has).
Dims keep_dims(const Shape& in, const std::vector<int64_t>& axes) {
  Dims d = to_dims(in);
  for (int64_t a : axes) d[static_cast<size_t>(a)] = 1;
  return d;
}

bool reduces_anything(const Shape& in, const std::vector<int64_t>& axes) {
  for (int64_t a : axes)
    if (in[static_cast<size_t>(a)] != 1) return true;
  return false;
}

Status reduce_supports(const ir::Graph& graph, const ir::Node& node) {
  const auto* a = attrs_of<ir::ReduceAttrs>(node);
  if (!a) return internal_error(node.op_type + " without ReduceAttrs");
  if (a->kind == ReduceKind::kLogSumExp) return unsupported("ReduceLogSumExp (oneDNN has no stable form)");
  const Shape& in = *shape_of(graph, node.inputs[0]);
  if (in.size() > DNNL_MAX_NDIMS) return unsupported(node.op_type + " of rank " + std::to_string(in.size()));
  for (int64_t ax : a->axes)
    if (ax < 0 || ax >= static_cast<int64_t>(in.size())) return internal_error(node.op_type + " axes are not resolved");
  return Status::ok();
}

// Nothing is reduced: y = x, |x|, x^2 or log x elementwise.
Status elementwise_compile(SegmentBuilder& b, const ir::Node& node, ReduceKind k) {
  const Md md = plain_md(b.shape(node.outputs[0]));
  if (k == ReduceKind::kSum || k == ReduceKind::kMean || k == ReduceKind::kMax || k == ReduceKind::kMin ||
      k == ReduceKind::kProd)
    return b.define_view(node.outputs[0], node.inputs[0], md);
  using A = dnnl::algorithm;
  const A alg = k == ReduceKind::kSumSquare ? A::eltwise_square : k == ReduceKind::kLogSum ? A::eltwise_log : A::eltwise_abs;
  TANDEM_ASSIGN_OR_RETURN(auto src, b.plain_view(node.inputs[0], md));
  dnnl::eltwise_forward::desc d(dnnl::prop_kind::forward_inference, alg, md, 0.0f, 0.0f);
  dnnl::eltwise_forward::primitive_desc pd(d, b.engine());
  dnnl::memory dst = b.define(node.outputs[0], md);
  b.add_step(dnnl::eltwise_forward(pd), {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst}});
  return Status::ok();
}

// Mean, Max or Sum over exactly the spatial dims 2..rank-1 of a rank 3-5 tensor.
bool reduces_all_spatial(const Shape& in, const ir::ReduceAttrs& a) {
  if (in.size() < 3 || in.size() > 5) return false;
  if (a.kind != ReduceKind::kMean && a.kind != ReduceKind::kMax && a.kind != ReduceKind::kSum) return false;
  std::vector<int64_t> axes = a.axes;
  std::sort(axes.begin(), axes.end());
  axes.erase(std::unique(axes.begin(), axes.end()), axes.end());
  if (axes.size() != in.size() - 2) return false;
  for (size_t i = 0; i < axes.size(); ++i)
    if (axes[i] != int64_t(i) + 2) return false;
  return true;
}

// The pooling that computes a Mean, Max or Sum over spatial dims (rank 3-5, axes >= 2), with
// its kernel spanning each reduced dim; nullopt for any other reduction.
std::optional<dnnl::pooling_v2_forward::primitive_desc> spatial_pooling(SegmentBuilder& b, const Md& src,
                                                                        const Shape& in, const ir::ReduceAttrs& a) {
  if (in.size() < 3 || in.size() > 5) return std::nullopt;
  if (a.kind != ReduceKind::kMean && a.kind != ReduceKind::kMax && a.kind != ReduceKind::kSum) return std::nullopt;
  for (int64_t ax : a.axes)
    if (ax < 2) return std::nullopt;
  const size_t sp = in.size() - 2;
  Dims kernel(sp, 1), ones(sp, 1), zeros(sp, 0);
  int64_t count = 1;
  for (int64_t ax : a.axes) {
    kernel[size_t(ax) - 2] = in[size_t(ax)];
    count *= in[size_t(ax)];
  }
  const auto alg = a.kind == ReduceKind::kMax ? dnnl::algorithm::pooling_max : dnnl::algorithm::pooling_avg_exclude_padding;
  dnnl::pooling_v2_forward::desc d(dnnl::prop_kind::forward_inference, alg, src, any_md(keep_dims(in, a.axes)), ones,
                                   kernel, zeros, zeros, zeros);
  dnnl::primitive_attr attr;
  if (a.kind == ReduceKind::kSum) {  // the mean times the count
    dnnl::post_ops ops;
    ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_linear, float(count), 0.0f);
    attr.set_post_ops(ops);
  }
  try {
    return dnnl::pooling_v2_forward::primitive_desc(d, attr, b.engine());
  } catch (const dnnl::error&) {
    return std::nullopt;  // the reduction below serves it
  }
}

Status reduce_compile(SegmentBuilder& b, const ir::Node& node) {
  const auto& a = std::get<ir::ReduceAttrs>(node.attrs);
  const Shape& in = b.shape(node.inputs[0]);
  if (!reduces_anything(in, a.axes)) return elementwise_compile(b, node, a.kind);
  if (reduces_all_spatial(in, a)) {
    const SpatialReduce k = a.kind == ReduceKind::kMax ? SpatialReduce::kMax
                            : a.kind == ReduceKind::kSum ? SpatialReduce::kSum : SpatialReduce::kMean;
    TANDEM_ASSIGN_OR_RETURN(bool done, add_spatial_reduce(b, node.inputs[0], node.outputs[0], k));
    if (done) return Status::ok();
  }
  TANDEM_ASSIGN_OR_RETURN(auto src, b.value(node.inputs[0]));
  const Dims kept = keep_dims(in, a.axes);
  dnnl::primitive prim;
  Md dst_md;
  if (auto pool = spatial_pooling(b, src.get_desc(), in, a)) {
    prim = dnnl::pooling_v2_forward(*pool);
    dst_md = pool->dst_desc();
  } else {
    const ReductionAlg r = reduction_alg(a.kind);
    dnnl::reduction::desc d(r.alg, src.get_desc(), any_md(kept), r.p, 0.0f);
    dnnl::primitive_attr attr;
    if (r.log_after) {
      dnnl::post_ops ops;
      ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_log, 0.0f, 0.0f);
      attr.set_post_ops(ops);
    }
    dnnl::reduction::primitive_desc pd(d, attr, b.engine());
    prim = dnnl::reduction(pd);
    dst_md = pd.dst_desc();
  }
  const Md plain_kept = plain_md(kept);
  if (a.keepdims || dst_md == plain_kept) {
    dnnl::memory dst;
    if (a.keepdims) {
      dst = b.define(node.outputs[0], dst_md);
    } else {  // same bytes as the output's fewer dims
      b.define(node.outputs[0], plain_md(b.shape(node.outputs[0])));
      TANDEM_ASSIGN_OR_RETURN(dst, b.plain_view(node.outputs[0], plain_kept));
    }
    b.add_step(prim, {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst}});
    return Status::ok();
  }
  // keepdims = 0 and a blocked destination: reduce into a scratch, reorder into the plain output.
  dnnl::memory tmp = b.scratch(dst_md);
  b.add_step(prim, {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, tmp}});
  b.define(node.outputs[0], plain_md(b.shape(node.outputs[0])));
  TANDEM_ASSIGN_OR_RETURN(auto out, b.plain_view(node.outputs[0], plain_kept));
  b.add_step(dnnl::reorder(tmp, out), {{DNNL_ARG_FROM, tmp}, {DNNL_ARG_TO, out}});
  return Status::ok();
}

}  // namespace

extern const CpuOp kCpuReduceSum{"ReduceSum", 1, reduce_supports, reduce_compile};
extern const CpuOp kCpuReduceMean{"ReduceMean", 1, reduce_supports, reduce_compile};
extern const CpuOp kCpuReduceMax{"ReduceMax", 1, reduce_supports, reduce_compile};
extern const CpuOp kCpuReduceMin{"ReduceMin", 1, reduce_supports, reduce_compile};
extern const CpuOp kCpuReduceProd{"ReduceProd", 1, reduce_supports, reduce_compile};
extern const CpuOp kCpuReduceL1{"ReduceL1", 1, reduce_supports, reduce_compile};
extern const CpuOp kCpuReduceL2{"ReduceL2", 1, reduce_supports, reduce_compile};
extern const CpuOp kCpuReduceSumSquare{"ReduceSumSquare", 1, reduce_supports, reduce_compile};
extern const CpuOp kCpuReduceLogSum{"ReduceLogSum", 1, reduce_supports, reduce_compile};

}  // namespace tandem::cpu
