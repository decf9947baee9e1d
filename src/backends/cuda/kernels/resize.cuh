// Resize of a 4-D tensor over H and W (nearest or bilinear), NCHW or NHWC, ONNX semantics.
#pragma once

#include "backends/cuda/kernels/kernel_types.cuh"

namespace tandem::cuda {

struct ResizeArgs {
  const void* x = nullptr;
  void* y = nullptr;
  int n = 0, c = 0, ih = 0, iw = 0, oh = 0, ow = 0;
  float scale_h = 1.0f, scale_w = 1.0f;
  bool nhwc = false;
  bool linear = false;
  int coord_mode = 0;    // 0 half_pixel, 1 asymmetric, 2 align_corners, 3 pytorch_half_pixel, 4 tf_half_pixel_for_nn
  int nearest_mode = 0;  // 0 round_prefer_floor, 1 round_prefer_ceil, 2 floor, 3 ceil
};

cudaError_t launch_resize(const ResizeArgs& a, Elem elem, cudaStream_t stream);

}  // namespace tandem::cuda
