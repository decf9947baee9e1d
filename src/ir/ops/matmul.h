// Typed attributes of MatMul. Parse and shape inference are in matmul.cpp.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ir/ops/epilogue.h"
#include "tandem/tensor.h"

namespace tandem::ir {

struct MatMulAttrs {};

}  // namespace tandem::ir
