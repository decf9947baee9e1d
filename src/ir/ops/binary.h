// Typed attributes of the elementwise binary ops (NumPy broadcasting): arithmetic Add, Sub, Mul,
// Div, Pow, Mod; comparisons Equal, Less, Greater, LessOrEqual, GreaterOrEqual (bool output);
// logic And, Or, Xor (bool in and out). Parse and shape inference are in binary.cpp. kMin / kMax
// are the element ops of the variadic Min / Max (variadic.h).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ir/ops/epilogue.h"
#include "tandem/tensor.h"

namespace tandem::ir {

// The CUDA binary kernel numbers its ops by this order (kAdd = 0 ... kMax = 7): add at the end.
enum class BinaryOp {
  kAdd, kSub, kMul, kDiv, kPow, kMod, kMin, kMax,
  kEqual, kLess, kGreater, kLessOrEqual, kGreaterOrEqual,
  kAnd, kOr, kXor,
};

struct BinaryAttrs {
  BinaryOp op = BinaryOp::kAdd;
  // Mod only: true = C fmod (the result has the dividend's sign, floats allowed); false = the
  // divisor's sign (Python's %), integers only.
  bool fmod = false;
};

inline bool is_comparison(BinaryOp op) { return op >= BinaryOp::kEqual && op <= BinaryOp::kGreaterOrEqual; }
inline bool is_logical(BinaryOp op) { return op >= BinaryOp::kAnd; }
// Comparisons and logic ops write bool.
inline bool writes_bool(BinaryOp op) { return is_comparison(op) || is_logical(op); }

}  // namespace tandem::ir
