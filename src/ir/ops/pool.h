// Typed attributes of MaxPool and AveragePool. Parse and shape inference are in pool.cpp.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ir/ops/epilogue.h"
#include "tandem/tensor.h"

namespace tandem::ir {

enum class PoolKind { kMax, kAverage };

struct PoolAttrs {
  PoolKind kind = PoolKind::kMax;
  std::vector<int64_t> kernel_shape;
  std::vector<int64_t> strides;
  std::vector<int64_t> pads;  // begin dims then end dims, auto_pad resolved
  std::vector<int64_t> dilations;
  bool ceil_mode = false;
  bool count_include_pad = false;
  std::string auto_pad = "NOTSET";
};

}  // namespace tandem::ir
