// Typed attributes of ArgMax (ONNX opsets 11-13). Parse and shape inference are in argmax.cpp.
#pragma once

#include <cstdint>

namespace tandem::ir {

struct ArgMaxAttrs {
  int64_t axis = 0;            // resolved into [0, rank) by inference
  bool keepdims = true;        // the reduced axis stays as a dim of size 1
  bool select_last_index = false;  // ties: the last index of the maximum (else the first)
};

}  // namespace tandem::ir
