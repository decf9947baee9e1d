// Typed attributes of TopK. Parse and shape inference are in topk.cpp.
#pragma once

#include <cstdint>

namespace tandem::ir {

struct TopKAttrs {
  int64_t axis = -1;     // resolved into [0, rank) by inference
  bool largest = true;   // the k largest (else the k smallest)
  bool sorted = true;    // outputs in order; Tandem always sorts (sorted=0 allows any order)
  int64_t k = -1;        // from the attribute (opset < 10) or the constant K input, resolved by inference
};

}  // namespace tandem::ir
