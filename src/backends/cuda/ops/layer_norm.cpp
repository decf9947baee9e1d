// LayerNormalization on our kernel (kernels/layer_norm.cu): rows of prod(dims[axis:]) elements,
// contiguous when x is row-major (every rank but 4-D fp16), else addressed through the logical
// strides of the NHWC storage. Scale and B go to the kernel as fp32 rows: constants uploaded
// once, runtime tensors converted by a copy step before the kernel. Only Y is computed.
#include "backends/cuda/cuda_context.h"
#include "backends/cuda/kernels/layer_norm.cuh"

namespace tandem::cuda {
namespace {

bool has_input(const ir::Node& node, size_t i) { return i < node.inputs.size() && !node.inputs[i].empty(); }

Status supports_layer_norm(const ir::Graph& graph, const ir::Node& node) {
  TANDEM_RETURN_IF_ERROR(float_tensors_only(graph, node));
  TANDEM_RETURN_IF_ERROR(only_first_output(graph, node));
  const auto* a = std::get_if<ir::LayerNormAttrs>(&node.attrs);
  if (!a) return internal_error("LayerNormalization without LayerNormAttrs");
  const Shape& x = graph.info(node.inputs[0])->shape;
  if (a->axis < 0 || a->axis >= static_cast<int64_t>(x.size())) return internal_error("LayerNormalization axis is not resolved");
  for (size_t i = 1; i < 3; ++i) {
    if (!has_input(node, i)) continue;
    const Tensor* c = graph.constant(node.inputs[i]);
    const Shape& p = c ? c->shape() : graph.info(node.inputs[i])->shape;
    if (!ir::layer_norm_param_is_row(p, x, a->axis))
      return unsupported("LayerNormalization parameter " + shape_to_string(p) + " broadcasts along the normalised dims");
  }
  return Status::ok();
}

// Scale or B as fp32 in row-major order over the normalised dims.
Result<const float*> param_f32(BuildContext& ctx, const std::string& name) {
  if (const Tensor* c = ctx.constant(name)) {
    std::vector<float> v(static_cast<size_t>(c->numel()));
    for (int64_t i = 0; i < c->numel(); ++i) v[static_cast<size_t>(i)] = static_cast<float>(c->float_at(i));
    return ctx.upload_f32(v);
  }
  TANDEM_ASSIGN_OR_RETURN(const DevTensor* t, ctx.tensor(name));
  TANDEM_ASSIGN_OR_RETURN(void* buf, ctx.allocate(static_cast<size_t>(t->numel()) * sizeof(float)));
  ctx.add_step(copy_step(t->data, t->elem, logical_strides(*t), buf, Elem::kF32, row_major_strides(t->shape), t->shape));
  return static_cast<const float*>(buf);
}

void describe_strided(const DevTensor& x, int64_t axis, LayerNormArgs& a) {
  const Strides st = logical_strides(x);
  for (size_t d = 0; d < x.shape.size(); ++d) {
    const bool in_row = static_cast<int64_t>(d) >= axis;
    StridedShape& s = in_row ? a.inner : a.outer;
    Strides& ss = in_row ? a.inner_strides : a.outer_strides;
    s.shape[s.rank] = x.shape[d];
    ss.s[s.rank++] = st.s[d];
  }
}

Status build_layer_norm(BuildContext& ctx, const OpInstance& op) {
  const ir::Node& n = *op.node;
  const auto& attrs = std::get<ir::LayerNormAttrs>(n.attrs);
  TANDEM_ASSIGN_OR_RETURN(const DevTensor* x, ctx.tensor(n.inputs[0]));
  TANDEM_ASSIGN_OR_RETURN(const DevTensor* y, ctx.tensor(op.output));
  LayerNormArgs a;
  a.x = x->data;
  a.y = y->data;
  TANDEM_ASSIGN_OR_RETURN(a.scale, param_f32(ctx, n.inputs[1]));
  if (has_input(n, 2)) {
    TANDEM_ASSIGN_OR_RETURN(a.bias, param_f32(ctx, n.inputs[2]));
  }
  a.rows = a.cols = 1;
  for (size_t d = 0; d < x->shape.size(); ++d) (static_cast<int64_t>(d) < attrs.axis ? a.rows : a.cols) *= x->shape[d];
  a.epsilon = attrs.epsilon;
  a.contiguous = !x->nhwc;
  if (!a.contiguous) describe_strided(*x, attrs.axis, a);
  const Elem el = ctx.elem();
  ctx.add_step([a, el](const RunEnv& env) { return launch_status(launch_layer_norm(a, el, env.stream), "layer_norm"); });
  return Status::ok();
}

}  // namespace

extern const CudaOp kCudaLayerNormalization{"LayerNormalization", supports_layer_norm, build_layer_norm};

}  // namespace tandem::cuda
