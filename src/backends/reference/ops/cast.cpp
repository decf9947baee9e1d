// Cast between float32, float16, float64, int64, int32, int8, uint8 and bool.
// Integers travel as int64 and floats as double, so int64 values keep every bit; a float cast to
// an integer truncates toward zero (C++), anything non-zero cast to bool is true.
#include <cmath>

#include "backends/reference/ref_util.h"
#include "ir/ops/cast.h"

namespace tandem::reference {
namespace {

bool is_float(DType t) { return t == DType::kFloat32 || t == DType::kFloat16 || t == DType::kFloat64; }

template <typename T>
void store(void* dst, int64_t i, T v, DType to) {
  switch (to) {
    case DType::kFloat32: static_cast<float*>(dst)[i] = static_cast<float>(v); break;
    case DType::kFloat16: static_cast<uint16_t*>(dst)[i] = float_to_half(static_cast<float>(v)); break;
    case DType::kFloat64: static_cast<double*>(dst)[i] = static_cast<double>(v); break;
    case DType::kInt64: static_cast<int64_t*>(dst)[i] = static_cast<int64_t>(v); break;
    case DType::kInt32: static_cast<int32_t*>(dst)[i] = static_cast<int32_t>(v); break;
    case DType::kInt8: static_cast<int8_t*>(dst)[i] = static_cast<int8_t>(static_cast<int64_t>(v)); break;
    case DType::kUInt8: static_cast<uint8_t*>(dst)[i] = static_cast<uint8_t>(static_cast<int64_t>(v)); break;
    case DType::kBool: static_cast<uint8_t*>(dst)[i] = v != T(0) ? 1 : 0; break;
  }
}

Status run_cast(RefOpContext& ctx) {
  TANDEM_ASSIGN_OR_RETURN(const ir::CastAttrs* a, attrs_of<ir::CastAttrs>(ctx.node));
  TANDEM_RETURN_IF_ERROR(require_input(ctx, 0, "input"));
  const Tensor& x = ctx.inputs[0];
  TANDEM_ASSIGN_OR_RETURN(Tensor y, alloc_output(ctx, 0, a->to));
  if (y.numel() != x.numel()) return internal_error("Y shape " + shape_to_string(y.shape()) + " is wrong");
  const bool from_float = is_float(x.dtype());
  for (int64_t i = 0; i < x.numel(); ++i) {
    if (from_float) {
      const double v = x.float_at(i);
      // Float -> bool must see NaN as true and -0.0 as false; the template handles both.
      store<double>(y.data(), i, v, a->to);
    } else {
      store<int64_t>(y.data(), i, x.int_at(i), a->to);
    }
  }
  return Status::ok();
}

}  // namespace

extern const RefOp kRefCast{"Cast", nullptr, run_cast};

}  // namespace tandem::reference
