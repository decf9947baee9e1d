// LayerNormalization (opset 17): Y = (X - mean) / sqrt(var + epsilon) * Scale + B over the dims
// [axis, rank) of each group; Scale and the optional B broadcast to X.shape[axis:]. Outputs:
// Y (X's type), and the optional Mean and InvStdDev (float32, X.shape[:axis] followed by 1s).
// AddLayerNorm (internal, made by the fuse_add_layer_norm pass): inputs A, B (same shape),
// Scale, optional B(ias); outputs Y = LayerNormalization(A + B) and the optional sum S = A + B.
#include "ir/ops/layer_norm.h"

#include "ir/ops/infer_util.h"
#include "ir/ops/op_def.h"

namespace tandem::ir {
namespace {

Result<OpAttrs> parse_layer_norm(const AttrMap& a, int) {
  LayerNormAttrs s;
  TANDEM_ASSIGN_OR_RETURN(s.axis, a.get_int("axis", -1));
  TANDEM_ASSIGN_OR_RETURN(s.epsilon, a.get_float("epsilon", 1e-5f));
  TANDEM_ASSIGN_OR_RETURN(s.stash_type, a.get_int("stash_type", 1));
  if (s.stash_type != 1) return unsupported("stash_type " + std::to_string(s.stash_type) + " (only 1, float32)");
  return OpAttrs{s};
}

bool is_float(DType t) { return t == DType::kFloat32 || t == DType::kFloat16 || t == DType::kFloat64; }

Status check_param(const InferContext& ctx, size_t i, const char* what, const ValueInfo& x, int64_t axis) {
  const ValueInfo* p = optional_input(ctx, i);
  if (!p) return Status::ok();
  if (p->dtype != x.dtype)
    return invalid_argument(std::string(what) + " is " + dtype_name(p->dtype) + " but X is " + dtype_name(x.dtype));
  if (p->rank_known && x.rank_known) {
    bool known = true;
    for (int64_t d : p->shape) known &= d >= 0;
    for (size_t d = static_cast<size_t>(axis); d < x.shape.size(); ++d) known &= x.shape[d] >= 0;
    if (known && !layer_norm_param_broadcasts(p->shape, x.shape, axis))
      return invalid_argument(std::string(what) + " " + shape_to_string(p->shape) + " does not broadcast to the normalised dims of X " +
                              shape_to_string(x.shape) + " from axis " + std::to_string(axis));
  }
  return Status::ok();
}

Status infer_layer_norm(InferContext& ctx) {
  TANDEM_RETURN_IF_ERROR(require_inputs(ctx, 2, "X and Scale"));
  auto& s = std::get<LayerNormAttrs>(ctx.attrs);
  const ValueInfo& x = *ctx.inputs[0];
  if (!is_float(x.dtype)) return invalid_argument(std::string("X must be a float tensor, got ") + dtype_name(x.dtype));
  if (!x.rank_known) {
    ctx.outputs = {x, unknown_rank(DType::kFloat32), unknown_rank(DType::kFloat32)};
    return Status::ok();
  }
  const int64_t r = static_cast<int64_t>(x.shape.size());
  TANDEM_ASSIGN_OR_RETURN(s.axis, normalize_axis(s.axis, r, "axis"));
  TANDEM_RETURN_IF_ERROR(check_param(ctx, 1, "Scale", x, s.axis));
  TANDEM_RETURN_IF_ERROR(check_param(ctx, 2, "B", x, s.axis));
  Shape stats(x.shape.begin(), x.shape.begin() + s.axis);
  stats.resize(x.shape.size(), 1);
  ctx.outputs = {x, known_rank(DType::kFloat32, stats), known_rank(DType::kFloat32, stats)};
  return Status::ok();
}

Result<OpAttrs> parse_add_layer_norm(const AttrMap&, int) { return OpAttrs{LayerNormAttrs{}}; }

Status infer_add_layer_norm(InferContext& ctx) {
  TANDEM_RETURN_IF_ERROR(require_inputs(ctx, 3, "A, B and Scale"));
  auto& s = std::get<LayerNormAttrs>(ctx.attrs);
  const ValueInfo& a = *ctx.inputs[0];
  const ValueInfo& b = *ctx.inputs[1];
  if (!is_float(a.dtype) || b.dtype != a.dtype)
    return invalid_argument(std::string("A and B must be float tensors of one type, got ") + dtype_name(a.dtype) + " and " +
                            dtype_name(b.dtype));
  if (!a.rank_known || !b.rank_known) return invalid_argument("AddLayerNorm needs the ranks of A and B");
  if (a.fully_known() && b.fully_known() && a.shape != b.shape)
    return invalid_argument("A " + shape_to_string(a.shape) + " and B " + shape_to_string(b.shape) + " differ in shape");
  TANDEM_ASSIGN_OR_RETURN(s.axis, normalize_axis(s.axis, static_cast<int64_t>(a.shape.size()), "axis"));
  TANDEM_RETURN_IF_ERROR(check_param(ctx, 2, "Scale", a, s.axis));
  TANDEM_RETURN_IF_ERROR(check_param(ctx, 3, "B", a, s.axis));
  ctx.outputs = {a, a};
  return Status::ok();
}

}  // namespace

bool layer_norm_param_broadcasts(const Shape& scale, const Shape& x, int64_t axis) {
  if (scale.size() > x.size()) return false;
  for (size_t i = 0; i < scale.size(); ++i) {
    const size_t d = x.size() - scale.size() + i;
    const bool in_group = static_cast<int64_t>(d) >= axis;
    if (scale[i] != 1 && (!in_group || scale[i] != x[d])) return false;
  }
  return true;
}

bool layer_norm_param_is_row(const Shape& scale, const Shape& x, int64_t axis) {
  Shape a(scale), b(x.begin() + axis, x.end());
  auto strip = [](Shape& s) {
    size_t k = 0;
    while (k < s.size() && s[k] == 1) ++k;
    s.erase(s.begin(), s.begin() + static_cast<std::ptrdiff_t>(k));
  };
  strip(a);
  strip(b);
  return a == b;
}

extern const OpDef kLayerNormalizationOpDef{"LayerNormalization", parse_layer_norm, infer_layer_norm, false};
extern const OpDef kAddLayerNormOpDef{"AddLayerNorm", parse_add_layer_norm, infer_add_layer_norm, false, true};

}  // namespace tandem::ir
