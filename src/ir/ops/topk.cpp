// TopK: the k largest (or smallest) elements along an axis and their int64 indices; both outputs
// have X's shape with dim `axis` set to k. k is an attribute before opset 10, the K input after;
// K must be constant once the graph is specialised (it fixes the output shape), and at most the
// axis's size.
#include "ir/ops/topk.h"

#include "ir/ops/infer_util.h"
#include "ir/ops/op_def.h"

namespace tandem::ir {
namespace {

Result<OpAttrs> parse_topk(const AttrMap& a, int opset) {
  TopKAttrs t;
  TANDEM_ASSIGN_OR_RETURN(t.axis, a.get_int("axis", -1));
  TANDEM_ASSIGN_OR_RETURN(int64_t largest, a.get_int("largest", 1));
  TANDEM_ASSIGN_OR_RETURN(int64_t sorted, a.get_int("sorted", 1));
  t.largest = largest != 0;
  t.sorted = sorted != 0;
  if (opset < 10) {
    if (!a.has("k")) return invalid_argument("attribute 'k' is required before opset 10");
    TANDEM_ASSIGN_OR_RETURN(t.k, a.get_int("k", -1));
  }
  return OpAttrs{t};
}

// k from the K input (opset >= 10): a constant int64 tensor of one element.
Result<int64_t> constant_k(const InferContext& ctx) {
  if (ctx.node.inputs.size() < 2 || ctx.node.inputs[1].empty()) return invalid_argument("needs the K input");
  const Tensor* t = optional_constant(ctx, 1);
  if (!t)
    return unsupported("K is not a constant: a K computed from the data would make the output shape depend on the "
                       "data, which Tandem cannot express");
  if (t->numel() != 1 || (t->dtype() != DType::kInt64 && t->dtype() != DType::kInt32))
    return invalid_argument("K must be one int64 value");
  return t->int_at(0);
}

Status infer_topk(InferContext& ctx) {
  TANDEM_RETURN_IF_ERROR(require_inputs(ctx, 1, "X"));
  auto& t = std::get<TopKAttrs>(ctx.attrs);
  const ValueInfo& x = *ctx.inputs[0];
  if (ctx.opset >= 10) {
    TANDEM_ASSIGN_OR_RETURN(t.k, constant_k(ctx));
  }
  if (t.k < 0) return invalid_argument("k " + std::to_string(t.k) + " is negative");
  if (!x.rank_known) {
    ctx.outputs = {unknown_rank(x.dtype), unknown_rank(DType::kInt64)};
    return Status::ok();
  }
  const int64_t rank = static_cast<int64_t>(x.shape.size());
  if (rank < 1) return invalid_argument("X must have rank >= 1");
  TANDEM_ASSIGN_OR_RETURN(t.axis, normalize_axis(t.axis, rank, "axis"));
  const int64_t dim = x.shape[static_cast<size_t>(t.axis)];
  if (dim >= 0 && t.k > dim)
    return invalid_argument("k " + std::to_string(t.k) + " is larger than axis " + std::to_string(t.axis) + " (" +
                            std::to_string(dim) + " elements)");
  Shape out = x.shape;
  out[static_cast<size_t>(t.axis)] = t.k;
  ctx.outputs = {known_rank(x.dtype, out), known_rank(DType::kInt64, out)};
  return Status::ok();
}

}  // namespace

extern const OpDef kTopKOpDef{"TopK", parse_topk, infer_topk, true};

}  // namespace tandem::ir
