// The binary elementwise ops with NumPy broadcasting:
//   Add, Sub, Mul, Div, Mod, on float32, int64 and int32 (integer Div truncates toward zero, as
//     C++ and onnxruntime do; integer division or modulo by zero is an error);
//   Pow: base float32/int64/int32, exponent any of those (a float base is raised in double and
//     rounded once; an integer base with an integer exponent is exact);
//   Equal, Less, Greater, LessOrEqual, GreaterOrEqual on float32, int64, int32 (Equal also bool),
//     writing bool;
//   And, Or, Xor on bool.
#include <string>

#include "backends/reference/ref_elementwise.h"

namespace tandem::reference {
namespace {

using ir::BinaryOp;

bool is_number(DType t) { return t == DType::kFloat32 || t == DType::kInt64 || t == DType::kInt32; }

Status supports_binary(const ir::Graph& graph, const ir::Node& node) {
  const auto* at = std::get_if<ir::BinaryAttrs>(&node.attrs);
  if (!at) return internal_error(node.op_type + " without BinaryAttrs");
  TANDEM_ASSIGN_OR_RETURN(DType a, input_dtype(graph, node, 0));
  TANDEM_ASSIGN_OR_RETURN(DType b, input_dtype(graph, node, 1));
  const std::string types = std::string(dtype_name(a)) + " and " + dtype_name(b);
  if (at->op == BinaryOp::kPow) {
    if (is_number(a) && is_number(b)) return Status::ok();
    return unsupported("reference Pow runs float32, int64 and int32 bases and exponents, not " + types);
  }
  if (a != b) return unsupported(node.op_type + " of " + types);
  if (ir::is_logical(at->op)) {
    if (a == DType::kBool) return Status::ok();
    return unsupported("reference " + node.op_type + " runs bool, not " + dtype_name(a));
  }
  if (is_number(a) || (at->op == BinaryOp::kEqual && a == DType::kBool)) return Status::ok();
  return unsupported(std::string("reference ") + node.op_type + " runs float32, int64 and int32, not " + dtype_name(a));
}

template <typename T>
Status run_arithmetic(const ir::BinaryAttrs& at, const Tensor& a, const Tensor& b, Tensor& y) {
  const T* pa = a.data_as<T>();
  const T* pb = b.data_as<T>();
  T* py = y.data_as<T>();
  Status st;
  for_each_broadcast(y.shape(), {a.shape(), b.shape()}, [&](int64_t i, const std::vector<int64_t>& o) {
    if (st.is_ok()) st = arithmetic<T>(at, pa[o[0]], pb[o[1]], py[i]);
  });
  return st;
}

template <typename T>
Status run_compare(BinaryOp op, const Tensor& a, const Tensor& b, Tensor& y) {
  const T* pa = a.data_as<T>();
  const T* pb = b.data_as<T>();
  uint8_t* py = y.data_as<uint8_t>();
  for_each_broadcast(y.shape(), {a.shape(), b.shape()}, [&](int64_t i, const std::vector<int64_t>& o) {
    if constexpr (std::is_same_v<T, uint8_t>) {  // bool: And/Or/Xor, or Equal
      const bool a = pa[o[0]] != 0, b = pb[o[1]] != 0;
      py[i] = (ir::is_logical(op) ? logical(op, a, b) : compare<bool>(op, a, b)) ? 1 : 0;
    } else {
      py[i] = compare<T>(op, pa[o[0]], pb[o[1]]) ? 1 : 0;
    }
  });
  return Status::ok();
}

// Values are read through float_at / int_at, so base and exponent may have different types.
Status run_pow(const Tensor& a, const Tensor& b, Tensor& y) {
  const bool int_exp = b.dtype() != DType::kFloat32;
  for_each_broadcast(y.shape(), {a.shape(), b.shape()}, [&](int64_t i, const std::vector<int64_t>& o) {
    switch (y.dtype()) {
      case DType::kFloat32:
        y.data_as<float>()[i] = static_cast<float>(std::pow(a.float_at(o[0]), b.float_at(o[1])));
        break;
      case DType::kInt64:
        y.data_as<int64_t>()[i] = int_exp ? int_pow<int64_t>(a.int_at(o[0]), b.int_at(o[1]))
                                          : static_cast<int64_t>(std::pow(a.float_at(o[0]), b.float_at(o[1])));
        break;
      default:
        y.data_as<int32_t>()[i] =
            int_exp ? int_pow<int32_t>(static_cast<int32_t>(a.int_at(o[0])), static_cast<int32_t>(b.int_at(o[1])))
                    : static_cast<int32_t>(std::pow(a.float_at(o[0]), b.float_at(o[1])));
        break;
    }
  });
  return Status::ok();
}

Status run_typed(const ir::BinaryAttrs& at, const Tensor& a, const Tensor& b, Tensor& y) {
  const bool bool_out = ir::writes_bool(at.op);
  switch (a.dtype()) {
    case DType::kFloat32:
      if (bool_out) return run_compare<float>(at.op, a, b, y);
      return run_arithmetic<float>(at, a, b, y);
    case DType::kInt64:
      if (bool_out) return run_compare<int64_t>(at.op, a, b, y);
      return run_arithmetic<int64_t>(at, a, b, y);
    case DType::kInt32:
      if (bool_out) return run_compare<int32_t>(at.op, a, b, y);
      return run_arithmetic<int32_t>(at, a, b, y);
    case DType::kBool:
      if (bool_out) return run_compare<uint8_t>(at.op, a, b, y);
      break;
    default: break;
  }
  return unsupported(std::string("reference binary op on ") + dtype_name(a.dtype()));
}

Status run_binary(RefOpContext& ctx) {
  TANDEM_ASSIGN_OR_RETURN(const ir::BinaryAttrs* attrs, attrs_of<ir::BinaryAttrs>(ctx.node));
  TANDEM_RETURN_IF_ERROR(require_input(ctx, 0, "A"));
  TANDEM_RETURN_IF_ERROR(require_input(ctx, 1, "B"));
  const Tensor& a = ctx.inputs[0];
  const Tensor& b = ctx.inputs[1];
  const bool pow = attrs->op == BinaryOp::kPow;
  if (!pow && a.dtype() != b.dtype())
    return invalid_argument(std::string("A is ") + dtype_name(a.dtype()) + " but B is " + dtype_name(b.dtype()));
  if (pow && (!is_number(a.dtype()) || !is_number(b.dtype())))
    return unsupported(std::string("reference Pow of ") + dtype_name(a.dtype()) + " and " + dtype_name(b.dtype()));
  TANDEM_ASSIGN_OR_RETURN(Tensor y, alloc_output(ctx, 0, ir::writes_bool(attrs->op) ? DType::kBool : a.dtype()));
  TANDEM_RETURN_IF_ERROR(check_ranks(y.shape(), {a.shape(), b.shape()}));
  if (pow) return run_pow(a, b, y);
  return run_typed(*attrs, a, b, y);
}

}  // namespace

extern const RefOp kRefAdd{"Add", supports_binary, run_binary};
extern const RefOp kRefSub{"Sub", supports_binary, run_binary};
extern const RefOp kRefMul{"Mul", supports_binary, run_binary};
extern const RefOp kRefDiv{"Div", supports_binary, run_binary};
extern const RefOp kRefPow{"Pow", supports_binary, run_binary};
extern const RefOp kRefMod{"Mod", supports_binary, run_binary};
extern const RefOp kRefEqual{"Equal", supports_binary, run_binary};
extern const RefOp kRefLess{"Less", supports_binary, run_binary};
extern const RefOp kRefGreater{"Greater", supports_binary, run_binary};
extern const RefOp kRefLessOrEqual{"LessOrEqual", supports_binary, run_binary};
extern const RefOp kRefGreaterOrEqual{"GreaterOrEqual", supports_binary, run_binary};
extern const RefOp kRefAnd{"And", supports_binary, run_binary};
extern const RefOp kRefOr{"Or", supports_binary, run_binary};
extern const RefOp kRefXor{"Xor", supports_binary, run_binary};

}  // namespace tandem::reference
