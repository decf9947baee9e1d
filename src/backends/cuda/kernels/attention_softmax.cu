#include <cmath>

#include "backends/cuda/kernels/attention_softmax.cuh"
#include "backends/cuda/kernels/kernel_common.cuh"

namespace tandem::cuda {
namespace {

constexpr int kBlock = 256;
constexpr int kWarps = kBlock / 32;

// Merges the running (max, sum of exp(x - max)) pair (m, s) with (om, os); -inf maxima carry
// no mass (a row whose scores are all -inf ends with sum 0, and NaN like the reference).
__device__ __forceinline__ void merge(float& m, float& s, float om, float os) {
  const float nm = fmaxf(m, om);
  if (nm == -INFINITY) return;
  s = (m == -INFINITY ? 0.0f : s * __expf(m - nm)) + (om == -INFINITY ? 0.0f : os * __expf(om - nm));
  m = nm;
}

// One warp per row: an online max/sum pass over the row, a warp merge, then the write pass.
// Not __restrict__: p may alias s (fp32 in place); each lane reads s[j] before writing p[j].
template <typename T>
__global__ void attention_softmax_kernel(const float* s, T* p, const T* bias, AttentionBiasArgs ba, int64_t rows,
                                         int64_t n, int64_t heads, int64_t m) {
  const int lane = threadIdx.x % 32;
  const int64_t warps = int64_t(gridDim.x) * kWarps;
  for (int64_t r = int64_t(blockIdx.x) * kWarps + threadIdx.x / 32; r < rows; r += warps) {
    const int64_t bh = r / n, i = r % n, b = bh / heads, h = bh % heads;
    const float* sr = s + r * m;
    const T* br = bias ? bias + (b % ba.batch) * ba.s_batch + h * ba.s_head + i * ba.s_row : nullptr;
    float mx = -INFINITY, sum = 0.0f;
    for (int64_t j = lane; j < m; j += 32) {
      const float x = sr[j] + (br ? load_f(br, j * ba.s_col) : 0.0f);
      merge(mx, sum, x, 1.0f);
    }
    for (int off = 16; off > 0; off /= 2) {
      const float om = __shfl_xor_sync(0xffffffffu, mx, off), os = __shfl_xor_sync(0xffffffffu, sum, off);
      merge(mx, sum, om, os);
    }
    const float inv = 1.0f / sum;
    T* pr = p + r * m;
    for (int64_t j = lane; j < m; j += 32) {
      const float x = sr[j] + (br ? load_f(br, j * ba.s_col) : 0.0f);
      store_f(pr, j, __expf(x - mx) * inv);
    }
  }
}

}  // namespace

cudaError_t launch_attention_softmax(const float* s, void* p, const AttentionBiasArgs& bias, int64_t rows, int64_t n,
                                     int64_t heads, int64_t m, Elem elem, cudaStream_t stream) {
  if (rows == 0 || m == 0) return cudaSuccess;
  if (n <= 0 || heads <= 0 || bias.batch <= 0) return cudaErrorInvalidValue;
  const int64_t blocks = (rows + kWarps - 1) / kWarps;
  const unsigned grid = static_cast<unsigned>(blocks < 65535LL * 32 ? blocks : 65535LL * 32);
  TANDEM_DISPATCH_ELEM(elem, attention_softmax_kernel<T><<<grid, kBlock, 0, stream>>>(
                                 s, static_cast<T*>(p), static_cast<const T*>(bias.data), bias, rows, n, heads, m));
  return cudaGetLastError();
}

}  // namespace tandem::cuda
