#include "backends/cuda/kernels/argmax.cuh"
#include "backends/cuda/kernels/kernel_common.cuh"

namespace tandem::cuda {
namespace {

constexpr int kBlock = 256;

// One thread per output element (a grid-stride loop): it walks the axis of its position.
// Neighbouring threads hold neighbouring positions of the innermost kept dim, so in NCHW (axis
// 1) a warp reads 32 consecutive elements per step; in NHWC each thread reads its own C run.
template <typename T, bool kLast>
__global__ void argmax_kernel(const T* x, int64_t* y, StridedShape kept, Strides kx, int64_t len, int64_t astr,
                              int64_t n) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    int64_t rem = i, base = 0;
    for (int d = kept.rank - 1; d >= 0; --d) {
      base += (rem % kept.shape[d]) * kx.s[d];
      rem /= kept.shape[d];
    }
    float best = load_f(x, base);
    int64_t at = 0;
    for (int64_t j = 1; j < len; ++j) {
      const float v = load_f(x, base + j * astr);
      if (kLast ? v >= best : v > best) {
        best = v;
        at = j;
      }
    }
    y[i] = at;
  }
}

}  // namespace

cudaError_t launch_argmax(const void* x, int64_t* y, const StridedShape& kept, const Strides& kept_x, int64_t len,
                          int64_t axis_stride, bool select_last, Elem elem, cudaStream_t stream) {
  int64_t n = 1;
  for (int d = 0; d < kept.rank; ++d) n *= kept.shape[d];
  if (n == 0 || len == 0) return cudaSuccess;
  if (select_last) {
    TANDEM_DISPATCH_ELEM(elem, argmax_kernel<T, true><<<grid_for(n, kBlock), kBlock, 0, stream>>>(
                                   static_cast<const T*>(x), y, kept, kept_x, len, axis_stride, n));
  } else {
    TANDEM_DISPATCH_ELEM(elem, argmax_kernel<T, false><<<grid_for(n, kBlock), kBlock, 0, stream>>>(
                                   static_cast<const T*>(x), y, kept, kept_x, len, axis_stride, n));
  }
  return cudaGetLastError();
}

}  // namespace tandem::cuda
