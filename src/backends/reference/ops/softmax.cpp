// Softmax along one axis (opset >= 13), or over the flattened dims [axis:] when coerce_2d is set
// (opset < 13). Subtracts the max first so exp cannot overflow.
#include <algorithm>
#include <cmath>

#include "backends/reference/ref_util.h"
#include "ir/ops/softmax.h"

namespace tandem::reference {
namespace {

Status supports_softmax(const ir::Graph& graph, const ir::Node& node) { return require_all_float32(graph, node); }

Status run_softmax(RefOpContext& ctx) {
  TANDEM_ASSIGN_OR_RETURN(const ir::SoftmaxAttrs* a, attrs_of<ir::SoftmaxAttrs>(ctx.node));
  TANDEM_RETURN_IF_ERROR(require_input(ctx, 0, "input"));
  const Tensor& x = ctx.inputs[0];
  const Shape& xs = x.shape();
  const int64_t rank = static_cast<int64_t>(xs.size());
  TANDEM_ASSIGN_OR_RETURN(Tensor y, alloc_output(ctx, 0, DType::kFloat32));
  if (rank == 0) {
    y.data_as<float>()[0] = 1.0f;
    return Status::ok();
  }
  TANDEM_ASSIGN_OR_RETURN(int64_t axis, normalize_axis(a->axis, rank));
  int64_t outer = 1, n = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= xs[d];
  if (a->coerce_2d) {
    for (int64_t d = axis; d < rank; ++d) n *= xs[d];
  } else {
    n = xs[axis];
    for (int64_t d = axis + 1; d < rank; ++d) inner *= xs[d];
  }
  const float* px = x.data_as<float>();
  float* py = y.data_as<float>();
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      const int64_t base = o * n * inner + i;
      float mx = -INFINITY;
      for (int64_t j = 0; j < n; ++j) mx = std::max(mx, px[base + j * inner]);
      double sum = 0.0;
      for (int64_t j = 0; j < n; ++j) sum += std::exp(static_cast<double>(px[base + j * inner] - mx));
      for (int64_t j = 0; j < n; ++j)
        py[base + j * inner] = static_cast<float>(std::exp(static_cast<double>(px[base + j * inner] - mx)) / sum);
    }
  return Status::ok();
}

}  // namespace

extern const RefOp kRefSoftmax{"Softmax", supports_softmax, run_softmax};

}  // namespace tandem::reference
