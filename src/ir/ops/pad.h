// Typed attributes of Pad. Parse and shape inference are in pad.cpp.
#pragma once

#include <cstdint>
#include <vector>

namespace tandem::ir {

enum class PadMode { kConstant, kReflect, kEdge };

struct PadAttrs {
  PadMode mode = PadMode::kConstant;
  // [x1_begin, x2_begin, ..., x1_end, x2_end, ...], one pair per input dim: the attribute
  // (opset < 11) or the constant input 1 (opset >= 11), resolved by inference. Negative values
  // crop.
  std::vector<int64_t> pads;
  float value = 0.0f;  // constant mode: the attribute (opset < 11) or the constant input 2
};

const char* pad_mode_name(PadMode m);

}  // namespace tandem::ir
