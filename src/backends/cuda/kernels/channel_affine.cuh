// y[i] = act(x[i] * scale[c] + bias[c] + residual[i]) with c = (i / inner) % channels.
// scale, bias, residual may be null. x and y may be the same buffer (in place). With x_block set,
// x is strided: y's runs of x_block elements start x_block_stride elements apart in x (a view of
// a Concat's leading channels: x_block = C (NHWC) or C * inner (NCHW), the stride the whole's).
// Serves Conv/Gemm bias + fused activation, BatchNormalization and standalone activations.
#pragma once

#include "backends/cuda/kernels/kernel_types.cuh"

namespace tandem::cuda {

struct ChannelAffineArgs {
  const void* x = nullptr;
  void* y = nullptr;
  const void* residual = nullptr;
  const float* scale = nullptr;
  const float* bias = nullptr;
  int64_t total = 0;
  int64_t channels = 1;
  int64_t inner = 1;
  int64_t x_block = 0, x_block_stride = 0;  // 0: x packed like y
  DevEpilogue act;
};

cudaError_t launch_channel_affine(const ChannelAffineArgs& a, Elem elem, cudaStream_t stream);

}  // namespace tandem::cuda
