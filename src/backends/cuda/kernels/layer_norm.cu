#include "backends/cuda/kernels/kernel_common.cuh"
#include "backends/cuda/kernels/layer_norm.cuh"

namespace tandem::cuda {
namespace {

constexpr int kBlock = 256;

__device__ __forceinline__ int64_t strided_offset(const StridedShape& s, const Strides& st, int64_t i) {
  int64_t off = 0;
  for (int d = s.rank - 1; d >= 0; --d) {
    off += (i % s.shape[d]) * st.s[d];
    i /= s.shape[d];
  }
  return off;
}

// Sum over the G threads of a group; every thread gets it. smem: kBlock / 32 floats (G > 32).
template <int G>
__device__ float group_sum(float v, float* smem) {
  for (int o = 16; o > 0; o /= 2) v += __shfl_xor_sync(0xffffffffu, v, o);
  if constexpr (G > 32) {
    __syncthreads();  // smem may still be read by the previous call
    if (threadIdx.x % 32 == 0) smem[threadIdx.x / 32] = v;
    __syncthreads();
    v = 0.0f;
    for (int k = 0; k < G / 32; ++k) v += smem[k];
  }
  return v;
}

template <bool kContiguous>
__device__ __forceinline__ int64_t element_at(const LayerNormArgs& a, int64_t base, int64_t j) {
  if constexpr (kContiguous) return base + j;
  else return base + strided_offset(a.inner, a.inner_strides, j);
}

__device__ __forceinline__ float rounded(const float*, float v) { return v; }
__device__ __forceinline__ float rounded(const __half*, float v) { return __half2float(__float2half(v)); }

// Element `at` of the row being normalised: x, or x + residual as its type stores it (read back
// from `sum` once the first pass wrote it there).
template <typename T>
__device__ __forceinline__ float row_value(const T* x, const LayerNormArgs& a, int64_t at, bool written) {
  if (!a.residual) return load_f(x, at);
  if (written) return load_f(static_cast<const T*>(a.sum), at);
  return rounded(x, load_f(x, at) + load_f(static_cast<const T*>(a.residual), at));
}

// G threads per row; the row index is the same for all of them (for G = kBlock, the block).
template <int G, bool kContiguous, typename T>
__global__ void layer_norm_kernel(const T* x, T* y, LayerNormArgs a) {
  __shared__ float smem[kBlock / 32];
  constexpr int kRowsPerBlock = kBlock / G;
  const int lane = threadIdx.x % G;
  const float inv_cols = 1.0f / static_cast<float>(a.cols);
  for (int64_t r = blockIdx.x * int64_t(kRowsPerBlock) + threadIdx.x / G; r < a.rows; r += int64_t(gridDim.x) * kRowsPerBlock) {
    const int64_t base = kContiguous ? r * a.cols : strided_offset(a.outer, a.outer_strides, r);
    float s = 0.0f;
    for (int64_t j = lane; j < a.cols; j += G) {
      const int64_t at = element_at<kContiguous>(a, base, j);
      const float v = row_value(x, a, at, false);
      if (a.sum) store_f(static_cast<T*>(a.sum), at, v);
      s += v;
    }
    const bool written = a.sum != nullptr;  // each thread reads back only what it wrote
    const float mean = group_sum<G>(s, smem) * inv_cols;
    float q = 0.0f;
    for (int64_t j = lane; j < a.cols; j += G) {
      const float d = row_value(x, a, element_at<kContiguous>(a, base, j), written) - mean;
      q = fmaf(d, d, q);
    }
    const float inv_std = rsqrtf(group_sum<G>(q, smem) * inv_cols + a.epsilon);
    for (int64_t j = lane; j < a.cols; j += G) {
      const int64_t at = element_at<kContiguous>(a, base, j);
      float v = (row_value(x, a, at, written) - mean) * inv_std * a.scale[j];
      if (a.bias) v += a.bias[j];
      store_f(y, at, v);
    }
  }
}

template <int G, typename T>
void launch_group(const LayerNormArgs& a, cudaStream_t stream) {
  const unsigned grid = grid_for(a.rows * G, kBlock);
  const T* x = static_cast<const T*>(a.x);
  T* y = static_cast<T*>(a.y);
  if (a.contiguous) layer_norm_kernel<G, true, T><<<grid, kBlock, 0, stream>>>(x, y, a);
  else layer_norm_kernel<G, false, T><<<grid, kBlock, 0, stream>>>(x, y, a);
}

}  // namespace

cudaError_t launch_layer_norm(const LayerNormArgs& args, Elem elem, cudaStream_t stream) {
  if (args.rows == 0 || args.cols == 0) return cudaSuccess;
  if (args.cols <= 1024) {
    TANDEM_DISPATCH_ELEM(elem, launch_group<32, T>(args, stream));
  } else {
    TANDEM_DISPATCH_ELEM(elem, launch_group<kBlock, T>(args, stream));
  }
  return cudaGetLastError();
}

}  // namespace tandem::cuda
