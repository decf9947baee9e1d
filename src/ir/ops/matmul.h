// Typed attributes of MatMul. Parse and shape inference are in matmul.cpp.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ir/ops/epilogue.h"
#include "tandem/tensor.h"

namespace tandem::ir {

// A file's MatMul has neither: the matmul_add_to_gemm pass gives a MatMul whose output has rank
// >= 3 (the transformer's linear layer [B, N, C] x [C, D]) its constant bias as a third input,
// and fuse_activation the activation that follows. Y = epilogue(A B + bias), bias [last dim of Y].
struct MatMulAttrs {
  bool has_bias = false;  // input 2 is a 1-D bias over Y's last dim (never set by parse)
  Epilogue epilogue;
};

}  // namespace tandem::ir
