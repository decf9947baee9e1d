// Typed attributes of Conv. Parse and shape inference are in conv.cpp.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ir/ops/epilogue.h"
#include "tandem/tensor.h"

namespace tandem::ir {

struct ConvAttrs {
  std::vector<int64_t> kernel_shape;  // from the weight when the model leaves it out
  std::vector<int64_t> strides;       // one per spatial dim
  std::vector<int64_t> pads;          // begin dims then end dims (ONNX order), auto_pad resolved
  std::vector<int64_t> dilations;
  int64_t group = 1;
  std::string auto_pad = "NOTSET";    // resolved into pads by shape inference
  Epilogue epilogue;                  // filled by the fuse_activation pass
};

}  // namespace tandem::ir
