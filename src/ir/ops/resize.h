// Typed attributes of Resize (and opset-9 Upsample). Parse and shape inference are in resize.cpp.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ir/ops/epilogue.h"
#include "tandem/tensor.h"

namespace tandem::ir {

struct ResizeAttrs {
  std::string mode = "nearest";  // "nearest" | "linear" (bilinear on NCHW)
  std::string coordinate_transformation_mode = "half_pixel";
  std::string nearest_mode = "round_prefer_floor";
  std::vector<float> scales;  // resolved: one per dim
  Shape sizes;                // resolved output shape
};

}  // namespace tandem::ir
