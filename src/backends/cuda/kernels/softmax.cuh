// Softmax over the last (contiguous) dim of a [rows, cols] buffer; float accumulation.
#pragma once

#include "backends/cuda/kernels/kernel_types.cuh"

namespace tandem::cuda {

cudaError_t launch_softmax_rows(const void* x, void* y, int64_t rows, int64_t cols, Elem elem, cudaStream_t stream);

// Softmax over one axis of any layout: `others` are the remaining dims with their element
// strides (x and y share the layout), `len` and `axis_stride` describe the axis.
cudaError_t launch_softmax_axis(const void* x, void* y, const StridedShape& others, const Strides& other_strides,
                                int64_t len, int64_t axis_stride, Elem elem, cudaStream_t stream);

}  // namespace tandem::cuda
