// Typed attributes of Identity and Dropout (inference: a copy). Parse and shape inference are in identity.cpp.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ir/ops/epilogue.h"
#include "tandem/tensor.h"

namespace tandem::ir {

struct IdentityAttrs {};

}  // namespace tandem::ir
