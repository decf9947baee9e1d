#include "backends/cuda/kernels/depthwise_conv.cuh"
#include "backends/cuda/kernels/kernel_common.cuh"

namespace tandem::cuda {
namespace {

// One thread per output element; consecutive threads take consecutive channels, so loads and
// stores coalesce along C and the KHxKW window is re-read from L1/L2.
template <typename T>
__global__ void depthwise_nhwc_kernel(DepthwiseArgs a, int64_t total) {
  const T* x = static_cast<const T*>(a.x);
  const T* w = static_cast<const T*>(a.w);
  T* y = static_cast<T*>(a.y);
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < total; i += int64_t(gridDim.x) * blockDim.x) {
    int c = static_cast<int>(i % a.c);
    int64_t r = i / a.c;
    int ox = static_cast<int>(r % a.ow);
    r /= a.ow;
    int oy = static_cast<int>(r % a.oh);
    int n = static_cast<int>(r / a.oh);
    float acc = a.bias ? a.bias[c] : 0.0f;
    const int64_t img = static_cast<int64_t>(n) * a.h * a.w_in * a.c;
    for (int ky = 0; ky < a.kh; ++ky) {
      int iy = oy * a.stride_h - a.pad_t + ky * a.dil_h;
      if (iy < 0 || iy >= a.h) continue;
      for (int kx = 0; kx < a.kw; ++kx) {
        int ix = ox * a.stride_w - a.pad_l + kx * a.dil_w;
        if (ix < 0 || ix >= a.w_in) continue;
        acc += load_f(x, img + (static_cast<int64_t>(iy) * a.w_in + ix) * a.c + c) *
               load_f(w, (static_cast<int64_t>(ky) * a.kw + kx) * a.c + c);
      }
    }
    store_f(y, i, apply_act(a.act, acc));
  }
}

}  // namespace

cudaError_t launch_depthwise_nhwc(const DepthwiseArgs& a, Elem elem, cudaStream_t stream) {
  int64_t total = static_cast<int64_t>(a.n) * a.oh * a.ow * a.c;
  if (total == 0) return cudaSuccess;
  constexpr int kBlock = 256;
  TANDEM_DISPATCH_ELEM(elem, depthwise_nhwc_kernel<T><<<grid_for(total, kBlock), kBlock, 0, stream>>>(a, total));
  return cudaGetLastError();
}

}  // namespace tandem::cuda
