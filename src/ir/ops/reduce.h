// Typed attributes of the Reduce* family (ReduceSum, ReduceMean, ReduceMax, ReduceMin,
// ReduceProd, ReduceL1, ReduceL2, ReduceSumSquare, ReduceLogSum, ReduceLogSumExp).
// Parse and shape inference are in reduce.cpp.
#pragma once

#include <cstdint>
#include <vector>

#include "tandem/tensor.h"

namespace tandem::ir {

enum class ReduceKind { kSum, kMean, kMax, kMin, kProd, kL1, kL2, kSumSquare, kLogSum, kLogSumExp };

// "ReduceSum", "ReduceMean", ... (the ONNX op type of `kind`).
const char* reduce_op_type(ReduceKind kind);

struct ReduceAttrs {
  ReduceKind kind = ReduceKind::kSum;
  // Before inference: the `axes` attribute as written (attribute form). After inference: the
  // reduced axes, normalised (>= 0) and sorted; "no axes" has already become every axis unless
  // noop_with_empty_axes is set, so an empty list after inference reduces nothing (each element
  // is its own group: ReduceSumSquare then squares, ReduceL1 takes |x|, ...).
  std::vector<int64_t> axes;
  bool keepdims = true;
  bool noop_with_empty_axes = false;
  // Axes come from the optional input 1 (ReduceSum from opset 13, the others from opset 18),
  // which must be constant once the graph is specialised.
  bool axes_from_input = false;
};

}  // namespace tandem::ir
