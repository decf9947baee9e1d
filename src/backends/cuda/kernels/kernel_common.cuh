// Device helpers shared by the .cu files (load/store in either element type, epilogues).
#pragma once

#include <cuda_fp16.h>

#include "backends/cuda/kernels/kernel_types.cuh"

namespace tandem::cuda {

__device__ __forceinline__ float load_f(const float* p, int64_t i) { return p[i]; }
__device__ __forceinline__ float load_f(const __half* p, int64_t i) { return __half2float(p[i]); }
__device__ __forceinline__ void store_f(float* p, int64_t i, float v) { p[i] = v; }
__device__ __forceinline__ void store_f(__half* p, int64_t i, float v) { p[i] = __float2half(v); }

__device__ __forceinline__ float apply_act(const DevEpilogue& e, float x) {
  switch (e.kind) {
    case 0: return x;
    case 1: return fmaxf(x, 0.0f);
    case 2: return fminf(fmaxf(x, e.alpha), e.beta);
    case 3: return fminf(fmaxf(e.alpha * x + e.beta, 0.0f), 1.0f);
    case 4: return x * fminf(fmaxf(x * (1.0f / 6.0f) + 0.5f, 0.0f), 1.0f);
    case 5: return 1.0f / (1.0f + __expf(-x));
    case 6: return x / (1.0f + __expf(-x));
    case 7: return x >= 0.0f ? x : e.alpha * x;
    case 8: return tanhf(x);
  }
  return x;
}

inline unsigned grid_for(int64_t n, int block) {
  int64_t g = (n + block - 1) / block;
  return static_cast<unsigned>(g < 1 ? 1 : (g > 65535LL * 32 ? 65535LL * 32 : g));
}

}  // namespace tandem::cuda

// Instantiates `launch_body<T>` for the element type at run time.
#define TANDEM_DISPATCH_ELEM(elem, ...)             \
  do {                                              \
    if ((elem) == ::tandem::cuda::Elem::kF32) {     \
      using T = float;                              \
      __VA_ARGS__;                                  \
    } else {                                        \
      using T = __half;                             \
      __VA_ARGS__;                                  \
    }                                               \
  } while (0)
