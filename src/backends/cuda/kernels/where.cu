#include "backends/cuda/kernels/kernel_common.cuh"
#include "backends/cuda/kernels/where.cuh"

namespace tandem::cuda {
namespace {

template <typename T>
__global__ void where_kernel(WhereArgs a, int64_t n) {
  const T* x = static_cast<const T*>(a.x);
  const T* y = static_cast<const T*>(a.y);
  T* out = static_cast<T*>(a.out);
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    int64_t rem = i, co = 0, xo = 0, yo = 0;
#pragma unroll
    for (int d = kMaxRank - 1; d >= 0; --d) {
      if (d >= a.shape.rank) continue;
      const int64_t k = rem % a.shape.shape[d];
      rem /= a.shape.shape[d];
      co += k * a.cond_strides.s[d];
      xo += k * a.x_strides.s[d];
      yo += k * a.y_strides.s[d];
    }
    out[i] = a.cond[co] ? x[xo] : y[yo];
  }
}

}  // namespace

cudaError_t launch_where(const WhereArgs& a, Elem elem, cudaStream_t stream) {
  int64_t n = 1;
  for (int d = 0; d < a.shape.rank; ++d) n *= a.shape.shape[d];
  if (n == 0) return cudaSuccess;
  constexpr int kBlock = 256;
  TANDEM_DISPATCH_ELEM(elem, where_kernel<T><<<grid_for(n, kBlock), kBlock, 0, stream>>>(a, n));
  return cudaGetLastError();
}

}  // namespace tandem::cuda
