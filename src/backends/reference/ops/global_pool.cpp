// GlobalAveragePool and GlobalMaxPool: reduce every spatial dim (any rank >= 2) to 1.
#include <algorithm>
#include <limits>

#include "backends/reference/ref_util.h"
#include "ir/ops/global_pool.h"

namespace tandem::reference {
namespace {

Status supports_global_pool(const ir::Graph& graph, const ir::Node& node) { return require_all_float32(graph, node); }

Status run_global_pool(RefOpContext& ctx) {
  TANDEM_ASSIGN_OR_RETURN(const ir::GlobalPoolAttrs* a, attrs_of<ir::GlobalPoolAttrs>(ctx.node));
  TANDEM_RETURN_IF_ERROR(require_input(ctx, 0, "X"));
  const Tensor& x = ctx.inputs[0];
  if (x.shape().size() < 2) return invalid_argument("X " + shape_to_string(x.shape()) + " needs rank >= 2");
  TANDEM_ASSIGN_OR_RETURN(Tensor y, alloc_output(ctx, 0, DType::kFloat32));
  const int64_t planes = x.shape()[0] * x.shape()[1];
  if (y.numel() != planes) return internal_error("Y shape " + shape_to_string(y.shape()) + " is wrong");
  const int64_t size = planes == 0 ? 0 : x.numel() / planes;
  const float* px = x.data_as<float>();
  float* py = y.data_as<float>();
  for (int64_t p = 0; p < planes; ++p) {
    const float* v = px + p * size;
    if (a->kind == ir::PoolKind::kMax) {
      float m = -std::numeric_limits<float>::infinity();
      for (int64_t i = 0; i < size; ++i) m = std::max(m, v[i]);
      py[p] = m;
    } else {
      double s = 0.0;
      for (int64_t i = 0; i < size; ++i) s += v[i];
      py[p] = static_cast<float>(s / static_cast<double>(size));
    }
  }
  return Status::ok();
}

}  // namespace

extern const RefOp kRefGlobalAveragePool{"GlobalAveragePool", supports_global_pool, run_global_pool};
extern const RefOp kRefGlobalMaxPool{"GlobalMaxPool", supports_global_pool, run_global_pool};

}  // namespace tandem::reference
