// Typed attributes of Reshape. Parse and shape inference are in reshape.cpp.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ir/ops/epilogue.h"
#include "tandem/tensor.h"

namespace tandem::ir {

struct ReshapeAttrs {
  bool allowzero = false;
  Shape target;  // resolved output shape (no 0 or -1) once the shape input is known
};

}  // namespace tandem::ir
