// Binary elementwise ops with NumPy broadcasting. Both inputs have the same dtype, except Pow,
// whose exponent may be any number type (its output has the base's type). Comparisons write bool;
// And/Or/Xor read and write bool.
#include "ir/ops/binary.h"

#include "ir/ops/infer_util.h"
#include "ir/ops/op_def.h"

namespace tandem::ir {
namespace {

bool is_float(DType t) { return t == DType::kFloat32 || t == DType::kFloat16 || t == DType::kFloat64; }

template <BinaryOp K>
Result<OpAttrs> parse_binary(const AttrMap& a, int opset) {
  // Opset < 7 had explicit `broadcast`/`axis`; we start at opset 9, where NumPy rules apply.
  if (opset < 7 && a.has("axis")) return unsupported("legacy broadcast with 'axis' is not supported");
  BinaryAttrs b;
  b.op = K;
  if constexpr (K == BinaryOp::kMod) {
    TANDEM_ASSIGN_OR_RETURN(int64_t fmod, a.get_int("fmod", 0));
    if (fmod != 0 && fmod != 1) return invalid_argument("Mod fmod must be 0 or 1, got " + std::to_string(fmod));
    b.fmod = fmod == 1;
  }
  return OpAttrs{b};
}

Status check_dtypes(const BinaryAttrs& at, DType a, DType b) {
  if (at.op != BinaryOp::kPow && a != b)
    return invalid_argument(std::string("A is ") + dtype_name(a) + " but B is " + dtype_name(b));
  if (is_logical(at.op) && a != DType::kBool)
    return invalid_argument(std::string("inputs must be bool, got ") + dtype_name(a));
  if (at.op == BinaryOp::kPow && (a == DType::kBool || b == DType::kBool)) return invalid_argument("Pow of bool");
  if (at.op == BinaryOp::kMod && !at.fmod && is_float(a))
    return invalid_argument(std::string("Mod of ") + dtype_name(a) + " needs fmod=1");
  return Status::ok();
}

Status infer_binary(InferContext& ctx) {
  TANDEM_RETURN_IF_ERROR(require_inputs(ctx, 2, "A and B"));
  const auto& at = std::get<BinaryAttrs>(ctx.attrs);
  const ValueInfo& a = *ctx.inputs[0];
  const ValueInfo& b = *ctx.inputs[1];
  TANDEM_RETURN_IF_ERROR(check_dtypes(at, a.dtype, b.dtype));
  const DType out = writes_bool(at.op) ? DType::kBool : a.dtype;
  if (!a.rank_known || !b.rank_known) {
    ctx.outputs = {unknown_rank(out)};
    return Status::ok();
  }
  TANDEM_ASSIGN_OR_RETURN(Shape s, broadcast_shapes(a.shape, b.shape));
  ctx.outputs = {known_rank(out, std::move(s))};
  return Status::ok();
}

}  // namespace

extern const OpDef kAddOpDef{"Add", parse_binary<BinaryOp::kAdd>, infer_binary, true};
extern const OpDef kSubOpDef{"Sub", parse_binary<BinaryOp::kSub>, infer_binary, true};
extern const OpDef kMulOpDef{"Mul", parse_binary<BinaryOp::kMul>, infer_binary, true};
extern const OpDef kDivOpDef{"Div", parse_binary<BinaryOp::kDiv>, infer_binary, true};
extern const OpDef kPowOpDef{"Pow", parse_binary<BinaryOp::kPow>, infer_binary, true};
extern const OpDef kModOpDef{"Mod", parse_binary<BinaryOp::kMod>, infer_binary, true};
extern const OpDef kEqualOpDef{"Equal", parse_binary<BinaryOp::kEqual>, infer_binary, true};
extern const OpDef kLessOpDef{"Less", parse_binary<BinaryOp::kLess>, infer_binary, true};
extern const OpDef kGreaterOpDef{"Greater", parse_binary<BinaryOp::kGreater>, infer_binary, true};
extern const OpDef kLessOrEqualOpDef{"LessOrEqual", parse_binary<BinaryOp::kLessOrEqual>, infer_binary, true};
extern const OpDef kGreaterOrEqualOpDef{"GreaterOrEqual", parse_binary<BinaryOp::kGreaterOrEqual>, infer_binary, true};
extern const OpDef kAndOpDef{"And", parse_binary<BinaryOp::kAnd>, infer_binary, true};
extern const OpDef kOrOpDef{"Or", parse_binary<BinaryOp::kOr>, infer_binary, true};
extern const OpDef kXorOpDef{"Xor", parse_binary<BinaryOp::kXor>, infer_binary, true};

}  // namespace tandem::ir
