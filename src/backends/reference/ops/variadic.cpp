// Sum, Mean (float32), Min, Max (float32, int64, int32) over one or more inputs broadcast
// together: the output starts as input 0 broadcast, each later input is folded in with the
// binary op (Min/Max propagate NaN), and Mean divides by the input count at the end.
#include <string>

#include "backends/reference/ref_elementwise.h"
#include "ir/ops/variadic.h"

namespace tandem::reference {
namespace {

Status check_dtype(ir::VariadicOp op, DType t) {
  const bool float_only = op == ir::VariadicOp::kSum || op == ir::VariadicOp::kMean;
  if (t == DType::kFloat32 || (!float_only && (t == DType::kInt64 || t == DType::kInt32))) return Status::ok();
  return unsupported(std::string("reference Sum/Mean run float32, Min/Max float32, int64 and int32; not ") + dtype_name(t));
}

Status supports_variadic(const ir::Graph& graph, const ir::Node& node) {
  const auto* a = std::get_if<ir::VariadicAttrs>(&node.attrs);
  if (!a) return internal_error(node.op_type + " without VariadicAttrs");
  if (node.inputs.empty()) return invalid_argument(node.op_type + " without inputs");
  for (size_t i = 0; i < node.inputs.size(); ++i) {
    TANDEM_ASSIGN_OR_RETURN(DType t, input_dtype(graph, node, i));
    TANDEM_RETURN_IF_ERROR(check_dtype(a->op, t));
  }
  return Status::ok();
}

template <typename T>
Status fold(ir::VariadicOp op, const std::vector<Tensor>& ins, Tensor& y) {
  T* py = y.data_as<T>();
  const T* p0 = ins[0].data_as<T>();
  for_each_broadcast(y.shape(), {ins[0].shape()}, [&](int64_t i, const std::vector<int64_t>& o) { py[i] = p0[o[0]]; });
  const ir::BinaryAttrs at{ir::variadic_element_op(op)};
  for (size_t k = 1; k < ins.size(); ++k) {
    const T* pk = ins[k].data_as<T>();
    for_each_broadcast(y.shape(), {ins[k].shape()}, [&](int64_t i, const std::vector<int64_t>& o) {
      T out{};
      (void)arithmetic<T>(at, py[i], pk[o[0]], out);  // Add/Min/Max cannot fail
      py[i] = out;
    });
  }
  if constexpr (std::is_floating_point_v<T>) {
    if (op == ir::VariadicOp::kMean)
      for (int64_t i = 0; i < y.numel(); ++i) py[i] /= static_cast<T>(ins.size());
  }
  return Status::ok();
}

Status run_variadic(RefOpContext& ctx) {
  TANDEM_ASSIGN_OR_RETURN(const ir::VariadicAttrs* attrs, attrs_of<ir::VariadicAttrs>(ctx.node));
  if (ctx.inputs.empty()) return invalid_argument("no inputs");
  std::vector<Shape> shapes;
  for (size_t i = 0; i < ctx.inputs.size(); ++i) {
    TANDEM_RETURN_IF_ERROR(require_input(ctx, i, "data"));
    if (ctx.inputs[i].dtype() != ctx.inputs[0].dtype())
      return invalid_argument("input " + std::to_string(i) + " has another dtype than input 0");
    shapes.push_back(ctx.inputs[i].shape());
  }
  const DType t = ctx.inputs[0].dtype();
  TANDEM_RETURN_IF_ERROR(check_dtype(attrs->op, t));
  TANDEM_ASSIGN_OR_RETURN(Tensor y, alloc_output(ctx, 0, t));
  TANDEM_RETURN_IF_ERROR(check_ranks(y.shape(), shapes));
  switch (t) {
    case DType::kFloat32: return fold<float>(attrs->op, ctx.inputs, y);
    case DType::kInt64: return fold<int64_t>(attrs->op, ctx.inputs, y);
    default: return fold<int32_t>(attrs->op, ctx.inputs, y);
  }
}

}  // namespace

extern const RefOp kRefSum{"Sum", supports_variadic, run_variadic};
extern const RefOp kRefMean{"Mean", supports_variadic, run_variadic};
extern const RefOp kRefMin{"Min", supports_variadic, run_variadic};
extern const RefOp kRefMax{"Max", supports_variadic, run_variadic};

}  // namespace tandem::reference
