// A model's image input, uploaded as fp32 NCHW, into the unit's storage: NCHW -> NHWC re-layout
// for few channels with the fp32 -> unit element conversion in the same pass. One thread per
// pixel reads its C values (coalesced per channel plane) and writes them contiguously.
#pragma once

#include "backends/cuda/kernels/kernel_types.cuh"

namespace tandem::cuda {

// x [N, C, HW] fp32 -> y [N, HW, C] in `y_elem`.
cudaError_t launch_nchw_to_nhwc_small_c(const float* x, void* y, int n, int c, int hw, Elem y_elem, cudaStream_t stream);

}  // namespace tandem::cuda
