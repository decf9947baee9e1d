// Where(condition, X, Y) with NumPy broadcasting of all three. The elements are copied as bytes,
// so every dtype of a fixed size works (float32, int64, int32, bool, ...).
#include <cstring>

#include "backends/reference/ref_elementwise.h"
#include "ir/ops/where.h"

namespace tandem::reference {
namespace {

Status supports_where(const ir::Graph& graph, const ir::Node& node) {
  if (node.inputs.size() != 3) return invalid_argument("Where needs 3 inputs");
  TANDEM_ASSIGN_OR_RETURN(DType c, input_dtype(graph, node, 0));
  TANDEM_ASSIGN_OR_RETURN(DType x, input_dtype(graph, node, 1));
  TANDEM_ASSIGN_OR_RETURN(DType y, input_dtype(graph, node, 2));
  if (c != DType::kBool) return unsupported(std::string("Where condition is ") + dtype_name(c) + ", not bool");
  if (x != y) return unsupported(std::string("Where of ") + dtype_name(x) + " and " + dtype_name(y));
  return Status::ok();
}

Status run_where(RefOpContext& ctx) {
  for (size_t i = 0; i < 3; ++i) TANDEM_RETURN_IF_ERROR(require_input(ctx, i, i == 0 ? "condition" : i == 1 ? "X" : "Y"));
  const Tensor& c = ctx.inputs[0];
  const Tensor& x = ctx.inputs[1];
  const Tensor& y = ctx.inputs[2];
  if (c.dtype() != DType::kBool) return invalid_argument("condition is not bool");
  if (x.dtype() != y.dtype()) return invalid_argument("X and Y have different dtypes");
  TANDEM_ASSIGN_OR_RETURN(Tensor out, alloc_output(ctx, 0, x.dtype()));
  TANDEM_RETURN_IF_ERROR(check_ranks(out.shape(), {c.shape(), x.shape(), y.shape()}));
  const size_t es = dtype_size(x.dtype());
  const auto* pc = c.data_as<uint8_t>();
  const auto* px = static_cast<const std::byte*>(x.data());
  const auto* py = static_cast<const std::byte*>(y.data());
  auto* po = static_cast<std::byte*>(out.data());
  for_each_broadcast(out.shape(), {c.shape(), x.shape(), y.shape()}, [&](int64_t i, const std::vector<int64_t>& o) {
    const std::byte* src = pc[o[0]] ? px + o[1] * es : py + o[2] * es;
    std::memcpy(po + i * es, src, es);
  });
  return Status::ok();
}

}  // namespace

extern const RefOp kRefWhere{"Where", supports_where, run_where};

}  // namespace tandem::reference
