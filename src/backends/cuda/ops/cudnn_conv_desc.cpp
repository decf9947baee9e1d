#include "backends/cuda/ops/cudnn_conv_desc.h"

#include <algorithm>

namespace tandem::cuda {

ConvDescriptors::~ConvDescriptors() {
  if (x) cudnnDestroyTensorDescriptor(x);
  if (y) cudnnDestroyTensorDescriptor(y);
  if (w) cudnnDestroyFilterDescriptor(w);
  if (conv) cudnnDestroyConvolutionDescriptor(conv);
}

Status set_conv_descriptors(ConvDescriptors& d, Precision precision, bool nhwc, const Shape& x, const Shape& y,
                            const Shape& w, const std::vector<int64_t>& pads, const std::vector<int64_t>& strides,
                            const std::vector<int64_t>& dilations, int64_t group) {
  const bool half = precision == Precision::kFloat16;
  const cudnnDataType_t dt = half ? CUDNN_DATA_HALF : CUDNN_DATA_FLOAT;
  const cudnnTensorFormat_t fmt = nhwc ? CUDNN_TENSOR_NHWC : CUDNN_TENSOR_NCHW;
  CUDNN_TRY(cudnnCreateTensorDescriptor(&d.x));
  CUDNN_TRY(cudnnCreateTensorDescriptor(&d.y));
  CUDNN_TRY(cudnnCreateFilterDescriptor(&d.w));
  CUDNN_TRY(cudnnCreateConvolutionDescriptor(&d.conv));
  CUDNN_TRY(cudnnSetTensor4dDescriptor(d.x, fmt, dt, int(x[0]), int(x[1]), int(x[2]), int(x[3])));
  CUDNN_TRY(cudnnSetTensor4dDescriptor(d.y, fmt, dt, int(y[0]), int(y[1]), int(y[2]), int(y[3])));
  CUDNN_TRY(cudnnSetFilter4dDescriptor(d.w, dt, fmt, int(w[0]), int(w[1]), int(w[2]), int(w[3])));
  CUDNN_TRY(cudnnSetConvolution2dDescriptor(d.conv, int(pads[0]), int(pads[1]), int(strides[0]), int(strides[1]),
                                            int(dilations[0]), int(dilations[1]), CUDNN_CROSS_CORRELATION,
                                            CUDNN_DATA_FLOAT));
  CUDNN_TRY(cudnnSetConvolutionGroupCount(d.conv, int(group)));
  // CUDNN_DEFAULT_MATH on fp32 data permits TF32 tensor cores (Ampere and newer), without the
  // fp16 down-conversion that CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION would allow.
  const cudnnMathType_t math = half ? CUDNN_TENSOR_OP_MATH
                               : precision == Precision::kTF32 ? CUDNN_DEFAULT_MATH
                                                               : CUDNN_FMA_MATH;
  CUDNN_TRY(cudnnSetConvolutionMathType(d.conv, math));
  return Status::ok();
}

Result<SearchWorkspace> algorithm_search_workspace() {
  constexpr size_t kMaxWorkspace = size_t{1} << 30;
  size_t free_b = 0, total_b = 0;
  CUDA_TRY(cudaMemGetInfo(&free_b, &total_b));
  SearchWorkspace ws;
  ws.bytes = std::min(kMaxWorkspace, free_b / 4);
  TANDEM_ASSIGN_OR_RETURN(ws.memory, device_alloc(ws.bytes));
  return ws;
}

}  // namespace tandem::cuda
