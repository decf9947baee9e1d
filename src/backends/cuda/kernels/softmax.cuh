// Softmax over the last (contiguous) dim of a [rows, cols] buffer; float accumulation.
#pragma once

#include "backends/cuda/kernels/kernel_types.cuh"

namespace tandem::cuda {

cudaError_t launch_softmax_rows(const void* x, void* y, int64_t rows, int64_t cols, Elem elem, cudaStream_t stream);

}  // namespace tandem::cuda
