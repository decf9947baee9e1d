#include "backends/cuda/kernels/channel_affine.cuh"
#include "backends/cuda/kernels/kernel_common.cuh"

namespace tandem::cuda {
namespace {

template <typename T>
__global__ void channel_affine_kernel(const T* x, T* y, const T* res, const float* scale, const float* bias,
                                      int64_t n, int64_t channels, int64_t inner, int64_t xb, int64_t xbs,
                                      DevEpilogue act) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    int64_t c = (i / inner) % channels;
    float v = load_f(x, xb ? (i / xb) * xbs + i % xb : i);
    if (scale) v *= scale[c];
    if (bias) v += bias[c];
    if (res) v += load_f(res, i);
    store_f(y, i, apply_act(act, v));
  }
}

// fp16, channels innermost (inner == 1), channels % 8 == 0: 8 elements per thread, 16-byte
// accesses, 32-bit indices.
__global__ void channel_affine_h8_kernel(const uint4* x, uint4* y, const uint4* res, const float* scale,
                                         const float* bias, int n8, int c8, int xb8, int xbs8, DevEpilogue act) {
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n8; i += gridDim.x * blockDim.x) {
    const int c0 = (i % c8) * 8;
    uint4 xv = x[xb8 ? (i / xb8) * xbs8 + i % xb8 : i];
    uint4 rv = res ? res[i] : uint4{};
    const __half2* xh = reinterpret_cast<const __half2*>(&xv);
    const __half2* rh = reinterpret_cast<const __half2*>(&rv);
    uint4 out;
    __half2* oh = reinterpret_cast<__half2*>(&out);
#pragma unroll
    for (int k = 0; k < 4; ++k) {
      float2 v = __half22float2(xh[k]);
      if (scale) { v.x *= scale[c0 + 2 * k]; v.y *= scale[c0 + 2 * k + 1]; }
      if (bias) { v.x += bias[c0 + 2 * k]; v.y += bias[c0 + 2 * k + 1]; }
      if (res) { float2 r = __half22float2(rh[k]); v.x += r.x; v.y += r.y; }
      oh[k] = __floats2half2_rn(apply_act(act, v.x), apply_act(act, v.y));
    }
    y[i] = out;
  }
}

}  // namespace

cudaError_t launch_channel_affine(const ChannelAffineArgs& a, Elem elem, cudaStream_t stream) {
  if (a.total == 0) return cudaSuccess;
  constexpr int kBlock = 256;
  const auto aligned = [](const void* p) { return (reinterpret_cast<uintptr_t>(p) & 15) == 0; };
  const bool x8 = a.x_block % 8 == 0 && a.x_block_stride % 8 == 0 &&
                  (a.x_block == 0 || a.total / a.x_block * a.x_block_stride < (int64_t{1} << 33));
  if (elem == Elem::kF16 && a.inner == 1 && (a.channels % 8 == 0 || (!a.scale && !a.bias)) && a.total % 8 == 0 && a.total < (int64_t{1} << 33) &&
      x8 && aligned(a.x) && aligned(a.y) && aligned(a.residual)) {
    const int n8 = static_cast<int>(a.total / 8);
    channel_affine_h8_kernel<<<grid_for(n8, kBlock), kBlock, 0, stream>>>(
        static_cast<const uint4*>(a.x), static_cast<uint4*>(a.y), static_cast<const uint4*>(a.residual), a.scale, a.bias,
        n8, static_cast<int>(a.channels % 8 == 0 ? a.channels / 8 : 1), static_cast<int>(a.x_block / 8),
        static_cast<int>(a.x_block_stride / 8), a.act);
    return cudaGetLastError();
  }
  TANDEM_DISPATCH_ELEM(elem, channel_affine_kernel<T><<<grid_for(a.total, kBlock), kBlock, 0, stream>>>(
                                 static_cast<const T*>(a.x), static_cast<T*>(a.y), static_cast<const T*>(a.residual),
                                 a.scale, a.bias, a.total, a.channels, a.inner, a.x_block, a.x_block_stride, a.act));
  return cudaGetLastError();
}

}  // namespace tandem::cuda
