// Typed attributes of Squeeze and Unsqueeze. Parse and shape inference are in squeeze.cpp.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ir/ops/epilogue.h"
#include "tandem/tensor.h"

namespace tandem::ir {

struct SqueezeAttrs {
  bool unsqueeze = false;
  std::vector<int64_t> axes;  // from the attribute (opset < 13) or the constant input; resolved
};

}  // namespace tandem::ir
