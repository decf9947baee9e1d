// GlobalAveragePool / GlobalMaxPool over H*W for every (n, c); input NCHW or NHWC; output
// [N, C] (the same bytes as [N, C, 1, 1] in either layout).
#pragma once

#include "backends/cuda/kernels/kernel_types.cuh"

namespace tandem::cuda {

cudaError_t launch_global_pool(const void* x, void* y, int64_t n, int64_t c, int64_t hw, bool nhwc, bool is_max,
                               Elem elem, cudaStream_t stream);

}  // namespace tandem::cuda
