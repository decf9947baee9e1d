// The cuDNN descriptors of one 2-D convolution (X, Y, W, the conv), shared by Conv (forward)
// and ConvTranspose (backward data, which uses the forward conv that maps Y to X).
#pragma once

#include <vector>

#include "backends/cuda/cuda_context.h"

namespace tandem::cuda {

// Owns its descriptors (destroyed with it); not copyable.
struct ConvDescriptors {
  cudnnTensorDescriptor_t x = nullptr, y = nullptr;
  cudnnFilterDescriptor_t w = nullptr;
  cudnnConvolutionDescriptor_t conv = nullptr;

  ConvDescriptors() = default;
  ConvDescriptors(const ConvDescriptors&) = delete;
  ConvDescriptors& operator=(const ConvDescriptors&) = delete;
  ~ConvDescriptors();
};

// Creates and sets the descriptors: data type and math from `precision` (fp16: tensor cores;
// fp32: exact FMA, no TF32, for the 1e-4 tolerance; tf32: fp32 data, cuDNN's default math, which
// may run TF32 tensor cores as PyTorch does), layout NHWC or NCHW, the begin pads of `pads`,
// strides, dilations and the group count. Shapes are 4-D [N, C, H, W] (logical order).
Status set_conv_descriptors(ConvDescriptors& d, Precision precision, bool nhwc, const Shape& x, const Shape& y,
                            const Shape& w, const std::vector<int64_t>& pads, const std::vector<int64_t>& strides,
                            const std::vector<int64_t>& dilations, int64_t group);

// Scratch for cuDNN's algorithm search at compile time (cudnnFind*AlgorithmEx): up to 1 GiB and
// at most a quarter of the device memory free now. Freed when the search is done.
struct SearchWorkspace {
  DeviceMemory memory;
  size_t bytes = 0;
};
Result<SearchWorkspace> algorithm_search_workspace();

}  // namespace tandem::cuda
