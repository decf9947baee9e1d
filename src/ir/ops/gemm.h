// Typed attributes of Gemm. Parse and shape inference are in gemm.cpp.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ir/ops/epilogue.h"
#include "tandem/tensor.h"

namespace tandem::ir {

struct GemmAttrs {
  float alpha = 1.0f;
  float beta = 1.0f;
  bool trans_a = false;
  bool trans_b = false;
  Epilogue epilogue;  // filled by the fuse_activation pass
};

}  // namespace tandem::ir
