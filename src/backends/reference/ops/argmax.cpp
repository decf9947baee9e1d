// ArgMax along any axis for float32, float64, int64, int32, int8 and uint8: the int64 index of
// the largest element, ties to the first index (or the last, select_last_index), as onnxruntime
// does. NaN is never larger than the running maximum (an all-NaN line gives index 0), as a plain
// `>` comparison gives.
#include "backends/reference/ref_util.h"
#include "ir/ops/argmax.h"

namespace tandem::reference {
namespace {

template <typename T>
void argmax_typed(const Tensor& x, Tensor& y, const ir::ArgMaxAttrs& a) {
  const Shape& xs = x.shape();
  const int64_t dim = xs[static_cast<size_t>(a.axis)];
  const auto [outer, inner] = around_axis(xs, a.axis);
  const T* src = x.data_as<T>();
  int64_t* idx = y.data_as<int64_t>();
  std::vector<T> best(static_cast<size_t>(inner));
  // Line by line along the axis, the inner dim innermost (contiguous reads).
  for (int64_t o = 0; o < outer; ++o) {
    const T* plane = src + o * dim * inner;
    int64_t* out = idx + o * inner;
    for (int64_t i = 0; i < inner; ++i) {
      best[static_cast<size_t>(i)] = plane[i];
      out[i] = 0;
    }
    for (int64_t k = 1; k < dim; ++k) {
      const T* row = plane + k * inner;
      for (int64_t i = 0; i < inner; ++i) {
        T& b = best[static_cast<size_t>(i)];
        if (row[i] > b || (a.select_last_index && row[i] == b)) {
          b = row[i];
          out[i] = k;
        }
      }
    }
  }
}

Status supports_argmax(const ir::Graph& graph, const ir::Node& node) { return ordered_input(graph, node); }

Status run_argmax(RefOpContext& ctx) {
  TANDEM_ASSIGN_OR_RETURN(const ir::ArgMaxAttrs* a, attrs_of<ir::ArgMaxAttrs>(ctx.node));
  TANDEM_RETURN_IF_ERROR(require_input(ctx, 0, "data"));
  const Tensor& x = ctx.inputs[0];
  const int64_t rank = static_cast<int64_t>(x.shape().size());
  if (a->axis < 0 || a->axis >= rank || x.shape()[static_cast<size_t>(a->axis)] < 1)
    return internal_error("ArgMax axis is not resolved for data " + shape_to_string(x.shape()));
  TANDEM_ASSIGN_OR_RETURN(Tensor y, alloc_output(ctx, 0, DType::kInt64));
  if (y.numel() * x.shape()[static_cast<size_t>(a->axis)] != x.numel())
    return internal_error("ArgMax output " + shape_to_string(y.shape()) + " does not fit data " + shape_to_string(x.shape()));
  switch (x.dtype()) {
    case DType::kFloat32: argmax_typed<float>(x, y, *a); break;
    case DType::kFloat64: argmax_typed<double>(x, y, *a); break;
    case DType::kInt64: argmax_typed<int64_t>(x, y, *a); break;
    case DType::kInt32: argmax_typed<int32_t>(x, y, *a); break;
    case DType::kInt8: argmax_typed<int8_t>(x, y, *a); break;
    case DType::kUInt8: argmax_typed<uint8_t>(x, y, *a); break;
    default: return unsupported(std::string("ArgMax of ") + dtype_name(x.dtype()));
  }
  return Status::ok();
}

}  // namespace

extern const RefOp kRefArgMax{"ArgMax", supports_argmax, run_argmax};

}  // namespace tandem::reference
