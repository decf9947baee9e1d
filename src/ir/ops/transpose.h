// Typed attributes of Transpose. Parse and shape inference are in transpose.cpp.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ir/ops/epilogue.h"
#include "tandem/tensor.h"

namespace tandem::ir {

struct TransposeAttrs {
  std::vector<int64_t> perm;  // empty in the file means reversed dims; resolved by inference
};

}  // namespace tandem::ir
