// y[i] = f(x[i]) for the float math ops; `op` is ir::UnaryOp's value (0 Erf, 1 Sqrt, 2 Exp, 3 Log,
// 4 Neg, 5 Abs, 6 Reciprocal, 7 Sin, 8 Cos, 9 Ceil, 10 Floor, 11 Round, 12 Sign). x and y have the
// same layout; computed in fp32 whatever the storage.
#pragma once

#include "backends/cuda/kernels/kernel_types.cuh"

namespace tandem::cuda {

struct UnaryArgs {
  const void* x = nullptr;
  void* y = nullptr;
  int64_t n = 0;
  int op = 0;
};

// cudaErrorInvalidValue for an op outside 0..12.
cudaError_t launch_unary(const UnaryArgs& args, Elem elem, cudaStream_t stream);

}  // namespace tandem::cuda
