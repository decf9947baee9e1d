// Typed attributes of the elementwise binary ops Add, Sub, Mul, Div (NumPy broadcasting). Parse and shape inference are in binary.cpp.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ir/ops/epilogue.h"
#include "tandem/tensor.h"

namespace tandem::ir {

enum class BinaryOp { kAdd, kSub, kMul, kDiv };

struct BinaryAttrs {
  BinaryOp op = BinaryOp::kAdd;
};

}  // namespace tandem::ir
