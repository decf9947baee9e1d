// Plain types shared by the kernel launchers (.cu) and the op builders (.cpp, compiled by the
// host compiler): no device code here.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

namespace tandem::cuda {

enum class Elem : int { kF32 = 0, kF16 = 1 };

constexpr int kMaxRank = 6;

// An activation applied in a kernel's epilogue; kinds mirror ir::ActKind.
struct DevEpilogue {
  // 0 none, 1 relu, 2 clip, 3 hardsigmoid, 4 hardswish, 5 sigmoid, 6 silu, 7 leakyrelu, 8 tanh,
  // 9 gelu (erf), 10 gelu (tanh), 11 softplus, 12 elu, 13 selu (alpha, beta = gamma), 14 mish
  int kind = 0;
  float alpha = 0.0f;
  float beta = 0.0f;
};

// A strided view: `rank` dims, element strides per dim (0 = broadcast).
struct StridedShape {
  int rank = 0;
  int64_t shape[kMaxRank] = {};
};
struct Strides {
  int64_t s[kMaxRank] = {};
};

}  // namespace tandem::cuda
