// Device helpers shared by the .cu files (load/store in either element type, epilogues).
#pragma once

#include <cuda_fp16.h>

#include "backends/cuda/kernels/kernel_types.cuh"

namespace tandem::cuda {

__device__ __forceinline__ float load_f(const float* p, int64_t i) { return p[i]; }
__device__ __forceinline__ float load_f(const __half* p, int64_t i) { return __half2float(p[i]); }
__device__ __forceinline__ void store_f(float* p, int64_t i, float v) { p[i] = v; }
__device__ __forceinline__ void store_f(__half* p, int64_t i, float v) { p[i] = __float2half(v); }

// log(1 + exp(x)) without overflow (onnxruntime's form, as ir::softplus).
__device__ __forceinline__ float softplus_f(float x) { return fmaxf(x, 0.0f) + log1pf(expf(-fabsf(x))); }

// One activation kind fixed at compile time (K = DevEpilogue::kind): no branch in a hot loop.
template <int K>
__device__ __forceinline__ float act_of(const DevEpilogue& e, float x) {
  if constexpr (K == 1) return fmaxf(x, 0.0f);
  else if constexpr (K == 2) return fminf(fmaxf(x, e.alpha), e.beta);
  else if constexpr (K == 3) return fminf(fmaxf(e.alpha * x + e.beta, 0.0f), 1.0f);
  else if constexpr (K == 4) return x * fminf(fmaxf(x * (1.0f / 6.0f) + 0.5f, 0.0f), 1.0f);
  else if constexpr (K == 5) return 1.0f / (1.0f + __expf(-x));
  else if constexpr (K == 6) return x / (1.0f + __expf(-x));
  else if constexpr (K == 7) return x >= 0.0f ? x : e.alpha * x;
  else if constexpr (K == 8) return tanhf(x);
  else if constexpr (K == 9) return 0.5f * x * (1.0f + erff(x * 0.70710678118654752f));
  else if constexpr (K == 10) return 0.5f * x * (1.0f + tanhf(0.79788456080286536f * (x + 0.044715f * x * x * x)));
  else if constexpr (K == 11) return softplus_f(x);
  else if constexpr (K == 12) return x > 0.0f ? x : e.alpha * expm1f(x);
  else if constexpr (K == 13) return e.beta * (x > 0.0f ? x : e.alpha * expm1f(x));
  else if constexpr (K == 14) return x * tanhf(softplus_f(x));
  else return x;
}

__device__ __forceinline__ float apply_act(const DevEpilogue& e, float x) {
  switch (e.kind) {
    case 1: return act_of<1>(e, x);
    case 2: return act_of<2>(e, x);
    case 3: return act_of<3>(e, x);
    case 4: return act_of<4>(e, x);
    case 5: return act_of<5>(e, x);
    case 6: return act_of<6>(e, x);
    case 7: return act_of<7>(e, x);
    case 8: return act_of<8>(e, x);
    case 9: return act_of<9>(e, x);
    case 10: return act_of<10>(e, x);
    case 11: return act_of<11>(e, x);
    case 12: return act_of<12>(e, x);
    case 13: return act_of<13>(e, x);
    case 14: return act_of<14>(e, x);
  }
  return x;
}

// K >= 0: that kind, fixed at compile time; K < 0: the kind read at run time.
template <int K>
__device__ __forceinline__ float act_k(const DevEpilogue& e, float x) {
  if constexpr (K < 0) return apply_act(e, x);
  else return act_of<K>(e, x);
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

// Instantiates `launch_body` with `constexpr int A` = the activation kind `kind` for the kinds
// hot loops meet (none, Relu, Clip, HardSwish), A = -1 (read at run time) for the others.
#define TANDEM_ACT_CASE(label, k, ...) \
  label: {                             \
    constexpr int A = k;               \
    __VA_ARGS__;                       \
  } break
#define TANDEM_DISPATCH_ACT(kind, ...)                   \
  do {                                                   \
    switch (kind) {                                      \
      TANDEM_ACT_CASE(case 0, 0, __VA_ARGS__);           \
      TANDEM_ACT_CASE(case 1, 1, __VA_ARGS__);           \
      TANDEM_ACT_CASE(case 2, 2, __VA_ARGS__);           \
      TANDEM_ACT_CASE(case 4, 4, __VA_ARGS__);           \
      TANDEM_ACT_CASE(default, -1, __VA_ARGS__);         \
    }                                                    \
  } while (0)
