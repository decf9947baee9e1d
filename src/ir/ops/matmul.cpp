// MatMul with NumPy semantics: rank-1 operands are promoted and the added dim removed again;
// leading (batch) dims broadcast. A third input (the bias) exists only after matmul_add_to_gemm.
#include "ir/ops/matmul.h"

#include "ir/ops/infer_util.h"
#include "ir/ops/op_def.h"

namespace tandem::ir {
namespace {

Result<OpAttrs> parse_matmul(const AttrMap& /*a*/, int /*opset*/) { return OpAttrs{MatMulAttrs{}}; }

Status infer_matmul(InferContext& ctx) {
  TANDEM_RETURN_IF_ERROR(require_inputs(ctx, 2, "A and B"));
  const auto& attrs = std::get<MatMulAttrs>(ctx.attrs);
  if (ctx.inputs.size() != (attrs.has_bias ? 3u : 2u))
    return invalid_argument("MatMul takes 2 inputs, got " + std::to_string(ctx.inputs.size()));
  const ValueInfo& a = *ctx.inputs[0];
  const ValueInfo& b = *ctx.inputs[1];
  if (a.dtype != b.dtype)
    return invalid_argument(std::string("A is ") + dtype_name(a.dtype) + " but B is " + dtype_name(b.dtype));
  if (!a.rank_known || !b.rank_known) {
    ctx.outputs = {unknown_rank(a.dtype)};
    return Status::ok();
  }
  if (a.shape.empty() || b.shape.empty()) return invalid_argument("A and B must have rank >= 1");
  Shape sa = a.shape, sb = b.shape;
  const bool a1 = sa.size() == 1, b1 = sb.size() == 1;
  if (a1) sa.insert(sa.begin(), 1);
  if (b1) sb.push_back(1);
  const int64_t ka = sa[sa.size() - 1], kb = sb[sb.size() - 2];
  if (ka >= 0 && kb >= 0 && ka != kb)
    return invalid_argument("A " + shape_to_string(a.shape) + " and B " + shape_to_string(b.shape) +
                            " do not agree on K (" + std::to_string(ka) + " vs " + std::to_string(kb) + ")");
  auto batch = broadcast_shapes(Shape(sa.begin(), sa.end() - 2), Shape(sb.begin(), sb.end() - 2));
  if (!batch.is_ok())
    return invalid_argument("batch dims of A " + shape_to_string(a.shape) + " and B " + shape_to_string(b.shape) +
                            " cannot be broadcast");
  Shape y = *batch;
  if (!a1) y.push_back(sa[sa.size() - 2]);
  if (!b1) y.push_back(sb[sb.size() - 1]);
  if (attrs.has_bias) {
    const ValueInfo* bias = ctx.inputs[2];
    if (!bias || !bias->rank_known || bias->shape.size() != 1 || y.empty() || bias->shape[0] != y.back())
      return invalid_argument("the fused bias must be 1-D over the last dim of " + shape_to_string(y));
  }
  ctx.outputs = {known_rank(a.dtype, std::move(y))};
  return Status::ok();
}

}  // namespace

extern const OpDef kMatMulOpDef{"MatMul", parse_matmul, infer_matmul, false};

}  // namespace tandem::ir
