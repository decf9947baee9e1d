// Strided copy with element-type conversion: out[idx . out_strides] = in[idx . in_strides] for
// every index of `shape`. Serves Transpose, Concat, layout changes (NCHW <-> NHWC), fp32 <-> fp16.
#pragma once

#include "backends/cuda/kernels/kernel_types.cuh"

namespace tandem::cuda {

cudaError_t launch_copy_strided(const void* in, Elem in_elem, const Strides& in_strides, void* out, Elem out_elem,
                                const Strides& out_strides, const StridedShape& shape, cudaStream_t stream);

}  // namespace tandem::cuda
