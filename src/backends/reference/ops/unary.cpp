// Erf, Sqrt, Exp, Log, Neg, Abs, Reciprocal, Sin, Cos, Ceil, Floor, Round, Sign on float32;
// Neg, Abs, Sign also on int64 and int32; Not on bool. Round is half to even (ONNX), which is
// std::nearbyint in the default rounding mode.
#include <cmath>

#include "backends/reference/ref_util.h"
#include "ir/ops/unary.h"

namespace tandem::reference {
namespace {

using ir::UnaryOp;

float unary_float(UnaryOp op, float x) {
  switch (op) {
    case UnaryOp::kErf: return std::erf(x);
    case UnaryOp::kSqrt: return std::sqrt(x);
    case UnaryOp::kExp: return std::exp(x);
    case UnaryOp::kLog: return std::log(x);
    case UnaryOp::kNeg: return -x;
    case UnaryOp::kAbs: return std::fabs(x);
    case UnaryOp::kReciprocal: return 1.0f / x;
    case UnaryOp::kSin: return std::sin(x);
    case UnaryOp::kCos: return std::cos(x);
    case UnaryOp::kCeil: return std::ceil(x);
    case UnaryOp::kFloor: return std::floor(x);
    case UnaryOp::kRound: return std::nearbyint(x);
    case UnaryOp::kSign: return x > 0.0f ? 1.0f : x < 0.0f ? -1.0f : x;  // 0 stays 0, NaN stays NaN
    case UnaryOp::kNot: break;
  }
  return x;
}

template <typename T>
T unary_int(UnaryOp op, T x) {
  switch (op) {
    case UnaryOp::kNeg: return static_cast<T>(-x);
    case UnaryOp::kAbs: return x < 0 ? static_cast<T>(-x) : x;
    default: return static_cast<T>((x > 0) - (x < 0));  // Sign
  }
}

Status check_dtype(UnaryOp op, DType t) {
  if (op == UnaryOp::kNot) {
    if (t == DType::kBool) return Status::ok();
  } else if (t == DType::kFloat32 || (ir::unary_takes_integers(op) && (t == DType::kInt64 || t == DType::kInt32))) {
    return Status::ok();
  }
  const char* runs = op == UnaryOp::kNot ? "bool" : ir::unary_takes_integers(op) ? "float32, int64 and int32" : "float32";
  return unsupported(std::string("reference ") + ir::unary_op_name(op) + " runs " + runs + ", not " + dtype_name(t));
}

Status supports_unary(const ir::Graph& graph, const ir::Node& node) {
  const auto* a = std::get_if<ir::UnaryAttrs>(&node.attrs);
  if (!a) return internal_error(node.op_type + " without UnaryAttrs");
  TANDEM_ASSIGN_OR_RETURN(DType t, input_dtype(graph, node, 0));
  return check_dtype(a->op, t);
}

template <typename T, typename F>
void map(const Tensor& x, Tensor& y, F f) {
  const T* px = x.data_as<T>();
  T* py = y.data_as<T>();
  for (int64_t i = 0; i < x.numel(); ++i) py[i] = f(px[i]);
}

Status run_unary(RefOpContext& ctx) {
  TANDEM_ASSIGN_OR_RETURN(const ir::UnaryAttrs* attrs, attrs_of<ir::UnaryAttrs>(ctx.node));
  TANDEM_RETURN_IF_ERROR(require_input(ctx, 0, "X"));
  const Tensor& x = ctx.inputs[0];
  const UnaryOp op = attrs->op;
  TANDEM_RETURN_IF_ERROR(check_dtype(op, x.dtype()));
  TANDEM_ASSIGN_OR_RETURN(Tensor y, alloc_output(ctx, 0, x.dtype()));
  if (y.numel() != x.numel()) return internal_error("output and input sizes differ");
  switch (x.dtype()) {
    case DType::kFloat32: map<float>(x, y, [op](float v) { return unary_float(op, v); }); break;
    case DType::kInt64: map<int64_t>(x, y, [op](int64_t v) { return unary_int(op, v); }); break;
    case DType::kInt32: map<int32_t>(x, y, [op](int32_t v) { return unary_int(op, v); }); break;
    default: map<uint8_t>(x, y, [](uint8_t v) { return static_cast<uint8_t>(v == 0 ? 1 : 0); }); break;  // Not
  }
  return Status::ok();
}

}  // namespace

extern const RefOp kRefErf{"Erf", supports_unary, run_unary};
extern const RefOp kRefSqrt{"Sqrt", supports_unary, run_unary};
extern const RefOp kRefExp{"Exp", supports_unary, run_unary};
extern const RefOp kRefLog{"Log", supports_unary, run_unary};
extern const RefOp kRefNeg{"Neg", supports_unary, run_unary};
extern const RefOp kRefAbs{"Abs", supports_unary, run_unary};
extern const RefOp kRefReciprocal{"Reciprocal", supports_unary, run_unary};
extern const RefOp kRefSin{"Sin", supports_unary, run_unary};
extern const RefOp kRefCos{"Cos", supports_unary, run_unary};
extern const RefOp kRefCeil{"Ceil", supports_unary, run_unary};
extern const RefOp kRefFloor{"Floor", supports_unary, run_unary};
extern const RefOp kRefRound{"Round", supports_unary, run_unary};
extern const RefOp kRefSign{"Sign", supports_unary, run_unary};
extern const RefOp kRefNot{"Not", supports_unary, run_unary};

}  // namespace tandem::reference
