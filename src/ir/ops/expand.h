// Typed attributes of Expand. Parse and shape inference are in expand.cpp.
#pragma once

#include "tandem/tensor.h"

namespace tandem::ir {

struct ExpandAttrs {
  Shape shape;  // the constant shape input as given (broadcast both ways with the input's shape)
};

}  // namespace tandem::ir
