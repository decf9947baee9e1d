// Typed attributes of the variadic elementwise ops Sum, Mean, Min, Max: any number of inputs
// (one input: a copy), NumPy broadcasting over all of them. Parse and shape inference are in
// variadic.cpp.
#pragma once

#include "ir/ops/binary.h"

namespace tandem::ir {

enum class VariadicOp { kSum, kMean, kMin, kMax };

struct VariadicAttrs {
  VariadicOp op = VariadicOp::kSum;
};

// The binary op that folds the inputs pairwise (Mean: Add, then a division by the count).
inline BinaryOp variadic_element_op(VariadicOp op) {
  switch (op) {
    case VariadicOp::kMin: return BinaryOp::kMin;
    case VariadicOp::kMax: return BinaryOp::kMax;
    default: return BinaryOp::kAdd;
  }
}

}  // namespace tandem::ir
