#include <cfloat>

#include "backends/cuda/kernels/kernel_common.cuh"
#include "backends/cuda/kernels/softmax.cuh"

namespace tandem::cuda {
namespace {

constexpr int kBlock = 256;

__device__ float block_reduce(float v, bool is_max, float* smem) {
  for (int off = 16; off > 0; off /= 2) {
    float o = __shfl_down_sync(0xffffffffu, v, off);
    v = is_max ? fmaxf(v, o) : v + o;
  }
  int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  __syncthreads();  // smem may still be read from the previous reduction
  if (lane == 0) smem[warp] = v;
  __syncthreads();
  float r = is_max ? -FLT_MAX : 0.0f;
  for (int k = 0; k < kBlock / 32; ++k) r = is_max ? fmaxf(r, smem[k]) : r + smem[k];
  return r;
}

// One block per row: max, sum of exp, then scale.
template <typename T>
__global__ void softmax_kernel(const T* x, T* y, int64_t cols) {
  __shared__ float smem[kBlock / 32];
  const int64_t base = blockIdx.x * cols;
  float m = -FLT_MAX;
  for (int64_t j = threadIdx.x; j < cols; j += kBlock) m = fmaxf(m, load_f(x, base + j));
  m = block_reduce(m, true, smem);
  float s = 0.0f;
  for (int64_t j = threadIdx.x; j < cols; j += kBlock) s += __expf(load_f(x, base + j) - m);
  s = block_reduce(s, false, smem);
  const float inv = 1.0f / s;
  for (int64_t j = threadIdx.x; j < cols; j += kBlock) store_f(y, base + j, __expf(load_f(x, base + j) - m) * inv);
}

// Softmax over one strided axis: one thread per position of the other dims (`others`, with
// their element strides); three passes over the axis (max, sum, write), fp32 accumulation.
template <typename T>
__global__ void softmax_axis_kernel(const T* x, T* y, StridedShape others, Strides ostr, int64_t len, int64_t astr,
                                    int64_t n) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    int64_t rem = i, base = 0;
    for (int d = others.rank - 1; d >= 0; --d) {
      base += (rem % others.shape[d]) * ostr.s[d];
      rem /= others.shape[d];
    }
    float m = -FLT_MAX;
    for (int64_t j = 0; j < len; ++j) m = fmaxf(m, load_f(x, base + j * astr));
    float s = 0.0f;
    for (int64_t j = 0; j < len; ++j) s += __expf(load_f(x, base + j * astr) - m);
    const float inv = 1.0f / s;
    for (int64_t j = 0; j < len; ++j) store_f(y, base + j * astr, __expf(load_f(x, base + j * astr) - m) * inv);
  }
}

}  // namespace

cudaError_t launch_softmax_axis(const void* x, void* y, const StridedShape& others, const Strides& other_strides,
                                int64_t len, int64_t axis_stride, Elem elem, cudaStream_t stream) {
  int64_t n = 1;
  for (int d = 0; d < others.rank; ++d) n *= others.shape[d];
  if (n == 0 || len == 0) return cudaSuccess;
  TANDEM_DISPATCH_ELEM(elem, softmax_axis_kernel<T><<<grid_for(n, kBlock), kBlock, 0, stream>>>(
                                 static_cast<const T*>(x), static_cast<T*>(y), others, other_strides, len, axis_stride, n));
  return cudaGetLastError();
}

cudaError_t launch_softmax_rows(const void* x, void* y, int64_t rows, int64_t cols, Elem elem, cudaStream_t stream) {
  if (rows == 0 || cols == 0) return cudaSuccess;
  if (rows > 0x7fffffffLL) return cudaErrorInvalidValue;
  TANDEM_DISPATCH_ELEM(elem, softmax_kernel<T><<<static_cast<unsigned>(rows), kBlock, 0, stream>>>(
                                 static_cast<const T*>(x), static_cast<T*>(y), cols));
  return cudaGetLastError();
}

}  // namespace tandem::cuda
