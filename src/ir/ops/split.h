// Typed attributes of Split. Parse and shape inference are in split.cpp.
#pragma once

#include <cstdint>
#include <vector>

namespace tandem::ir {

struct SplitAttrs {
  int64_t axis = 0;  // normalised to [0, rank) by inference
  // Size of each output along `axis`: the attribute (opset < 13) or the constant input 1
  // (opset >= 13); equal parts when neither is given. Resolved by inference, one per output.
  std::vector<int64_t> split;
};

}  // namespace tandem::ir
