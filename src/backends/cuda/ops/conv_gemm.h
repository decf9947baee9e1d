// A 1x1 convolution (stride 1, no padding, one group) on NHWC data is a matrix product:
// Y[N*H*W, Cout] = X[N*H*W, Cin] W[Cout, Cin]^T. cuBLASLt runs it with bias, residual and Relu in
// its epilogue (one rounding to fp16), which at small batches is several times faster than
// cuDNN's convolution kernels. Conv (conv.cpp) times these plans against cuDNN's and keeps the
// fastest.
#pragma once

#include <string>
#include <vector>

#include "backends/cuda/cuda_context.h"

namespace tandem::cuda {

// One way to run a conv with its bias (+ residual) (+ activation): steps and the workspace
// they need (from RunEnv::workspace).
struct ConvPlan {
  std::vector<Step> steps;
  size_t workspace = 0;
  std::string name;
};

// A conv's bias on the device, uploaded once for all its plans: fp32, and in the unit's element
// type (the same buffer for fp32 units). Both null when the conv has no bias.
struct DevBias {
  const float* f32 = nullptr;
  const void* elem = nullptr;
};

// Whether the conv of `a` from x to y can run as one matrix product (1x1 kernel, unit stride,
// zero pads, group 1, NHWC storage).
bool conv_is_nhwc_gemm(const ir::ConvAttrs& a, const DevTensor& x, const DevTensor& y);

// cuBLASLt plans for y = act(x W^T + bias + residual): one per algorithm that cuBLASLt's
// heuristic proposes (at most `max_plans`). `residual` may be null. The bias is added in fp32
// where cuBLASLt allows it, else in the element type. Relu runs in the epilogue; any other activation in
// one pass after it. Empty when cuBLASLt proposes nothing for these shapes.
Result<std::vector<ConvPlan>> nhwc_gemm_plans(BuildContext& ctx, const DevTensor& x, const void* w,
                                              const DevBias& bias, const DevTensor* residual,
                                              const ir::Epilogue& act, const DevTensor& y, int max_plans = 4);

// Any conv on NHWC fp16 data as im2col (kernels/im2col.cu, into the workspace) then one
// cuBLASLt product against the OHWI weights: at small batches much faster than cuDNN's kernels for
// 3x3, 7x7 and strided 1x1 convs. Offered only for products of at most kMaxIm2colRows rows (output
// pixels of the batch) whose im2col matrix stays under kMaxIm2colBytes: on an H200 (2026-12-01)
// it made ResNet-50's graph 10-20% faster at batch 1 and 16, and no faster beyond (within 3% at
// 64-1024 once time_steps warmed the GPU up; 5-23% slower before). `w_ohwi` is the host copy of
// `w_dev` ([Cout][KH][KW][Cin]).
// A grouped conv (ResNeXt, RegNet) runs as one batched product over its groups ("im2col-lt-g"),
// for groups of at least kMinIm2colGroupChannels input channels (not depthwise: its own kernel).
constexpr int64_t kMaxIm2colRows = 65536;
constexpr int64_t kMinIm2colGroupChannels = 4;
constexpr size_t kMaxIm2colBytes = size_t{256} << 20;
size_t im2col_bytes(const ir::ConvAttrs& a, const DevTensor& x, const DevTensor& y);
bool conv_can_im2col(const ir::ConvAttrs& a, const DevTensor& x, const DevTensor& y);
Result<std::vector<ConvPlan>> im2col_gemm_plans(BuildContext& ctx, const ir::ConvAttrs& a, const DevTensor& x,
                                                const std::vector<float>& w_ohwi, const void* w_dev,
                                                const DevBias& bias, const DevTensor* residual,
                                                const ir::Epilogue& act, const DevTensor& y, int max_plans = 4);

// A row-major [rows][width] matrix with each row padded by zeros to `padded_width` (the weights of
// a conv whose input channels or im2col columns were padded to a multiple of 8).
std::vector<float> pad_rows(const std::vector<float>& v, int64_t width, int64_t padded_width);

}  // namespace tandem::cuda
