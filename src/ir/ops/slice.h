// Typed attributes of Slice. Parse and shape inference are in slice.cpp.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ir/ops/epilogue.h"
#include "tandem/tensor.h"

namespace tandem::ir {

struct SliceAttrs {
  // From attributes (opset < 10) or constant inputs; resolved to one entry per sliced axis.
  std::vector<int64_t> starts, ends, axes, steps;
};

}  // namespace tandem::ir
