// The Reduce* family over any set of axes (the resolved ReduceAttrs::axes): float32 for every
// kind, accumulated in double; int64 and int32 for Sum, Prod, Max and Min (shape arithmetic),
// accumulated in int64. The axes input (ReduceSum from opset 13) is already resolved into the
// attributes and is not read here.
#include <cmath>
#include <limits>

#include "backends/reference/ref_util.h"
#include "ir/ops/reduce.h"

namespace tandem::reference {
namespace {

using ir::ReduceKind;

bool integer_kind(ReduceKind k) {
  return k == ReduceKind::kSum || k == ReduceKind::kProd || k == ReduceKind::kMax || k == ReduceKind::kMin;
}

Status supports_reduce(const ir::Graph& graph, const ir::Node& node) {
  const auto* a = std::get_if<ir::ReduceAttrs>(&node.attrs);
  if (!a) return internal_error(node.op_type + " without ReduceAttrs");
  TANDEM_ASSIGN_OR_RETURN(DType t, input_dtype(graph, node, 0));
  if (t == DType::kFloat32) return Status::ok();
  if ((t == DType::kInt64 || t == DType::kInt32) && integer_kind(a->kind)) return Status::ok();
  return unsupported(std::string("reference ") + node.op_type + " on " + dtype_name(t) +
                     " (float32 for every reduction; int64/int32 for ReduceSum, ReduceProd, ReduceMax, ReduceMin)");
}

template <typename Acc>
Acc initial(ReduceKind k) {
  switch (k) {
    case ReduceKind::kProd: return Acc(1);
    case ReduceKind::kMax: return std::numeric_limits<Acc>::lowest();
    case ReduceKind::kMin: return std::numeric_limits<Acc>::max();
    default: return Acc(0);
  }
}

// acc <- acc (+) f(v); `shift` is the group's max for LogSumExp.
template <typename Acc>
Acc combine(ReduceKind k, Acc acc, Acc v, Acc shift) {
  switch (k) {
    case ReduceKind::kProd: return acc * v;
    case ReduceKind::kMax: return v > acc ? v : acc;
    case ReduceKind::kMin: return v < acc ? v : acc;
    case ReduceKind::kL1: return acc + (v < 0 ? -v : v);
    case ReduceKind::kL2:
    case ReduceKind::kSumSquare: return acc + v * v;
    case ReduceKind::kLogSumExp:
      if constexpr (std::is_floating_point_v<Acc>) return acc + std::exp(v - shift);
      return acc;
    default: return acc + v;  // Sum, Mean, LogSum
  }
}

template <typename Acc>
Acc finish(ReduceKind k, Acc acc, int64_t count, Acc shift) {
  if constexpr (std::is_floating_point_v<Acc>) {
    switch (k) {
      case ReduceKind::kMean: return acc / static_cast<Acc>(count);
      case ReduceKind::kL2: return std::sqrt(acc);
      case ReduceKind::kLogSum: return std::log(acc);
      case ReduceKind::kLogSumExp: return std::log(acc) + shift;
      default: return acc;
    }
  }
  return acc;
}

// Element strides that map an input multi-index to its output element (0 on reduced dims).
std::vector<int64_t> output_strides(const Shape& x, const std::vector<int64_t>& axes) {
  Shape kept = x;
  for (int64_t a : axes) kept[static_cast<size_t>(a)] = 1;
  std::vector<int64_t> s = strides_of(kept);
  for (int64_t a : axes) s[static_cast<size_t>(a)] = 0;
  return s;
}

// One pass over x: acc[out(i)] = combine(acc[out(i)], x[i]).
template <typename T, typename Acc>
void accumulate(ReduceKind k, const Tensor& x, const std::vector<int64_t>& ostr, const std::vector<Acc>& shift,
                std::vector<Acc>& acc) {
  const T* px = x.data_as<T>();
  const Shape& xs = x.shape();
  if (x.numel() == 0) return;
  std::vector<int64_t> idx(xs.size(), 0);
  int64_t i = 0;
  do {
    int64_t o = 0;
    for (size_t d = 0; d < xs.size(); ++d) o += idx[d] * ostr[d];
    acc[o] = combine<Acc>(k, acc[o], static_cast<Acc>(px[i++]), shift[o]);
  } while (next_index(idx, xs));
}

template <typename T, typename Acc>
void reduce_typed(ReduceKind k, const std::vector<int64_t>& axes, const Tensor& x, Tensor& y) {
  const std::vector<int64_t> ostr = output_strides(x.shape(), axes);
  int64_t count = 1;
  for (int64_t a : axes) count *= x.shape()[static_cast<size_t>(a)];
  const size_t n = static_cast<size_t>(y.numel());
  std::vector<Acc> shift(n, Acc(0));
  if (k == ReduceKind::kLogSumExp) {  // subtract each group's max so exp cannot overflow
    shift.assign(n, initial<Acc>(ReduceKind::kMax));
    accumulate<T, Acc>(ReduceKind::kMax, x, ostr, shift, shift);
  }
  std::vector<Acc> acc(n, initial<Acc>(k));
  accumulate<T, Acc>(k, x, ostr, shift, acc);
  T* py = y.data_as<T>();
  for (size_t o = 0; o < n; ++o) py[o] = static_cast<T>(finish<Acc>(k, acc[o], count, shift[o]));
}

Status run_reduce(RefOpContext& ctx) {
  TANDEM_ASSIGN_OR_RETURN(const ir::ReduceAttrs* a, attrs_of<ir::ReduceAttrs>(ctx.node));
  TANDEM_RETURN_IF_ERROR(require_input(ctx, 0, "data"));
  const Tensor& x = ctx.inputs[0];
  for (int64_t ax : a->axes)
    if (ax < 0 || ax >= static_cast<int64_t>(x.shape().size())) return internal_error("reduce axes are not resolved");
  TANDEM_ASSIGN_OR_RETURN(Tensor y, alloc_output(ctx, 0, x.dtype()));
  switch (x.dtype()) {
    case DType::kFloat32: reduce_typed<float, double>(a->kind, a->axes, x, y); return Status::ok();
    case DType::kInt64: reduce_typed<int64_t, int64_t>(a->kind, a->axes, x, y); return Status::ok();
    case DType::kInt32: reduce_typed<int32_t, int64_t>(a->kind, a->axes, x, y); return Status::ok();
    default: return unsupported(std::string("reference reduction on ") + dtype_name(x.dtype()));
  }
}

}  // namespace

extern const RefOp kRefReduceSum{"ReduceSum", supports_reduce, run_reduce};
extern const RefOp kRefReduceMean{"ReduceMean", supports_reduce, run_reduce};
extern const RefOp kRefReduceMax{"ReduceMax", supports_reduce, run_reduce};
extern const RefOp kRefReduceMin{"ReduceMin", supports_reduce, run_reduce};
extern const RefOp kRefReduceProd{"ReduceProd", supports_reduce, run_reduce};
extern const RefOp kRefReduceL1{"ReduceL1", supports_reduce, run_reduce};
extern const RefOp kRefReduceL2{"ReduceL2", supports_reduce, run_reduce};
extern const RefOp kRefReduceSumSquare{"ReduceSumSquare", supports_reduce, run_reduce};
extern const RefOp kRefReduceLogSum{"ReduceLogSum", supports_reduce, run_reduce};
extern const RefOp kRefReduceLogSumExp{"ReduceLogSumExp", supports_reduce, run_reduce};

}  // namespace tandem::reference
