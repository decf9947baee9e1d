// Range: element i is start + i * delta, computed in the inputs' dtype (integers exactly).
#include "backends/reference/ref_util.h"

namespace tandem::reference {
namespace {

template <typename T>
void fill_range(Tensor& y, T start, T delta) {
  T* p = y.data_as<T>();
  for (int64_t i = 0; i < y.numel(); ++i) p[i] = static_cast<T>(start + static_cast<T>(i) * delta);
}

Status run_range(RefOpContext& ctx) {
  for (size_t i = 0; i < 3; ++i) TANDEM_RETURN_IF_ERROR(require_input(ctx, i, "start/limit/delta"));
  const Tensor& start = ctx.inputs[0];
  const Tensor& delta = ctx.inputs[2];
  TANDEM_ASSIGN_OR_RETURN(Tensor y, alloc_output(ctx, 0, start.dtype()));
  switch (start.dtype()) {
    case DType::kFloat32: fill_range<float>(y, *start.data_as<float>(), *delta.data_as<float>()); break;
    case DType::kFloat64: fill_range<double>(y, *start.data_as<double>(), *delta.data_as<double>()); break;
    case DType::kInt64: fill_range<int64_t>(y, *start.data_as<int64_t>(), *delta.data_as<int64_t>()); break;
    case DType::kInt32: fill_range<int32_t>(y, *start.data_as<int32_t>(), *delta.data_as<int32_t>()); break;
    default: return unsupported(std::string("Range of ") + dtype_name(start.dtype()));
  }
  return Status::ok();
}

}  // namespace

extern const RefOp kRefRange{"Range", nullptr, run_range};

}  // namespace tandem::reference
