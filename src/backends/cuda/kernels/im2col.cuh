// im2col for an NHWC fp16 convolution input: row m = (n, oy, ox) of the output, column
// (ky * KW + kx) * C + c, the input tap under that kernel position (zero in the padding), so that
// the conv is col[M, K] x W[Cout, K]^T with W in OHWI order. Rows are `kpad` wide (K rounded up
// to a multiple of 8 for aligned tensor-core loads); columns K..kpad-1 are zero.
// A grouped conv (groups G, C / G channels each) has one such block per group side by side: row
// m is G blocks of `kpad` columns, block g holding (ky * KW + kx) * (C / G) + c of group g's
// channels, so that group g's product reads columns [g * kpad, (g + 1) * kpad) (conv_gemm.cpp
// runs them as one strided batched product).
#pragma once

#include <cstdint>

#include "backends/cuda/kernels/kernel_types.cuh"

namespace tandem::cuda {

struct Im2colArgs {
  const void* x = nullptr;  // [N, H, W, C] fp16
  void* col = nullptr;      // [N * OH * OW, kpad] fp16
  int n = 0, h = 0, w = 0, c = 0, oh = 0, ow = 0, kh = 0, kw = 0;
  int stride_h = 1, stride_w = 1, pad_t = 0, pad_l = 0, dil_h = 1, dil_w = 1;
  int kpad = 0;    // columns of one group's block
  int groups = 1;  // blocks per row; c is the input's channel count, c / groups per block
};

cudaError_t launch_im2col_nhwc_f16(const Im2colArgs& a, cudaStream_t stream);

}  // namespace tandem::cuda
