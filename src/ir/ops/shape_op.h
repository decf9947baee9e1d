// Typed attributes of Shape. Parse and shape inference are in shape_op.cpp.
#pragma once

#include <cstdint>
#include <climits>
#include <string>
#include <vector>

#include "ir/ops/epilogue.h"
#include "tandem/tensor.h"

namespace tandem::ir {

struct ShapeAttrs {
  int64_t start = 0;
  int64_t end = INT64_MAX;
};

}  // namespace tandem::ir
