// out = cond ? x : y with broadcasting: `shape` is the output's dims in its memory order (out is
// contiguous), the strides give each operand's element stride per dim (0 where broadcast).
// cond holds one byte per element (bool), x / y / out the unit's element type.
#pragma once

#include "backends/cuda/kernels/kernel_types.cuh"

namespace tandem::cuda {

struct WhereArgs {
  const uint8_t* cond = nullptr;
  const void* x = nullptr;
  const void* y = nullptr;
  void* out = nullptr;
  StridedShape shape;
  Strides cond_strides, x_strides, y_strides;
};

cudaError_t launch_where(const WhereArgs& args, Elem elem, cudaStream_t stream);

}  // namespace tandem::cuda
