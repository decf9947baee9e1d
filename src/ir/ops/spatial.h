// Shared window arithmetic for Conv, ConvTranspose and pooling.
#pragma once

#include <string>
#include <vector>

#include "tandem/status.h"
#include "tandem/tensor.h"

namespace tandem::ir {

// Fills defaults (strides/dilations 1, pads 0), resolves auto_pad (SAME_UPPER, SAME_LOWER,
// VALID) into explicit pads, checks sizes, and computes the output spatial dims.
// Unknown input dims (< 0) give unknown output dims. Pads: begin dims then end dims.
Status resolve_window(const Shape& in, const std::vector<int64_t>& kernel, const std::string& auto_pad,
                      bool ceil_mode, std::vector<int64_t>& strides, std::vector<int64_t>& pads,
                      std::vector<int64_t>& dilations, Shape& out);

}  // namespace tandem::ir
