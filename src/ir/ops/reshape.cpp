// Reshape: the target comes from the constant shape input; 0 copies the input dim (unless
// allowzero), -1 takes the remaining elements. `target` is set once every dim is known.
#include "ir/ops/reshape.h"

#include "ir/ops/infer_util.h"
#include "ir/ops/op_def.h"

namespace tandem::ir {
namespace {

Result<OpAttrs> parse_reshape(const AttrMap& a, int /*opset*/) {
  ReshapeAttrs r;
  TANDEM_ASSIGN_OR_RETURN(int64_t az, a.get_int("allowzero", 0));
  r.allowzero = az != 0;
  return OpAttrs{r};
}

// Output dims from the requested ones; unknown input dims leave some output dims unknown.
Result<Shape> resolve_target(const Shape& in, bool in_rank_known, const std::vector<int64_t>& req, bool allowzero) {
  Shape out(req.size(), -1);
  int infer_at = -1;
  for (size_t i = 0; i < req.size(); ++i) {
    const int64_t d = req[i];
    if (d == -1) {
      if (infer_at >= 0) return invalid_argument("shape " + shape_to_string(req) + " has more than one -1");
      infer_at = static_cast<int>(i);
    } else if (d == 0 && !allowzero) {
      if (in_rank_known && i >= in.size())
        return invalid_argument("shape " + shape_to_string(req) + " copies dim " + std::to_string(i) +
                                " (0) but the input has rank " + std::to_string(in.size()));
      out[i] = in_rank_known ? in[i] : -1;
    } else if (d < 0) {
      return invalid_argument("shape " + shape_to_string(req) + " has a negative dim " + std::to_string(d));
    } else {
      out[i] = d;
    }
  }
  if (allowzero && infer_at >= 0)
    for (int64_t d : req)
      if (d == 0) return invalid_argument("allowzero with both 0 and -1 in the shape is invalid");
  const int64_t in_n = in_rank_known ? product_or_unknown(in, 0, in.size()) : -1;
  int64_t known = 1;
  bool all_known = true;
  for (size_t i = 0; i < out.size(); ++i)
    if (static_cast<int>(i) != infer_at) {
      if (out[i] < 0) all_known = false;
      else known *= out[i];
    }
  if (in_n >= 0 && all_known) {
    if (infer_at >= 0) {
      if (known == 0 || in_n % known != 0)
        return invalid_argument("cannot reshape " + shape_to_string(in) + " to " + shape_to_string(req));
      out[infer_at] = in_n / known;
    } else if (known != in_n) {
      return invalid_argument("cannot reshape " + shape_to_string(in) + " (" + std::to_string(in_n) +
                              " elements) to " + shape_to_string(out));
    }
  }
  return out;
}

Status infer_reshape(InferContext& ctx) {
  TANDEM_RETURN_IF_ERROR(require_inputs(ctx, 2, "data and shape"));
  auto& r = std::get<ReshapeAttrs>(ctx.attrs);
  const ValueInfo& x = *ctx.inputs[0];
  const ValueInfo& s = *ctx.inputs[1];
  if (s.dtype != DType::kInt64) return invalid_argument(std::string("shape must be int64, got ") + dtype_name(s.dtype));
  if (s.rank_known && s.shape.size() != 1) return invalid_argument("shape must be 1-D, got " + shape_to_string(s.shape));
  const Tensor* t = optional_constant(ctx, 1);
  if (!t) {
    // Only the rank is known (when the shape input's length is).
    ctx.outputs = {s.rank_known && s.shape[0] >= 0 ? known_rank(x.dtype, Shape(s.shape[0], -1)) : unknown_rank(x.dtype)};
    return Status::ok();
  }
  TANDEM_ASSIGN_OR_RETURN(Shape out, resolve_target(x.shape, x.rank_known, t->to_int_vector(), r.allowzero));
  ValueInfo y = known_rank(x.dtype, out);
  if (y.fully_known()) r.target = out;
  ctx.outputs = {y};
  return Status::ok();
}

}  // namespace

extern const OpDef kReshapeOpDef{"Reshape", parse_reshape, infer_reshape, true};

}  // namespace tandem::ir
