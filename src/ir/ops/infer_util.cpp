#include "ir/ops/infer_util.h"

#include <set>

namespace tandem::ir {

ValueInfo known_rank(DType dtype, Shape shape) {
  ValueInfo v;
  v.dtype = dtype;
  v.shape = std::move(shape);
  v.rank_known = true;
  return v;
}

ValueInfo unknown_rank(DType dtype) {
  ValueInfo v;
  v.dtype = dtype;
  return v;
}

Status require_inputs(const InferContext& ctx, size_t n, const char* names) {
  if (ctx.inputs.size() < n) return invalid_argument(std::string("needs inputs ") + names);
  for (size_t i = 0; i < n; ++i)
    if (!ctx.inputs[i]) return invalid_argument(std::string("needs inputs ") + names + " (input " +
                                                std::to_string(i) + " is missing)");
  return Status::ok();
}

const ValueInfo* optional_input(const InferContext& ctx, size_t i) {
  return i < ctx.inputs.size() ? ctx.inputs[i] : nullptr;
}

const Tensor* optional_constant(const InferContext& ctx, size_t i) {
  return i < ctx.constants.size() ? ctx.constants[i] : nullptr;
}

bool input_given_not_constant(const InferContext& ctx, size_t i) {
  return i < ctx.node.inputs.size() && !ctx.node.inputs[i].empty() && !optional_constant(ctx, i);
}

Result<int64_t> normalize_axis(int64_t axis, int64_t rank, const std::string& what, bool inclusive_end) {
  const int64_t hi = inclusive_end ? rank : rank - 1;
  if (axis < -rank || axis > hi)
    return invalid_argument(what + " " + std::to_string(axis) + " is out of range for rank " + std::to_string(rank));
  return axis < 0 ? axis + rank : axis;
}

Result<std::vector<int64_t>> normalize_axes(const std::vector<int64_t>& axes, int64_t rank, const std::string& what) {
  std::vector<int64_t> out;
  std::set<int64_t> seen;
  for (int64_t a : axes) {
    TANDEM_ASSIGN_OR_RETURN(int64_t n, normalize_axis(a, rank, what));
    if (!seen.insert(n).second) return invalid_argument(what + " " + std::to_string(a) + " is repeated");
    out.push_back(n);
  }
  return out;
}

Result<Shape> broadcast_shapes(const Shape& a, const Shape& b) {
  const size_t r = std::max(a.size(), b.size());
  Shape out(r, -1);
  for (size_t i = 0; i < r; ++i) {
    const int64_t da = i < r - a.size() ? 1 : a[i - (r - a.size())];
    const int64_t db = i < r - b.size() ? 1 : b[i - (r - b.size())];
    if (da == 1) out[i] = db;
    else if (db == 1) out[i] = da;
    else if (da < 0) out[i] = db;  // db is known and != 1, or unknown too
    else if (db < 0) out[i] = da;
    else if (da == db) out[i] = da;
    else
      return invalid_argument("shapes " + shape_to_string(a) + " and " + shape_to_string(b) +
                              " cannot be broadcast");
  }
  return out;
}

int64_t product_or_unknown(const Shape& s, size_t begin, size_t end) {
  int64_t p = 1;
  for (size_t i = begin; i < end; ++i) {
    if (s[i] < 0) return -1;
    p *= s[i];
  }
  return p;
}

std::optional<DType> dtype_from_onnx_code(int64_t code) {
  switch (code) {
    case 1: return DType::kFloat32;
    case 2: return DType::kUInt8;
    case 3: return DType::kInt8;
    case 6: return DType::kInt32;
    case 7: return DType::kInt64;
    case 9: return DType::kBool;
    case 10: return DType::kFloat16;
    case 11: return DType::kFloat64;
    default: return std::nullopt;
  }
}

}  // namespace tandem::ir
