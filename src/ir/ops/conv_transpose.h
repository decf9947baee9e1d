// Typed attributes of ConvTranspose. Parse and shape inference are in conv_transpose.cpp.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ir/ops/epilogue.h"
#include "tandem/tensor.h"

namespace tandem::ir {

struct ConvTransposeAttrs {
  std::vector<int64_t> kernel_shape;
  std::vector<int64_t> strides;
  std::vector<int64_t> pads;          // begin dims then end dims, auto_pad / output_shape resolved
  std::vector<int64_t> dilations;
  std::vector<int64_t> output_padding;
  std::vector<int64_t> output_shape;  // as given; empty when absent
  int64_t group = 1;
  std::string auto_pad = "NOTSET";
  Epilogue epilogue;
};

}  // namespace tandem::ir
