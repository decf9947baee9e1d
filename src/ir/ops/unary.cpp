// Erf, Sqrt, Exp, Log, Neg, Abs, Reciprocal, Sin, Cos, Ceil, Floor, Round, Sign, Not: elementwise,
// output = input's type and shape. Foldable: shape subgraphs use Ceil/Floor/Neg on constants.
#include "ir/ops/unary.h"

#include "ir/ops/infer_util.h"
#include "ir/ops/op_def.h"

namespace tandem::ir {
namespace {

bool is_float(DType t) { return t == DType::kFloat32 || t == DType::kFloat16 || t == DType::kFloat64; }
bool is_signed_int(DType t) { return t == DType::kInt64 || t == DType::kInt32 || t == DType::kInt8; }

template <UnaryOp K>
Result<OpAttrs> parse_unary(const AttrMap& /*a*/, int /*opset*/) {
  return OpAttrs{UnaryAttrs{K}};
}

Status check_dtype(UnaryOp op, DType t) {
  const bool ok = op == UnaryOp::kNot ? t == DType::kBool
                  : unary_takes_integers(op) ? (is_float(t) || is_signed_int(t) || t == DType::kUInt8)
                                             : is_float(t);
  if (ok) return Status::ok();
  const char* want = op == UnaryOp::kNot ? "bool" : unary_takes_integers(op) ? "a number" : "a float";
  return invalid_argument(std::string("X must be ") + want + " tensor, got " + dtype_name(t));
}

Status infer_unary(InferContext& ctx) {
  TANDEM_RETURN_IF_ERROR(require_inputs(ctx, 1, "X"));
  const auto& a = std::get<UnaryAttrs>(ctx.attrs);
  TANDEM_RETURN_IF_ERROR(check_dtype(a.op, ctx.inputs[0]->dtype));
  ctx.outputs = {*ctx.inputs[0]};
  return Status::ok();
}

}  // namespace

const char* unary_op_name(UnaryOp op) {
  static constexpr const char* kNames[] = {"Erf",  "Sqrt",  "Exp",   "Log",  "Neg", "Abs", "Reciprocal",
                                           "Sin",  "Cos",   "Ceil",  "Floor", "Round", "Sign", "Not"};
  return kNames[static_cast<int>(op)];
}

extern const OpDef kErfOpDef{"Erf", parse_unary<UnaryOp::kErf>, infer_unary, true};
extern const OpDef kSqrtOpDef{"Sqrt", parse_unary<UnaryOp::kSqrt>, infer_unary, true};
extern const OpDef kExpOpDef{"Exp", parse_unary<UnaryOp::kExp>, infer_unary, true};
extern const OpDef kLogOpDef{"Log", parse_unary<UnaryOp::kLog>, infer_unary, true};
extern const OpDef kNegOpDef{"Neg", parse_unary<UnaryOp::kNeg>, infer_unary, true};
extern const OpDef kAbsOpDef{"Abs", parse_unary<UnaryOp::kAbs>, infer_unary, true};
extern const OpDef kReciprocalOpDef{"Reciprocal", parse_unary<UnaryOp::kReciprocal>, infer_unary, true};
extern const OpDef kSinOpDef{"Sin", parse_unary<UnaryOp::kSin>, infer_unary, true};
extern const OpDef kCosOpDef{"Cos", parse_unary<UnaryOp::kCos>, infer_unary, true};
extern const OpDef kCeilOpDef{"Ceil", parse_unary<UnaryOp::kCeil>, infer_unary, true};
extern const OpDef kFloorOpDef{"Floor", parse_unary<UnaryOp::kFloor>, infer_unary, true};
extern const OpDef kRoundOpDef{"Round", parse_unary<UnaryOp::kRound>, infer_unary, true};
extern const OpDef kSignOpDef{"Sign", parse_unary<UnaryOp::kSign>, infer_unary, true};
extern const OpDef kNotOpDef{"Not", parse_unary<UnaryOp::kNot>, infer_unary, true};

}  // namespace tandem::ir
