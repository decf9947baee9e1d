// Typed attributes of ScatterND. Parse and shape inference are in scatter_nd.cpp.
#pragma once

#include <cstdint>

namespace tandem::ir {

enum class ScatterReduction { kNone, kAdd, kMul };

struct ScatterNDAttrs {
  ScatterReduction reduction = ScatterReduction::kNone;  // opset 16+: "none" | "add" | "mul"
};

}  // namespace tandem::ir
