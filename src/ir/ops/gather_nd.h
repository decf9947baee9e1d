// Typed attributes of GatherND. Parse and shape inference are in gather_nd.cpp.
#pragma once

#include <cstdint>

namespace tandem::ir {

struct GatherNDAttrs {
  int64_t batch_dims = 0;  // leading dims shared by data and indices (opset >= 12)
};

}  // namespace tandem::ir
