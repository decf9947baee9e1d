#include <cfloat>

#include "backends/cuda/kernels/global_pool.cuh"
#include "backends/cuda/kernels/kernel_common.cuh"

namespace tandem::cuda {
namespace {

// NHWC: one thread per (n, c); neighbouring threads read neighbouring channels (coalesced).
template <typename T>
__global__ void global_pool_nhwc(const T* x, T* y, int64_t n, int64_t c, int64_t hw, bool is_max) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n * c; i += int64_t(gridDim.x) * blockDim.x) {
    int64_t b = i / c, ch = i % c;
    const int64_t base = b * hw * c + ch;
    float acc = is_max ? -FLT_MAX : 0.0f;
    for (int64_t p = 0; p < hw; ++p) {
      float v = load_f(x, base + p * c);
      acc = is_max ? fmaxf(acc, v) : acc + v;
    }
    store_f(y, i, is_max ? acc : acc / static_cast<float>(hw));
  }
}

// NCHW: one warp per (n, c) plane, reduced with shuffles.
template <typename T>
__global__ void global_pool_nchw(const T* x, T* y, int64_t planes, int64_t hw, bool is_max) {
  int64_t warp = (blockIdx.x * int64_t(blockDim.x) + threadIdx.x) / 32;
  int lane = threadIdx.x % 32;
  if (warp >= planes) return;
  const int64_t base = warp * hw;
  float acc = is_max ? -FLT_MAX : 0.0f;
  for (int64_t p = lane; p < hw; p += 32) {
    float v = load_f(x, base + p);
    acc = is_max ? fmaxf(acc, v) : acc + v;
  }
  for (int off = 16; off > 0; off /= 2) {
    float o = __shfl_down_sync(0xffffffffu, acc, off);
    acc = is_max ? fmaxf(acc, o) : acc + o;
  }
  if (lane == 0) store_f(y, warp, is_max ? acc : acc / static_cast<float>(hw));
}

}  // namespace

cudaError_t launch_global_pool(const void* x, void* y, int64_t n, int64_t c, int64_t hw, bool nhwc, bool is_max,
                               Elem elem, cudaStream_t stream) {
  if (n * c == 0) return cudaSuccess;
  constexpr int kBlock = 256;
  if (nhwc) {
    TANDEM_DISPATCH_ELEM(elem, global_pool_nhwc<T><<<grid_for(n * c, kBlock), kBlock, 0, stream>>>(
                                   static_cast<const T*>(x), static_cast<T*>(y), n, c, hw, is_max));
  } else {
    int64_t blocks = (n * c * 32 + kBlock - 1) / kBlock;
    TANDEM_DISPATCH_ELEM(elem, global_pool_nchw<T><<<static_cast<unsigned>(blocks), kBlock, 0, stream>>>(
                                   static_cast<const T*>(x), static_cast<T*>(y), n * c, hw, is_max));
  }
  return cudaGetLastError();
}

}  // namespace tandem::cuda
