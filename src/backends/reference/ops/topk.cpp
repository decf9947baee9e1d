// TopK along any axis for float32, float64, int64, int32, int8 and uint8: the k largest (or
// smallest) elements, always sorted (largest: descending; smallest: ascending), equal values in
// the order of their indices (ONNX's tie rule), with their int64 indices. NaN counts as larger
// than every number, so sorting stays a strict weak order.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "backends/reference/ref_util.h"
#include "ir/ops/topk.h"

namespace tandem::reference {
namespace {

template <typename T>
bool less_than(T a, T b) {
  if constexpr (std::is_floating_point_v<T>) {
    if (std::isnan(a)) return false;
    if (std::isnan(b)) return true;
  }
  return a < b;
}

template <typename T>
void topk_typed(const Tensor& x, Tensor& values, Tensor& indices, const ir::TopKAttrs& a) {
  const Shape& xs = x.shape();
  const int64_t dim = xs[static_cast<size_t>(a.axis)];
  const auto [outer, inner] = around_axis(xs, a.axis);
  const T* src = x.data_as<T>();
  T* val = values.data_as<T>();
  int64_t* idx = indices.data_as<int64_t>();
  std::vector<int64_t> order(static_cast<size_t>(dim));
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      const T* line = src + o * dim * inner + i;
      auto before = [&](int64_t p, int64_t q) {  // p comes first in the output
        const T vp = line[p * inner], vq = line[q * inner];
        if (a.largest ? less_than(vq, vp) : less_than(vp, vq)) return true;
        if (a.largest ? less_than(vp, vq) : less_than(vq, vp)) return false;
        return p < q;
      };
      std::iota(order.begin(), order.end(), 0);
      std::partial_sort(order.begin(), order.begin() + a.k, order.end(), before);
      for (int64_t j = 0; j < a.k; ++j) {
        const int64_t at = (o * a.k + j) * inner + i;
        val[at] = line[order[static_cast<size_t>(j)] * inner];
        idx[at] = order[static_cast<size_t>(j)];
      }
    }
}

Status supports_topk(const ir::Graph& graph, const ir::Node& node) { return ordered_input(graph, node); }

Status run_topk(RefOpContext& ctx) {
  TANDEM_ASSIGN_OR_RETURN(const ir::TopKAttrs* a, attrs_of<ir::TopKAttrs>(ctx.node));
  TANDEM_RETURN_IF_ERROR(require_input(ctx, 0, "X"));
  const Tensor& x = ctx.inputs[0];
  const int64_t rank = static_cast<int64_t>(x.shape().size());
  if (a->axis < 0 || a->axis >= rank || a->k < 0 || a->k > x.shape()[static_cast<size_t>(a->axis)])
    return internal_error("TopK axis/k are not resolved for X " + shape_to_string(x.shape()));
  TANDEM_ASSIGN_OR_RETURN(Tensor values, alloc_output(ctx, 0, x.dtype()));
  TANDEM_ASSIGN_OR_RETURN(Tensor indices, alloc_output(ctx, 1, DType::kInt64));
  Shape want = x.shape();
  want[static_cast<size_t>(a->axis)] = a->k;
  if (values.shape() != want || indices.shape() != want)
    return internal_error("TopK outputs " + shape_to_string(values.shape()) + " should be " + shape_to_string(want));
  switch (x.dtype()) {
    case DType::kFloat32: topk_typed<float>(x, values, indices, *a); break;
    case DType::kFloat64: topk_typed<double>(x, values, indices, *a); break;
    case DType::kInt64: topk_typed<int64_t>(x, values, indices, *a); break;
    case DType::kInt32: topk_typed<int32_t>(x, values, indices, *a); break;
    case DType::kInt8: topk_typed<int8_t>(x, values, indices, *a); break;
    case DType::kUInt8: topk_typed<uint8_t>(x, values, indices, *a); break;
    default: return unsupported(std::string("TopK of ") + dtype_name(x.dtype()));
  }
  return Status::ok();
}

}  // namespace

extern const RefOp kRefTopK{"TopK", supports_topk, run_topk};

}  // namespace tandem::reference
