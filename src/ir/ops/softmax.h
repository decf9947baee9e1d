// Typed attributes of Softmax. Parse and shape inference are in softmax.cpp.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ir/ops/epilogue.h"
#include "tandem/tensor.h"

namespace tandem::ir {

struct SoftmaxAttrs {
  int64_t axis = -1;
  bool coerce_2d = false;  // opset < 13: flatten to [prod(dims[:axis]), prod(dims[axis:])]
};

}  // namespace tandem::ir
