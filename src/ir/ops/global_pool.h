// Typed attributes of GlobalAveragePool and GlobalMaxPool. Parse and shape inference are in global_pool.cpp.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ir/ops/epilogue.h"
#include "ir/ops/pool.h"
#include "tandem/tensor.h"

namespace tandem::ir {

struct GlobalPoolAttrs {
  PoolKind kind = PoolKind::kAverage;
};

}  // namespace tandem::ir
