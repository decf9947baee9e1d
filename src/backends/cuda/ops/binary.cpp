// Add, Sub, Mul, Div, Pow, Mod (fmod, on floats) with NumPy broadcasting (SE per-channel scaling
// included), with an activation of a following node fused (residual Add + Relu: one pass). Pow's
// exponent may be a one-element constant of an integer type (x ** 3), uploaded as a float.
// Either operand may be a view (split_views.h): it is read through its strides.
#include <algorithm>
#include <numeric>

#include "backends/cuda/ops/binary_args.h"

namespace tandem::cuda {
namespace {

bool runs_op(ir::BinaryOp op) { return op <= ir::BinaryOp::kMod; }  // Add, Sub, Mul, Div, Pow, Mod

// A non-float constant operand is read as floats only when it is Pow's one-element exponent.
Status check_constant(const ir::Graph& graph, const ir::Node& node, ir::BinaryOp op, size_t i) {
  const Tensor* c = graph.constant(node.inputs[i]);
  if (!c || c->dtype() == DType::kFloat32) return Status::ok();
  if (op == ir::BinaryOp::kPow && i == 1 && c->numel() == 1 && c->dtype() != DType::kBool) return Status::ok();
  return unsupported("constant '" + node.inputs[i] + "' is " + dtype_name(c->dtype()) + "; cuda reads float constants");
}

Status supports_binary(const ir::Graph& graph, const ir::Node& node) {
  TANDEM_RETURN_IF_ERROR(float_tensors_only(graph, node));
  const auto* at = std::get_if<ir::BinaryAttrs>(&node.attrs);
  if (!at) return internal_error(node.op_type + " without BinaryAttrs");
  if (!runs_op(at->op)) return unsupported("cuda has no binary kernel for " + node.op_type);
  if (graph.is_constant(node.inputs[0]) && graph.is_constant(node.inputs[1]))
    return unsupported("both operands are constant (fold it)");
  for (size_t i = 0; i < 2; ++i) TANDEM_RETURN_IF_ERROR(check_constant(graph, node, at->op, i));
  return Status::ok();
}

// Operand i on the device; a non-float constant (Pow's scalar exponent) uploaded as one float.
Result<DevTensor> operand(BuildContext& ctx, const std::string& name) {
  const Tensor* c = ctx.constant(name);
  if (!c || c->dtype() == DType::kFloat32) {
    TANDEM_ASSIGN_OR_RETURN(const DevTensor* t, ctx.tensor(name));
    return *t;
  }
  DevTensor t;
  t.shape = c->shape();
  t.elem = ctx.elem();
  TANDEM_ASSIGN_OR_RETURN(t.data, ctx.upload_elem({static_cast<float>(c->float_at(0))}));
  return t;
}

Status build_binary(BuildContext& ctx, const OpInstance& op) {
  const auto& at = std::get<ir::BinaryAttrs>(op.node->attrs);
  TANDEM_ASSIGN_OR_RETURN(DevTensor a, operand(ctx, op.node->inputs[0]));
  TANDEM_ASSIGN_OR_RETURN(DevTensor b, operand(ctx, op.node->inputs[1]));
  TANDEM_ASSIGN_OR_RETURN(const DevTensor* y, ctx.tensor(op.output));
  const BinaryArgs g = binary_args(a, b, *y, static_cast<int>(at.op), op.act);
  const Elem el = ctx.elem();
  ctx.add_step([g, el](const RunEnv& env) { return launch_status(launch_binary(g, el, env.stream), "binary"); });
  return Status::ok();
}

}  // namespace

Strides operand_strides(const DevTensor& t, const Shape& out) {
  Strides own = logical_strides(t), s;
  const size_t r = out.size(), ra = t.shape.size();
  for (size_t d = 0; d < r; ++d) {
    if (d < r - ra) continue;
    const size_t k = d - (r - ra);
    s.s[d] = (t.shape[k] == 1 && out[d] != 1) ? 0 : own.s[k];
  }
  return s;
}

BroadcastWalk broadcast_walk(const DevTensor& y, const std::vector<const DevTensor*>& operands) {
  const size_t r = y.shape.size();
  const Strides ys = logical_strides(y);
  std::vector<Strides> own;
  for (const DevTensor* t : operands) own.push_back(operand_strides(*t, y.shape));
  // Walk the output in its memory order, so stores are contiguous.
  std::vector<int> order(r);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int p, int q) { return ys.s[p] > ys.s[q]; });
  BroadcastWalk w;
  w.shape.rank = int(r);
  w.strides.resize(operands.size());
  for (size_t i = 0; i < r; ++i) {
    w.shape.shape[i] = y.shape[size_t(order[i])];
    for (size_t k = 0; k < operands.size(); ++k) w.strides[k].s[i] = own[k].s[order[i]];
  }
  return w;
}

BinaryArgs binary_args(const DevTensor& a, const DevTensor& b, const DevTensor& y, int op, const ir::Epilogue& act) {
  BinaryArgs g;
  g.a = a.data; g.b = b.data; g.out = y.data;
  g.op = op;
  g.act = to_dev_epilogue(act);
  g.same_shape = a.shape == y.shape && b.shape == y.shape && a.nhwc == y.nhwc && b.nhwc == y.nhwc && !a.is_view() &&
                 !b.is_view() && !y.is_view();  // a view (split_views.h) is read through its strides
  const BroadcastWalk w = broadcast_walk(y, {&a, &b});
  g.shape = w.shape;
  g.a_strides = w.strides[0];
  g.b_strides = w.strides[1];
  return g;
}

extern const CudaOp kCudaAdd{"Add", supports_binary, build_binary, true, false, false, false, true};
extern const CudaOp kCudaSub{"Sub", supports_binary, build_binary, true, false, false, false, true};
extern const CudaOp kCudaMul{"Mul", supports_binary, build_binary, true, false, false, false, true};
extern const CudaOp kCudaDiv{"Div", supports_binary, build_binary, true, false, false, false, true};
extern const CudaOp kCudaPow{"Pow", supports_binary, build_binary, true, false, false, false, true};
extern const CudaOp kCudaMod{"Mod", supports_binary, build_binary, true, false, false, false, true};

}  // namespace tandem::cuda
