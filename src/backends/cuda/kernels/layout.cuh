// NCHW -> NHWC re-layout for few channels (a model's image input): one thread per pixel reads
// its C values (coalesced per channel plane) and writes them contiguously.
#pragma once

#include "backends/cuda/kernels/kernel_types.cuh"

namespace tandem::cuda {

// x [N, C, HW] -> y [N, HW, C], both in `elem`.
cudaError_t launch_nchw_to_nhwc_small_c(const void* x, void* y, int n, int c, int hw, Elem elem, cudaStream_t stream);

}  // namespace tandem::cuda
