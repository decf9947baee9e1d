// Depthwise 2-D convolution (group == C_in == C_out) with bias and fused activation, optionally an
// activation on its input as well (moved from the producer, saving that pass): one pass,
// where cuDNN needs a conv plus an epilogue pass. Two layouts: NHWC (fp16 or fp32; weights
// [KH][KW][C]) and NCHW (fp32 units; weights [C][KH][KW], the ONNX order). Only the begin pads
// are given: the end pads follow from the output size (reads past the input count as zero).
#pragma once

#include "backends/cuda/kernels/kernel_types.cuh"

namespace tandem::cuda {

struct DepthwiseArgs {
  const void* x = nullptr;   // [N, H, W, C] or [N, C, H, W]
  const void* w = nullptr;   // [KH, KW, C] or [C, KH, KW]
  const float* bias = nullptr;  // [C] or null
  void* y = nullptr;         // [N, OH, OW, C] or [N, C, OH, OW]
  int n = 0, h = 0, w_in = 0, c = 0, oh = 0, ow = 0;
  int kh = 0, kw = 0, stride_h = 1, stride_w = 1, pad_t = 0, pad_l = 0, dil_h = 1, dil_w = 1;
  DevEpilogue act;
  DevEpilogue in_act;  // applied to every input value loaded (not to the zero padding)
};

cudaError_t launch_depthwise_nhwc(const DepthwiseArgs& a, Elem elem, cudaStream_t stream);
// fp32 only, NCHW.
cudaError_t launch_depthwise_nchw_f32(const DepthwiseArgs& a, cudaStream_t stream);

}  // namespace tandem::cuda
