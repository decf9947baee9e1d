// LayerNormalization on our kernel (kernels/layer_norm.cu): rows of prod(dims[axis:]) elements,
// contiguous when x is row-major (every rank but 4-D fp16), else addressed through the logical
// strides of the NHWC storage. Scale and B go to the kernel as fp32 rows: constants uploaded
// once, runtime tensors converted by a copy step before the kernel. Only Y is computed.
// AddLayerNorm (fuse_add_layer_norm): the same kernel normalises A + B and writes the sum S in
// its first pass, when S is read: one launch instead of an Add and a LayerNormalization.
#include "backends/cuda/cuda_context.h"
#include "backends/cuda/kernels/layer_norm.cuh"

namespace tandem::cuda {
namespace {

bool has_input(const ir::Node& node, size_t i) { return i < node.inputs.size() && !node.inputs[i].empty(); }

// Scale and B at inputs `param` and `param` + 1: rows of X.shape[axis:].
Status check_params(const ir::Graph& graph, const ir::Node& node, size_t param) {
  TANDEM_RETURN_IF_ERROR(float_tensors_only(graph, node));
  const auto* a = std::get_if<ir::LayerNormAttrs>(&node.attrs);
  if (!a) return internal_error(node.op_type + " without LayerNormAttrs");
  const Shape& x = graph.info(node.inputs[0])->shape;
  if (a->axis < 0 || a->axis >= static_cast<int64_t>(x.size())) return internal_error(node.op_type + " axis is not resolved");
  for (size_t i = param; i < param + 2; ++i) {
    if (!has_input(node, i)) continue;
    const Tensor* c = graph.constant(node.inputs[i]);
    const Shape& p = c ? c->shape() : graph.info(node.inputs[i])->shape;
    if (!ir::layer_norm_param_is_row(p, x, a->axis))
      return unsupported("LayerNormalization parameter " + shape_to_string(p) + " broadcasts along the normalised dims");
  }
  return Status::ok();
}

Status supports_layer_norm(const ir::Graph& graph, const ir::Node& node) {
  TANDEM_RETURN_IF_ERROR(only_first_output(graph, node));
  return check_params(graph, node, 1);
}

Status supports_add_layer_norm(const ir::Graph& graph, const ir::Node& node) {
  if (node.inputs.size() < 3 || graph.info(node.inputs[0])->shape != graph.info(node.inputs[1])->shape)
    return unsupported("AddLayerNorm needs A and B of one shape and a Scale");
  return check_params(graph, node, 2);
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

// The kernel's arguments for X = node input 0 (plus input 1 for AddLayerNorm), Scale and B at
// `param` and `param` + 1.
Result<LayerNormArgs> layer_norm_args(BuildContext& ctx, const OpInstance& op, size_t param) {
  const ir::Node& n = *op.node;
  const auto& attrs = std::get<ir::LayerNormAttrs>(n.attrs);
  TANDEM_ASSIGN_OR_RETURN(const DevTensor* x, ctx.tensor(n.inputs[0]));
  TANDEM_ASSIGN_OR_RETURN(const DevTensor* y, ctx.tensor(op.output));
  LayerNormArgs a;
  a.x = x->data;
  a.y = y->data;
  TANDEM_ASSIGN_OR_RETURN(a.scale, param_f32(ctx, n.inputs[param]));
  if (has_input(n, param + 1)) {
    TANDEM_ASSIGN_OR_RETURN(a.bias, param_f32(ctx, n.inputs[param + 1]));
  }
  a.rows = a.cols = 1;
  for (size_t d = 0; d < x->shape.size(); ++d) (static_cast<int64_t>(d) < attrs.axis ? a.rows : a.cols) *= x->shape[d];
  a.epsilon = attrs.epsilon;
  a.contiguous = !x->nhwc;
  if (!a.contiguous) describe_strided(*x, attrs.axis, a);
  return a;
}

Status add_step(BuildContext& ctx, const LayerNormArgs& a) {
  const Elem el = ctx.elem();
  ctx.add_step([a, el](const RunEnv& env) { return launch_status(launch_layer_norm(a, el, env.stream), "layer_norm"); });
  return Status::ok();
}

Status build_layer_norm(BuildContext& ctx, const OpInstance& op) {
  TANDEM_ASSIGN_OR_RETURN(LayerNormArgs a, layer_norm_args(ctx, op, 1));
  return add_step(ctx, a);
}

// A and B have one shape, hence one layout (no views: this op does not read them); so has S.
Status build_add_layer_norm(BuildContext& ctx, const OpInstance& op) {
  const ir::Node& n = *op.node;
  TANDEM_ASSIGN_OR_RETURN(LayerNormArgs a, layer_norm_args(ctx, op, 2));
  TANDEM_ASSIGN_OR_RETURN(const DevTensor* r, ctx.tensor(n.inputs[1]));
  a.residual = r->data;
  if (n.outputs.size() > 1 && !n.outputs[1].empty()) {
    TANDEM_ASSIGN_OR_RETURN(const DevTensor* s, ctx.tensor(n.outputs[1]));
    a.sum = s->data;
  }
  return add_step(ctx, a);
}

}  // namespace

extern const CudaOp kCudaLayerNormalization{"LayerNormalization", supports_layer_norm, build_layer_norm};
extern const CudaOp kCudaAddLayerNorm{"AddLayerNorm", supports_add_layer_norm, build_add_layer_norm};

}  // namespace tandem::cuda
