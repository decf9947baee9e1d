// ArgMax over one axis of a tensor in any stored layout (NCHW, NHWC, row-major), writing int64
// indices in the output's row-major (logical) order.
#pragma once

#include "backends/cuda/kernels/kernel_types.cuh"

namespace tandem::cuda {

// `kept`: the dims other than the axis in logical order, with their element strides in x
// (`kept_x`); the axis has `len` elements `axis_stride` apart. Ties: the first index, or the
// last with `select_last`; NaN never wins (as the reference kernel).
cudaError_t launch_argmax(const void* x, int64_t* y, const StridedShape& kept, const Strides& kept_x, int64_t len,
                          int64_t axis_stride, bool select_last, Elem elem, cudaStream_t stream);

}  // namespace tandem::cuda
