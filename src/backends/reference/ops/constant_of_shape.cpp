// ConstantOfShape: every element is the attribute's one value (its dtype is the output's).
#include <cstring>

#include "backends/reference/ref_util.h"
#include "ir/ops/constant_of_shape.h"

namespace tandem::reference {
namespace {

Status run_constant_of_shape(RefOpContext& ctx) {
  TANDEM_ASSIGN_OR_RETURN(const ir::ConstantOfShapeAttrs* a, attrs_of<ir::ConstantOfShapeAttrs>(ctx.node));
  if (a->value.numel() != 1) return internal_error("ConstantOfShape value must have one element");
  TANDEM_ASSIGN_OR_RETURN(Tensor y, alloc_output(ctx, 0, a->value.dtype()));
  const size_t esize = dtype_size(y.dtype());
  auto* dst = static_cast<std::byte*>(y.data());
  for (int64_t i = 0; i < y.numel(); ++i) std::memcpy(dst + i * esize, a->value.data(), esize);
  return Status::ok();
}

}  // namespace

extern const RefOp kRefConstantOfShape{"ConstantOfShape", nullptr, run_constant_of_shape};

}  // namespace tandem::reference
