// BatchNormalization (inference, standalone: when it was not folded into a Conv) -> oneDNN
// batch normalization with global statistics, in the input's layout; a fused Relu
// (BatchNormAttrs::epilogue) inside it (fuse_norm_relu), another activation in place after it.
#include "backends/cpu/cpu_op.h"

namespace tandem::cpu {
namespace {

Status batch_norm_supports(const ir::Graph& graph, const ir::Node& node) {
  if (!attrs_of<ir::BatchNormAttrs>(node)) return internal_error("BatchNormalization without BatchNormAttrs");
  if (node.inputs.size() != 5) return unsupported("BatchNormalization needs 5 inputs");
  if (node.outputs.size() > 1) return unsupported("BatchNormalization in training mode (more than one output)");
  for (size_t i = 1; i < 5; ++i)
    if (!graph.is_constant(node.inputs[i])) return unsupported("BatchNormalization with non-constant scale/bias/mean/var");
  if (shape_of(graph, node.inputs[0])->size() < 2) return unsupported("BatchNormalization on rank < 2");
  return eltwise_steps(attrs_of<ir::BatchNormAttrs>(node)->epilogue).status();
}

Status batch_norm_compile(SegmentBuilder& b, const ir::Node& node) {
  const auto& a = std::get<ir::BatchNormAttrs>(node.attrs);
  TANDEM_ASSIGN_OR_RETURN(auto src, b.value(node.inputs[0]));
  using F = dnnl::normalization_flags;
  // A fused Relu runs inside the primitive; another activation as eltwise steps in place after it.
  const bool relu = a.epilogue.kind == ir::ActKind::kRelu;
  F flags = F::use_global_stats | F::use_scale | F::use_shift;
  if (relu) flags = flags | F::fuse_norm_relu;
  dnnl::batch_normalization_forward::desc d(dnnl::prop_kind::forward_inference, src.get_desc(), a.epsilon, flags);
  dnnl::batch_normalization_forward::primitive_desc pd(d, b.engine());
  std::unordered_map<int, dnnl::memory> args{{DNNL_ARG_SRC, src}};
  const int kArgs[] = {DNNL_ARG_SCALE, DNNL_ARG_SHIFT, DNNL_ARG_MEAN, DNNL_ARG_VARIANCE};
  for (int i = 0; i < 4; ++i) {
    TANDEM_ASSIGN_OR_RETURN(auto m, b.value(node.inputs[1 + i]));
    args[kArgs[i]] = m;
  }
  const dnnl::memory dst = b.define(node.outputs[0], pd.dst_desc());
  args[DNNL_ARG_DST] = dst;
  b.add_step(dnnl::batch_normalization_forward(pd), std::move(args));
  if (relu) return Status::ok();
  TANDEM_ASSIGN_OR_RETURN(auto steps, eltwise_steps(a.epilogue));
  for (const EltwiseStep& e : steps) {
    dnnl::eltwise_forward::desc ed(dnnl::prop_kind::forward_inference, e.alg, dst.get_desc(), e.alpha, e.beta);
    b.add_step(dnnl::eltwise_forward(dnnl::eltwise_forward::primitive_desc(ed, b.engine())),
               {{DNNL_ARG_SRC, dst}, {DNNL_ARG_DST, dst}});
  }
  return Status::ok();
}

}  // namespace

extern const CpuOp kCpuBatchNormalization{"BatchNormalization", 5, batch_norm_supports, batch_norm_compile};

}  // namespace tandem::cpu
