// Gemm: Y = alpha * op(A) * op(B) + beta * C, C broadcast to [M, N] (optional), then the fused
// epilogue. op() transposes when trans_a / trans_b is set.
#include "backends/reference/ref_util.h"
#include "ir/ops/gemm.h"

namespace tandem::reference {
namespace {

Status supports_gemm(const ir::Graph& graph, const ir::Node& node) { return require_all_float32(graph, node); }

Status run_gemm(RefOpContext& ctx) {
  TANDEM_ASSIGN_OR_RETURN(const ir::GemmAttrs* a, attrs_of<ir::GemmAttrs>(ctx.node));
  TANDEM_RETURN_IF_ERROR(require_input(ctx, 0, "A"));
  TANDEM_RETURN_IF_ERROR(require_input(ctx, 1, "B"));
  const Tensor& ta = ctx.inputs[0];
  const Tensor& tb = ctx.inputs[1];
  const Tensor* tc = ctx.inputs.size() > 2 && !ctx.inputs[2].empty() ? &ctx.inputs[2] : nullptr;
  if (ta.shape().size() != 2 || tb.shape().size() != 2)
    return invalid_argument("A " + shape_to_string(ta.shape()) + " and B " + shape_to_string(tb.shape()) +
                            " must be matrices");
  const int64_t m = a->trans_a ? ta.shape()[1] : ta.shape()[0];
  const int64_t k = a->trans_a ? ta.shape()[0] : ta.shape()[1];
  const int64_t kb = a->trans_b ? tb.shape()[1] : tb.shape()[0];
  const int64_t n = a->trans_b ? tb.shape()[0] : tb.shape()[1];
  if (k != kb) return invalid_argument("inner dims differ: A gives " + std::to_string(k) + ", B gives " + std::to_string(kb));
  TANDEM_ASSIGN_OR_RETURN(Tensor y, alloc_output(ctx, 0, DType::kFloat32));
  if (y.shape() != Shape{m, n}) return internal_error("Y shape " + shape_to_string(y.shape()) + " is not [M, N]");
  std::vector<int64_t> sc;
  if (tc) {
    if (tc->shape().size() > 2) return invalid_argument("C " + shape_to_string(tc->shape()) + " has rank > 2");
    for (size_t d = 0; d < tc->shape().size(); ++d) {
      const int64_t want = y.shape()[2 - tc->shape().size() + d];
      if (tc->shape()[d] != 1 && tc->shape()[d] != want)
        return invalid_argument("C " + shape_to_string(tc->shape()) + " does not broadcast to [M, N]");
    }
    sc = broadcast_strides(tc->shape(), y.shape());
  }
  const float* pa = ta.data_as<float>();
  const float* pb = tb.data_as<float>();
  float* py = y.data_as<float>();
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double acc = 0.0;
      for (int64_t p = 0; p < k; ++p) {
        const float av = a->trans_a ? pa[p * m + i] : pa[i * k + p];
        const float bv = a->trans_b ? pb[j * k + p] : pb[p * n + j];
        acc += static_cast<double>(av) * bv;
      }
      float v = a->alpha * static_cast<float>(acc);
      if (tc) v += a->beta * tc->data_as<float>()[i * sc[0] + j * sc[1]];
      py[i * n + j] = ir::apply_epilogue(a->epilogue, v);
    }
  return Status::ok();
}

}  // namespace

extern const RefOp kRefGemm{"Gemm", supports_gemm, run_gemm};

}  // namespace tandem::reference
