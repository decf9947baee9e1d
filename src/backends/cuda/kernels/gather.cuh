// Gather along one axis with a device table of (non-negative) indices: the output, seen as the
// data's dims with the axis holding one slot per index, reads data at table[slot] along the
// axis. Up to 6 dims, either layout; dims in the output's memory order.
#pragma once

#include "backends/cuda/kernels/kernel_types.cuh"

namespace tandem::cuda {

struct GatherArgs {
  const void* x = nullptr;
  void* y = nullptr;
  StridedShape slots;  // data dims, the gathered one replaced by the number of indices
  Strides in_strides, out_strides;
  int axis = 0;                    // which of the dims above is gathered
  const int64_t* table = nullptr;  // device memory, one index per slot
};

cudaError_t launch_gather(const GatherArgs& a, Elem elem, cudaStream_t stream);

}  // namespace tandem::cuda
