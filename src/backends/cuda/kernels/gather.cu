#include "backends/cuda/kernels/gather.cuh"
#include "backends/cuda/kernels/kernel_common.cuh"

namespace tandem::cuda {
namespace {

template <typename T>
__global__ void gather_kernel(GatherArgs a, int64_t total) {
  const T* x = static_cast<const T*>(a.x);
  T* y = static_cast<T*>(a.y);
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < total; i += int64_t(gridDim.x) * blockDim.x) {
    int64_t rem = i, io = 0, oo = 0;
#pragma unroll
    for (int d = kMaxRank - 1; d >= 0; --d) {
      if (d >= a.slots.rank) continue;
      const int64_t k = rem % a.slots.shape[d];
      rem /= a.slots.shape[d];
      oo += k * a.out_strides.s[d];
      io += (d == a.axis ? a.table[k] : k) * a.in_strides.s[d];
    }
    y[oo] = x[io];
  }
}

}  // namespace

cudaError_t launch_gather(const GatherArgs& a, Elem elem, cudaStream_t stream) {
  int64_t total = 1;
  for (int d = 0; d < a.slots.rank; ++d) total *= a.slots.shape[d];
  if (total == 0) return cudaSuccess;
  constexpr int kBlock = 256;
  TANDEM_DISPATCH_ELEM(elem, gather_kernel<T><<<grid_for(total, kBlock), kBlock, 0, stream>>>(a, total));
  return cudaGetLastError();
}

}  // namespace tandem::cuda
