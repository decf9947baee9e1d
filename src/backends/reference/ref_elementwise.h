// Shared by the reference elementwise kernels (binary.cpp, variadic.cpp, where.cpp): a walk over
// an output with NumPy-broadcast inputs, and the scalar definitions of the binary ops.
// Bool tensors hold one byte per element, 0 or 1 (as Cast writes them).
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <vector>

#include "backends/reference/ref_util.h"
#include "ir/ops/binary.h"

namespace tandem::reference {

// Calls f(i, offsets) for each element i of `out` in row-major order; offsets[k] is the element
// of inputs[k] (broadcast to `out`, NumPy rules) that i reads. Each input's rank <= out's rank.
template <typename F>
void for_each_broadcast(const Shape& out, const std::vector<Shape>& inputs, F&& f) {
  if (shape_numel(out) == 0) return;
  std::vector<std::vector<int64_t>> strides;
  for (const Shape& s : inputs) strides.push_back(broadcast_strides(s, out));
  std::vector<int64_t> idx(out.size(), 0), offsets(inputs.size(), 0);
  int64_t i = 0;
  do {
    for (size_t k = 0; k < inputs.size(); ++k) {
      int64_t o = 0;
      for (size_t d = 0; d < out.size(); ++d) o += idx[d] * strides[k][d];
      offsets[k] = o;
    }
    f(i++, offsets);
  } while (next_index(idx, out));
}

// The ranks of `inputs` must not exceed that of `out` (shape inference broadcast them).
inline Status check_ranks(const Shape& out, const std::vector<Shape>& inputs) {
  for (const Shape& s : inputs)
    if (s.size() > out.size()) return internal_error("an input has a higher rank than the output");
  return Status::ok();
}

// Max/Min that return NaN when either operand is NaN (numpy.maximum, ONNX's reference).
template <typename T>
T max_nan(T a, T b) {
  if constexpr (std::is_floating_point_v<T>) {
    if (std::isnan(a) || std::isnan(b)) return std::numeric_limits<T>::quiet_NaN();
  }
  return a < b ? b : a;
}
template <typename T>
T min_nan(T a, T b) {
  if constexpr (std::is_floating_point_v<T>) {
    if (std::isnan(a) || std::isnan(b)) return std::numeric_limits<T>::quiet_NaN();
  }
  return b < a ? b : a;
}

// ONNX Mod: fmod = the dividend's sign (C), else the divisor's sign (Python, integers only).
template <typename T>
T mod_of(T a, T b, bool fmod) {
  if constexpr (std::is_floating_point_v<T>) {
    return std::fmod(a, b);
  } else {
    T r = a % b;
    if (!fmod && r != 0 && ((r < 0) != (b < 0))) r += b;
    return r;
  }
}

// y = a (op) b for the arithmetic ops (Add, Sub, Mul, Div, Mod, Min, Max; not Pow). Integer
// division and modulo by zero are errors; integer Div truncates toward zero (C++, onnxruntime).
template <typename T>
Status arithmetic(const ir::BinaryAttrs& at, T a, T b, T& y) {
  using ir::BinaryOp;
  if constexpr (std::is_integral_v<T>) {
    if ((at.op == BinaryOp::kDiv || at.op == BinaryOp::kMod) && b == 0)
      return invalid_argument(at.op == BinaryOp::kDiv ? "integer division by zero" : "integer modulo by zero");
  }
  switch (at.op) {
    case BinaryOp::kAdd: y = a + b; return Status::ok();
    case BinaryOp::kSub: y = a - b; return Status::ok();
    case BinaryOp::kMul: y = a * b; return Status::ok();
    case BinaryOp::kDiv: y = a / b; return Status::ok();
    case BinaryOp::kMod: y = mod_of(a, b, at.fmod); return Status::ok();
    case BinaryOp::kMin: y = min_nan(a, b); return Status::ok();
    case BinaryOp::kMax: y = max_nan(a, b); return Status::ok();
    default: return internal_error("not an arithmetic binary op");
  }
}

// a (op) b for the comparisons.
template <typename T>
bool compare(ir::BinaryOp op, T a, T b) {
  using ir::BinaryOp;
  switch (op) {
    case BinaryOp::kEqual: return a == b;
    case BinaryOp::kLess: return a < b;
    case BinaryOp::kGreater: return a > b;
    case BinaryOp::kLessOrEqual: return a <= b;
    case BinaryOp::kGreaterOrEqual: return a >= b;
    default: return false;
  }
}

inline bool logical(ir::BinaryOp op, bool a, bool b) {
  switch (op) {
    case ir::BinaryOp::kAnd: return a && b;
    case ir::BinaryOp::kOr: return a || b;
    default: return a != b;  // Xor
  }
}

// Integer power, exact for exponents >= 0 (wrapping like repeated multiplication); a negative
// exponent goes through std::pow and truncates, as onnxruntime does (2^-1 = 0).
template <typename T>
T int_pow(T base, T exp) {
  if (exp < 0) return static_cast<T>(std::pow(static_cast<double>(base), static_cast<double>(exp)));
  using U = std::make_unsigned_t<T>;
  U result = 1, b = static_cast<U>(base);
  for (T e = exp; e > 0; e >>= 1) {
    if (e & 1) result *= b;
    b *= b;
  }
  return static_cast<T>(result);
}

}  // namespace tandem::reference
