// Typed attributes of Flatten. Parse and shape inference are in flatten.cpp.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ir/ops/epilogue.h"
#include "tandem/tensor.h"

namespace tandem::ir {

struct FlattenAttrs {
  int64_t axis = 1;
};

}  // namespace tandem::ir
