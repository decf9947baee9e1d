// Add, Sub, Mul, Div with NumPy broadcasting on float32, int64 and int32.
// Integer Div truncates toward zero (C++ and onnxruntime semantics); division by zero is an error.
#include <string>

#include "backends/reference/ref_util.h"
#include "ir/ops/binary.h"

namespace tandem::reference {
namespace {

Status supports_binary(const ir::Graph& graph, const ir::Node& node) {
  TANDEM_ASSIGN_OR_RETURN(DType a, input_dtype(graph, node, 0));
  TANDEM_ASSIGN_OR_RETURN(DType b, input_dtype(graph, node, 1));
  if (a != b) return unsupported(node.op_type + " of " + dtype_name(a) + " and " + dtype_name(b));
  if (a != DType::kFloat32 && a != DType::kInt64 && a != DType::kInt32)
    return unsupported(std::string("reference ") + node.op_type + " runs float32, int64 and int32, not " + dtype_name(a));
  return Status::ok();
}

template <typename T>
Status apply(ir::BinaryOp op, T a, T b, T& y) {
  switch (op) {
    case ir::BinaryOp::kAdd: y = a + b; return Status::ok();
    case ir::BinaryOp::kSub: y = a - b; return Status::ok();
    case ir::BinaryOp::kMul: y = a * b; return Status::ok();
    case ir::BinaryOp::kDiv:
      if constexpr (std::is_integral_v<T>) {
        if (b == 0) return invalid_argument("integer division by zero");
      }
      y = a / b;
      return Status::ok();
  }
  return internal_error("unknown binary op");
}

template <typename T>
Status run_typed(ir::BinaryOp op, const Tensor& a, const Tensor& b, Tensor& y) {
  const Shape& out = y.shape();
  const auto sa = broadcast_strides(a.shape(), out);
  const auto sb = broadcast_strides(b.shape(), out);
  const T* pa = a.data_as<T>();
  const T* pb = b.data_as<T>();
  T* py = y.data_as<T>();
  if (y.numel() == 0) return Status::ok();
  std::vector<int64_t> idx(out.size(), 0);
  int64_t i = 0;
  do {
    int64_t oa = 0, ob = 0;
    for (size_t d = 0; d < out.size(); ++d) {
      oa += idx[d] * sa[d];
      ob += idx[d] * sb[d];
    }
    TANDEM_RETURN_IF_ERROR(apply<T>(op, pa[oa], pb[ob], py[i++]));
  } while (next_index(idx, out));
  return Status::ok();
}

Status run_binary(RefOpContext& ctx) {
  TANDEM_ASSIGN_OR_RETURN(const ir::BinaryAttrs* attrs, attrs_of<ir::BinaryAttrs>(ctx.node));
  TANDEM_RETURN_IF_ERROR(require_input(ctx, 0, "A"));
  TANDEM_RETURN_IF_ERROR(require_input(ctx, 1, "B"));
  const Tensor& a = ctx.inputs[0];
  const Tensor& b = ctx.inputs[1];
  if (a.dtype() != b.dtype())
    return invalid_argument(std::string("A is ") + dtype_name(a.dtype()) + " but B is " + dtype_name(b.dtype()));
  TANDEM_ASSIGN_OR_RETURN(Tensor y, alloc_output(ctx, 0, a.dtype()));
  if (a.shape().size() > y.shape().size() || b.shape().size() > y.shape().size())
    return internal_error("an input has a higher rank than the output");
  switch (a.dtype()) {
    case DType::kFloat32: return run_typed<float>(attrs->op, a, b, y);
    case DType::kInt64: return run_typed<int64_t>(attrs->op, a, b, y);
    case DType::kInt32: return run_typed<int32_t>(attrs->op, a, b, y);
    default: return unsupported(std::string("reference binary op on ") + dtype_name(a.dtype()));
  }
}

}  // namespace

extern const RefOp kRefAdd{"Add", supports_binary, run_binary};
extern const RefOp kRefSub{"Sub", supports_binary, run_binary};
extern const RefOp kRefMul{"Mul", supports_binary, run_binary};
extern const RefOp kRefDiv{"Div", supports_binary, run_binary};

}  // namespace tandem::reference
