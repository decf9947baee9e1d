#include "backends/cuda/kernels/copy_strided.cuh"
#include "backends/cuda/kernels/kernel_common.cuh"

namespace tandem::cuda {
namespace {

template <typename Tin, typename Tout>
__global__ void copy_strided_kernel(const Tin* in, Strides is, Tout* out, Strides os, StridedShape sh, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    int64_t rem = i, io = 0, oo = 0;
#pragma unroll
    for (int d = kMaxRank - 1; d >= 0; --d) {
      if (d >= sh.rank) continue;
      int64_t k = rem % sh.shape[d];
      rem /= sh.shape[d];
      io += k * is.s[d];
      oo += k * os.s[d];
    }
    store_f(out, oo, load_f(in, io));
  }
}

template <typename Tin, typename Tout>
cudaError_t launch(const void* in, const Strides& is, void* out, const Strides& os, const StridedShape& sh,
                   cudaStream_t stream) {
  int64_t n = 1;
  for (int d = 0; d < sh.rank; ++d) n *= sh.shape[d];
  if (n == 0) return cudaSuccess;
  constexpr int kBlock = 256;
  copy_strided_kernel<Tin, Tout><<<grid_for(n, kBlock), kBlock, 0, stream>>>(static_cast<const Tin*>(in), is,
                                                                          static_cast<Tout*>(out), os, sh, n);
  return cudaGetLastError();
}

}  // namespace

cudaError_t launch_copy_strided(const void* in, Elem in_elem, const Strides& in_strides, void* out, Elem out_elem,
                                const Strides& out_strides, const StridedShape& shape, cudaStream_t stream) {
  if (in_elem == Elem::kF32 && out_elem == Elem::kF32)
    return launch<float, float>(in, in_strides, out, out_strides, shape, stream);
  if (in_elem == Elem::kF32 && out_elem == Elem::kF16)
    return launch<float, __half>(in, in_strides, out, out_strides, shape, stream);
  if (in_elem == Elem::kF16 && out_elem == Elem::kF32)
    return launch<__half, float>(in, in_strides, out, out_strides, shape, stream);
  return launch<__half, __half>(in, in_strides, out, out_strides, shape, stream);
}

}  // namespace tandem::cuda
