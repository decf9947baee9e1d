#include "backends/cuda/kernels/channel_affine.cuh"
#include "backends/cuda/kernels/kernel_common.cuh"

namespace tandem::cuda {
namespace {

template <typename T>
__global__ void channel_affine_kernel(const T* x, T* y, const T* res, const float* scale, const float* bias,
                                      int64_t n, int64_t channels, int64_t inner, DevEpilogue act) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    int64_t c = (i / inner) % channels;
    float v = load_f(x, i);
    if (scale) v *= scale[c];
    if (bias) v += bias[c];
    if (res) v += load_f(res, i);
    store_f(y, i, apply_act(act, v));
  }
}

}  // namespace

cudaError_t launch_channel_affine(const ChannelAffineArgs& a, Elem elem, cudaStream_t stream) {
  if (a.total == 0) return cudaSuccess;
  constexpr int kBlock = 256;
  TANDEM_DISPATCH_ELEM(elem, channel_affine_kernel<T><<<grid_for(a.total, kBlock), kBlock, 0, stream>>>(
                                 static_cast<const T*>(a.x), static_cast<T*>(a.y), static_cast<const T*>(a.residual),
                                 a.scale, a.bias, a.total, a.channels, a.inner, a.act));
  return cudaGetLastError();
}

}  // namespace tandem::cuda
