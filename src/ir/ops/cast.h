// Typed attributes of Cast. Parse and shape inference are in cast.cpp.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ir/ops/epilogue.h"
#include "tandem/tensor.h"

namespace tandem::ir {

struct CastAttrs {
  DType to = DType::kFloat32;
};

}  // namespace tandem::ir
