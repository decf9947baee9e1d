// Typed attributes of ConstantOfShape. Parse and shape inference are in constant_of_shape.cpp.
#pragma once

#include "tandem/tensor.h"

namespace tandem::ir {

struct ConstantOfShapeAttrs {
  Tensor value;  // one element; its dtype is the output's (float32 0 when the model gives none)
};

}  // namespace tandem::ir
