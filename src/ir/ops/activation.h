// Typed attributes of the unary activations Relu, Clip, Sigmoid, HardSigmoid, HardSwish, LeakyRelu, Tanh,
// Gelu, Softplus, Elu, Selu, Mish. Parse and shape inference are in activation.cpp.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ir/ops/epilogue.h"
#include "tandem/tensor.h"

namespace tandem::ir {

// Clip min/max given as constant inputs (opset >= 11) are folded into `act` by shape inference.
struct ActivationAttrs {
  Epilogue act;
};

}  // namespace tandem::ir
