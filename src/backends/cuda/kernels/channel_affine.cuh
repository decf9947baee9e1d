// y[i] = act(x[i] * scale[c] + bias[c] + residual[i]) with c = (i / inner) % channels.
// scale, bias, residual may be null. x and y may be the same buffer (in place).
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
  DevEpilogue act;
};

cudaError_t launch_channel_affine(const ChannelAffineArgs& a, Elem elem, cudaStream_t stream);

}  // namespace tandem::cuda
