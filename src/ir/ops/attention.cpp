// FusedAttention: shape checks and inference (see attention.h for the semantics).
#include "ir/ops/attention.h"

#include "ir/ops/infer_util.h"
#include "ir/ops/op_def.h"

namespace tandem::ir {
namespace {

Result<OpAttrs> parse_attention(const AttrMap& /*a*/, int /*opset*/) {
  return unsupported("FusedAttention is made by a pass, it is not an ONNX op");
}

// [batch..., rows, cols] of a possibly transposed operand.
std::pair<int64_t, int64_t> rows_cols(const Shape& s, bool transposed) {
  const int64_t r = s[s.size() - 2], c = s.back();
  return transposed ? std::pair{c, r} : std::pair{r, c};
}

Status check_bias(const Shape& q, const Shape& bias, AttentionDims& d) {
  const size_t rank = q.size();
  if (bias.size() > rank) return invalid_argument("bias " + shape_to_string(bias) + " has a higher rank than Q");
  Shape b4(4 - bias.size(), 1);
  b4.insert(b4.end(), bias.begin(), bias.end());
  if (rank == 3 && bias.size() == 3) b4 = {bias[0], 1, bias[1], bias[2]};
  d.bias_batch = b4[0], d.bias_heads = b4[1], d.bias_n = b4[2], d.bias_m = b4[3];
  const bool ok = d.bias_batch >= 1 && d.batch % d.bias_batch == 0 && (d.bias_heads == 1 || d.bias_heads == d.heads) &&
                  (d.bias_n == 1 || d.bias_n == d.n) && (d.bias_m == 1 || d.bias_m == d.m);
  if (!ok) return invalid_argument("bias " + shape_to_string(bias) + " does not fit the scores");
  return Status::ok();
}

}  // namespace

Result<AttentionDims> attention_dims(const AttentionAttrs& a, const Shape& q, const Shape& k, const Shape& v,
                                     const Shape* bias) {
  const std::string shapes = "Q " + shape_to_string(q) + ", K " + shape_to_string(k) + ", V " + shape_to_string(v);
  if (q.size() < 3 || q.size() > 4 || k.size() != q.size() || v.size() != q.size())
    return invalid_argument("Q, K and V must all have rank 3 or 4 (" + shapes + ")");
  for (size_t i = 0; i + 2 < q.size(); ++i)
    if (k[i] != q[i] || v[i] != q[i]) return invalid_argument("batch dims differ (" + shapes + ")");
  AttentionDims d;
  d.batch = q[0];
  d.heads = q.size() == 4 ? q[1] : 1;
  d.n = q[q.size() - 2];
  d.d = q.back();
  auto [km, kd] = rows_cols(k, a.k_transposed);
  auto [vm, vd] = rows_cols(v, a.v_transposed);
  if (kd != d.d || vm != km) return invalid_argument("the head dims do not agree (" + shapes + ")");
  d.m = km;
  d.dv = vd;
  if (bias) TANDEM_RETURN_IF_ERROR(check_bias(q, *bias, d));
  return d;
}

Shape attention_output_shape(const AttentionAttrs& a, const Shape& q, const AttentionDims& d) {
  Shape y(q.begin(), q.end() - 2);
  y.push_back(a.out_transposed ? d.dv : d.n);
  y.push_back(a.out_transposed ? d.n : d.dv);
  return y;
}

namespace {

Status infer_attention(InferContext& ctx) {
  TANDEM_RETURN_IF_ERROR(require_inputs(ctx, 3, "Q, K and V"));
  const auto& a = std::get<AttentionAttrs>(ctx.attrs);
  if (ctx.inputs.size() != (a.has_bias ? 4u : 3u))
    return invalid_argument("FusedAttention takes " + std::string(a.has_bias ? "4" : "3") + " inputs");
  for (size_t i = 0; i < ctx.inputs.size(); ++i) {
    const ValueInfo* vi = ctx.inputs[i];
    if (!vi || !vi->fully_known()) return invalid_argument("input " + std::to_string(i) + " has no known shape");
    if (vi->dtype != ctx.inputs[0]->dtype) return invalid_argument("inputs have different dtypes");
  }
  const Shape* bias = a.has_bias ? &ctx.inputs[3]->shape : nullptr;
  TANDEM_ASSIGN_OR_RETURN(AttentionDims d, attention_dims(a, ctx.inputs[0]->shape, ctx.inputs[1]->shape,
                                                          ctx.inputs[2]->shape, bias));
  ctx.outputs = {known_rank(ctx.inputs[0]->dtype, attention_output_shape(a, ctx.inputs[0]->shape, d))};
  return Status::ok();
}

}  // namespace

extern const OpDef kFusedAttentionOpDef{"FusedAttention", parse_attention, infer_attention, false, true};

}  // namespace tandem::ir
