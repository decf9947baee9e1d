// Typed attributes of Gather. Parse and shape inference are in gather.cpp.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ir/ops/epilogue.h"
#include "tandem/tensor.h"

namespace tandem::ir {

struct GatherAttrs {
  int64_t axis = 0;
};

}  // namespace tandem::ir
