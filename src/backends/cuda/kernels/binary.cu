#include "backends/cuda/kernels/binary.cuh"
#include "backends/cuda/kernels/kernel_common.cuh"

namespace tandem::cuda {
namespace {

// NaN-propagating min/max (numpy.minimum/maximum, the reference backend); fminf/fmaxf would
// return the other operand.
__device__ __forceinline__ float min_nan(float a, float b) { return (a != a || b != b) ? a + b : fminf(a, b); }
__device__ __forceinline__ float max_nan(float a, float b) { return (a != a || b != b) ? a + b : fmaxf(a, b); }

// `op` is ir::BinaryOp's value (see binary.cuh).
__device__ __forceinline__ float binary_op(int op, float a, float b) {
  switch (op) {
    case 0: return a + b;
    case 1: return a - b;
    case 2: return a * b;
    case 3: return a / b;
    case 4: return powf(a, b);
    case 5: return fmodf(a, b);
    case 6: return min_nan(a, b);
    default: return max_nan(a, b);
  }
}

template <typename T>
__global__ void binary_same_kernel(const T* a, const T* b, T* out, int64_t n, int op, DevEpilogue act) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
    store_f(out, i, apply_act(act, binary_op(op, load_f(a, i), load_f(b, i))));
}

template <typename T>
__global__ void binary_bcast_kernel(const T* a, Strides as, const T* b, Strides bs, T* out, StridedShape sh, int64_t n,
                                    int op, DevEpilogue act) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    int64_t rem = i, ao = 0, bo = 0;
#pragma unroll
    for (int d = kMaxRank - 1; d >= 0; --d) {
      if (d >= sh.rank) continue;
      int64_t k = rem % sh.shape[d];
      rem /= sh.shape[d];
      ao += k * as.s[d];
      bo += k * bs.s[d];
    }
    store_f(out, i, apply_act(act, binary_op(op, load_f(a, ao), load_f(b, bo))));
  }
}

}  // namespace

cudaError_t launch_binary(const BinaryArgs& g, Elem elem, cudaStream_t stream) {
  int64_t n = 1;
  for (int d = 0; d < g.shape.rank; ++d) n *= g.shape.shape[d];
  if (n == 0) return cudaSuccess;
  constexpr int kBlock = 256;
  if (g.same_shape) {
    TANDEM_DISPATCH_ELEM(elem, binary_same_kernel<T><<<grid_for(n, kBlock), kBlock, 0, stream>>>(
                                   static_cast<const T*>(g.a), static_cast<const T*>(g.b), static_cast<T*>(g.out), n,
                                   g.op, g.act));
  } else {
    TANDEM_DISPATCH_ELEM(elem, binary_bcast_kernel<T><<<grid_for(n, kBlock), kBlock, 0, stream>>>(
                                   static_cast<const T*>(g.a), g.a_strides, static_cast<const T*>(g.b), g.b_strides,
                                   static_cast<T*>(g.out), g.shape, n, g.op, g.act));
  }
  return cudaGetLastError();
}

}  // namespace tandem::cuda
