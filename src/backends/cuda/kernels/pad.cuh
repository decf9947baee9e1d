// Pad of a tensor of up to 6 dims, either layout: each output element reads the input at its
// index minus the begin pad, or the constant (mode 0), the nearest edge element (1), the
// element mirrored about the edge (2). Dims are given in the output's memory order.
#pragma once

#include "backends/cuda/kernels/kernel_types.cuh"

namespace tandem::cuda {

struct PadArgs {
  const void* x = nullptr;
  void* y = nullptr;
  StridedShape out;       // output dims
  Strides out_strides;    // element strides of y per dim
  Strides in_strides;     // element strides of x per dim
  int64_t in_dims[kMaxRank] = {};
  int64_t begin[kMaxRank] = {};  // may be negative (crop)
  int mode = 0;                  // 0 constant, 1 edge, 2 reflect
  float value = 0.0f;
};

cudaError_t launch_pad(const PadArgs& a, Elem elem, cudaStream_t stream);

}  // namespace tandem::cuda
