// Typed attributes of BatchNormalization (inference form). Parse and shape inference are in batch_norm.cpp.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ir/ops/epilogue.h"
#include "tandem/tensor.h"

namespace tandem::ir {

struct BatchNormAttrs {
  float epsilon = 1e-5f;
  Epilogue epilogue;  // filled by the fuse_activation pass (a standalone BN followed by Relu, ...)
};

}  // namespace tandem::ir
