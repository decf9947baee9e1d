#include "backends/cuda/kernels/kernel_common.cuh"
#include "backends/cuda/kernels/unary.cuh"

namespace tandem::cuda {
namespace {

// The op is a template parameter: one kernel per op, no switch per element.
template <int OP>
__device__ __forceinline__ float unary_of(float x) {
  if constexpr (OP == 0) return erff(x);
  else if constexpr (OP == 1) return sqrtf(x);
  else if constexpr (OP == 2) return expf(x);
  else if constexpr (OP == 3) return logf(x);
  else if constexpr (OP == 4) return -x;
  else if constexpr (OP == 5) return fabsf(x);
  else if constexpr (OP == 6) return 1.0f / x;
  else if constexpr (OP == 7) return sinf(x);
  else if constexpr (OP == 8) return cosf(x);
  else if constexpr (OP == 9) return ceilf(x);
  else if constexpr (OP == 10) return floorf(x);
  else if constexpr (OP == 11) return rintf(x);  // half to even, as ONNX Round
  else return x > 0.0f ? 1.0f : x < 0.0f ? -1.0f : x;  // Sign: 0 stays 0, NaN stays NaN
}

template <typename T, int OP>
__global__ void unary_kernel(const T* x, T* y, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
    store_f(y, i, unary_of<OP>(load_f(x, i)));
}

template <int OP>
void launch_op(const UnaryArgs& a, Elem elem, cudaStream_t stream) {
  constexpr int kBlock = 256;
  TANDEM_DISPATCH_ELEM(elem, unary_kernel<T, OP><<<grid_for(a.n, kBlock), kBlock, 0, stream>>>(
                                 static_cast<const T*>(a.x), static_cast<T*>(a.y), a.n));
}

}  // namespace

cudaError_t launch_unary(const UnaryArgs& a, Elem elem, cudaStream_t stream) {
  if (a.n == 0) return cudaSuccess;
  switch (a.op) {
    case 0: launch_op<0>(a, elem, stream); break;
    case 1: launch_op<1>(a, elem, stream); break;
    case 2: launch_op<2>(a, elem, stream); break;
    case 3: launch_op<3>(a, elem, stream); break;
    case 4: launch_op<4>(a, elem, stream); break;
    case 5: launch_op<5>(a, elem, stream); break;
    case 6: launch_op<6>(a, elem, stream); break;
    case 7: launch_op<7>(a, elem, stream); break;
    case 8: launch_op<8>(a, elem, stream); break;
    case 9: launch_op<9>(a, elem, stream); break;
    case 10: launch_op<10>(a, elem, stream); break;
    case 11: launch_op<11>(a, elem, stream); break;
    case 12: launch_op<12>(a, elem, stream); break;
    default: return cudaErrorInvalidValue;
  }
  return cudaGetLastError();
}

}  // namespace tandem::cuda
