#include "backends/cuda/kernels/kernel_common.cuh"
#include "backends/cuda/kernels/pad.cuh"

namespace tandem::cuda {
namespace {

template <typename T>
__global__ void pad_kernel(PadArgs a, int64_t total) {
  const T* x = static_cast<const T*>(a.x);
  T* y = static_cast<T*>(a.y);
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < total; i += int64_t(gridDim.x) * blockDim.x) {
    int64_t rem = i, io = 0, oo = 0;
    bool fill = false;
#pragma unroll
    for (int d = kMaxRank - 1; d >= 0; --d) {
      if (d >= a.out.rank) continue;
      const int64_t k = rem % a.out.shape[d];
      rem /= a.out.shape[d];
      oo += k * a.out_strides.s[d];
      const int64_t n = a.in_dims[d];
      int64_t s = k - a.begin[d];
      if (s < 0 || s >= n) {
        if (a.mode == 0) fill = true;
        else if (a.mode == 1) s = s < 0 ? 0 : n - 1;
        else s = s < 0 ? -s : 2 * (n - 1) - s;
      }
      io += s * a.in_strides.s[d];
    }
    store_f(y, oo, fill ? a.value : load_f(x, io));
  }
}

}  // namespace

cudaError_t launch_pad(const PadArgs& a, Elem elem, cudaStream_t stream) {
  int64_t total = 1;
  for (int d = 0; d < a.out.rank; ++d) total *= a.out.shape[d];
  if (total == 0) return cudaSuccess;
  constexpr int kBlock = 256;
  TANDEM_DISPATCH_ELEM(elem, pad_kernel<T><<<grid_for(total, kBlock), kBlock, 0, stream>>>(a, total));
  return cudaGetLastError();
}

}  // namespace tandem::cuda
