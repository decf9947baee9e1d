// Direct 2-D max / average pooling: every NHWC pool (cuDNN's NHWC pooling ran 10-15x under the
// memory bandwidth on an H200: Inception-v3's 3x3 average pools were 47% of its time at batch
// 128), and for NCHW what cuDNN pooling lacks: dilations, asymmetric pads, ceil-mode windows
// running past the padded input. Any layout (element strides per logical dim of x and y); one
// thread per output element in y's storage order, or per 8 channels (fp16 NHWC, C % 8 == 0).
#pragma once

#include "backends/cuda/kernels/kernel_types.cuh"

namespace tandem::cuda {

struct Pool2dArgs {
  const void* x = nullptr;
  void* y = nullptr;
  int n = 0, c = 0, h = 0, w = 0, oh = 0, ow = 0;
  int kh = 1, kw = 1, stride_h = 1, stride_w = 1, pad_t = 0, pad_l = 0, pad_b = 0, pad_r = 0, dil_h = 1, dil_w = 1;
  bool is_max = true;
  bool count_include_pad = false;
  Strides xs, ys;  // element strides of N, C, H, W
  bool channels_last = false;  // y stored NHWC: threads walk channels fastest
};

cudaError_t launch_pool2d(const Pool2dArgs& a, Elem elem, cudaStream_t stream);

}  // namespace tandem::cuda
