// Squeeze / Unsqueeze. Axes come from the attribute before opset 13 and from the constant
// input 1 from opset 13; inference stores them normalized (>= 0) and sorted.
#include "ir/ops/squeeze.h"

#include <algorithm>

#include "ir/ops/infer_util.h"
#include "ir/ops/op_def.h"

namespace tandem::ir {
namespace {

template <bool kUnsqueeze>
Result<OpAttrs> parse_squeeze(const AttrMap& a, int opset) {
  SqueezeAttrs s;
  s.unsqueeze = kUnsqueeze;
  if (opset < 13) {
    TANDEM_ASSIGN_OR_RETURN(s.axes, a.get_ints("axes", {}));
    if (kUnsqueeze && s.axes.empty()) return invalid_argument("attribute 'axes' is required");
  }
  return OpAttrs{s};
}

// The requested axes: the attribute (opset < 13) or the constant input. nullopt = not known yet.
Result<std::optional<std::vector<int64_t>>> requested_axes(InferContext& ctx, const SqueezeAttrs& s) {
  if (ctx.opset < 13) return std::optional<std::vector<int64_t>>(s.axes);
  if (ctx.node.inputs.size() < 2 || ctx.node.inputs[1].empty()) {
    if (s.unsqueeze) return invalid_argument("needs the axes input");
    return std::optional<std::vector<int64_t>>(std::vector<int64_t>{});
  }
  if (const Tensor* t = optional_constant(ctx, 1)) return std::optional<std::vector<int64_t>>(t->to_int_vector());
  return std::optional<std::vector<int64_t>>();
}

Status infer_squeeze_op(InferContext& ctx, const ValueInfo& x, SqueezeAttrs& s, const std::vector<int64_t>& req) {
  const int64_t r = static_cast<int64_t>(x.shape.size());
  std::vector<int64_t> axes;
  if (req.empty()) {
    for (int64_t i = 0; i < r; ++i) {
      if (x.shape[i] < 0) {  // whether it is 1 is not known yet
        ctx.outputs = {unknown_rank(x.dtype)};
        return Status::ok();
      }
      if (x.shape[i] == 1) axes.push_back(i);
    }
  } else {
    TANDEM_ASSIGN_OR_RETURN(axes, normalize_axes(req, r, "axis"));
  }
  std::sort(axes.begin(), axes.end());
  Shape y;
  for (int64_t i = 0; i < r; ++i) {
    const bool drop = std::binary_search(axes.begin(), axes.end(), i);
    if (drop && x.shape[i] >= 0 && x.shape[i] != 1)
      return invalid_argument("cannot squeeze dim " + std::to_string(i) + " of " + shape_to_string(x.shape) +
                              ": its size is not 1");
    if (!drop) y.push_back(x.shape[i]);
  }
  s.axes = axes;
  ctx.outputs = {known_rank(x.dtype, std::move(y))};
  return Status::ok();
}

Status infer_unsqueeze_op(InferContext& ctx, const ValueInfo& x, SqueezeAttrs& s, const std::vector<int64_t>& req) {
  const int64_t out_rank = static_cast<int64_t>(x.shape.size() + req.size());
  TANDEM_ASSIGN_OR_RETURN(auto axes, normalize_axes(req, out_rank, "axis"));
  std::sort(axes.begin(), axes.end());
  Shape y;
  size_t next = 0;
  for (int64_t i = 0; i < out_rank; ++i)
    y.push_back(std::binary_search(axes.begin(), axes.end(), i) ? 1 : x.shape[next++]);
  s.axes = axes;
  ctx.outputs = {known_rank(x.dtype, std::move(y))};
  return Status::ok();
}

Status infer_squeeze(InferContext& ctx) {
  TANDEM_RETURN_IF_ERROR(require_inputs(ctx, 1, "data"));
  auto& s = std::get<SqueezeAttrs>(ctx.attrs);
  const ValueInfo& x = *ctx.inputs[0];
  TANDEM_ASSIGN_OR_RETURN(auto req, requested_axes(ctx, s));
  if (!req || !x.rank_known) {
    ctx.outputs = {unknown_rank(x.dtype)};
    return Status::ok();
  }
  return s.unsqueeze ? infer_unsqueeze_op(ctx, x, s, *req) : infer_squeeze_op(ctx, x, s, *req);
}

}  // namespace

extern const OpDef kSqueezeOpDef{"Squeeze", parse_squeeze<false>, infer_squeeze, true};
extern const OpDef kUnsqueezeOpDef{"Unsqueeze", parse_squeeze<true>, infer_squeeze, true};

}  // namespace tandem::ir
