// The Reduce* family. Axes come from the `axes` attribute, or from the optional constant input 1
// (ReduceSum from opset 13, the others from opset 18). Negative axes count from the end; no axes
// means every axis unless noop_with_empty_axes is set. Inference stores the reduced axes
// normalised and sorted (re-inferring gives the same). Output: the input's type; reduced dims
// become 1 (keepdims) or go.
#include "ir/ops/reduce.h"

#include <algorithm>

#include "ir/ops/infer_util.h"
#include "ir/ops/op_def.h"

namespace tandem::ir {
namespace {

template <ReduceKind K>
Result<OpAttrs> parse_reduce(const AttrMap& a, int opset) {
  ReduceAttrs s;
  s.kind = K;
  TANDEM_ASSIGN_OR_RETURN(int64_t keep, a.get_int("keepdims", 1));
  TANDEM_ASSIGN_OR_RETURN(int64_t noop, a.get_int("noop_with_empty_axes", 0));
  s.keepdims = keep != 0;
  s.noop_with_empty_axes = noop != 0;
  s.axes_from_input = opset >= (K == ReduceKind::kSum ? 13 : 18);
  if (!s.axes_from_input) {
    TANDEM_ASSIGN_OR_RETURN(s.axes, a.get_ints("axes", {}));
  } else if (a.has("axes")) {
    return invalid_argument("takes its axes as input 1 at this opset, not as an attribute");
  }
  return OpAttrs{s};
}

bool reducible_dtype(DType t) {
  return t == DType::kFloat32 || t == DType::kFloat16 || t == DType::kFloat64 || t == DType::kInt64 ||
         t == DType::kInt32;
}

// The requested axes (before normalising); nullopt while the axes input is not constant yet.
Result<std::optional<std::vector<int64_t>>> requested_axes(const InferContext& ctx, const ReduceAttrs& s) {
  using Axes = std::optional<std::vector<int64_t>>;
  if (!s.axes_from_input) return Axes(s.axes);
  if (ctx.node.inputs.size() < 2 || ctx.node.inputs[1].empty()) return Axes(std::vector<int64_t>{});
  const Tensor* t = optional_constant(ctx, 1);
  if (!t) return Axes();
  if (t->dtype() != DType::kInt64 && t->dtype() != DType::kInt32) return invalid_argument("axes must be int64");
  if (t->shape().size() > 1) return invalid_argument("axes must be 1-D, got " + shape_to_string(t->shape()));
  return Axes(t->to_int_vector());
}

Status infer_reduce(InferContext& ctx) {
  TANDEM_RETURN_IF_ERROR(require_inputs(ctx, 1, "data"));
  auto& s = std::get<ReduceAttrs>(ctx.attrs);
  const ValueInfo& x = *ctx.inputs[0];
  if (!reducible_dtype(x.dtype)) return invalid_argument(std::string("cannot reduce a ") + dtype_name(x.dtype) + " tensor");
  TANDEM_ASSIGN_OR_RETURN(auto req, requested_axes(ctx, s));
  if (!x.rank_known || !req) {
    const bool rank_stays = x.rank_known && s.keepdims;
    ctx.outputs = {rank_stays ? known_rank(x.dtype, Shape(x.shape.size(), -1)) : unknown_rank(x.dtype)};
    return Status::ok();
  }
  const int64_t r = static_cast<int64_t>(x.shape.size());
  TANDEM_ASSIGN_OR_RETURN(auto axes, normalize_axes(*req, r, "axis"));
  if (axes.empty() && !s.noop_with_empty_axes)
    for (int64_t d = 0; d < r; ++d) axes.push_back(d);
  std::sort(axes.begin(), axes.end());
  Shape y;
  for (int64_t d = 0; d < r; ++d) {
    const bool reduced = std::binary_search(axes.begin(), axes.end(), d);
    if (!reduced) y.push_back(x.shape[d]);
    else if (s.keepdims) y.push_back(1);
  }
  s.axes = std::move(axes);
  ctx.outputs = {known_rank(x.dtype, std::move(y))};
  return Status::ok();
}

}  // namespace

const char* reduce_op_type(ReduceKind kind) {
  switch (kind) {
    case ReduceKind::kSum: return "ReduceSum";
    case ReduceKind::kMean: return "ReduceMean";
    case ReduceKind::kMax: return "ReduceMax";
    case ReduceKind::kMin: return "ReduceMin";
    case ReduceKind::kProd: return "ReduceProd";
    case ReduceKind::kL1: return "ReduceL1";
    case ReduceKind::kL2: return "ReduceL2";
    case ReduceKind::kSumSquare: return "ReduceSumSquare";
    case ReduceKind::kLogSum: return "ReduceLogSum";
    case ReduceKind::kLogSumExp: return "ReduceLogSumExp";
  }
  return "Reduce?";
}

extern const OpDef kReduceSumOpDef{"ReduceSum", parse_reduce<ReduceKind::kSum>, infer_reduce, true};
extern const OpDef kReduceMeanOpDef{"ReduceMean", parse_reduce<ReduceKind::kMean>, infer_reduce, true};
extern const OpDef kReduceMaxOpDef{"ReduceMax", parse_reduce<ReduceKind::kMax>, infer_reduce, true};
extern const OpDef kReduceMinOpDef{"ReduceMin", parse_reduce<ReduceKind::kMin>, infer_reduce, true};
extern const OpDef kReduceProdOpDef{"ReduceProd", parse_reduce<ReduceKind::kProd>, infer_reduce, true};
extern const OpDef kReduceL1OpDef{"ReduceL1", parse_reduce<ReduceKind::kL1>, infer_reduce, true};
extern const OpDef kReduceL2OpDef{"ReduceL2", parse_reduce<ReduceKind::kL2>, infer_reduce, true};
extern const OpDef kReduceSumSquareOpDef{"ReduceSumSquare", parse_reduce<ReduceKind::kSumSquare>, infer_reduce, true};
extern const OpDef kReduceLogSumOpDef{"ReduceLogSum", parse_reduce<ReduceKind::kLogSum>, infer_reduce, true};
extern const OpDef kReduceLogSumExpOpDef{"ReduceLogSumExp", parse_reduce<ReduceKind::kLogSumExp>, infer_reduce, true};

}  // namespace tandem::ir
