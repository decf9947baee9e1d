// Typed attributes of Concat. Parse and shape inference are in concat.cpp.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ir/ops/epilogue.h"
#include "tandem/tensor.h"

namespace tandem::ir {

struct ConcatAttrs {
  int64_t axis = 0;
};

}  // namespace tandem::ir
